//! Time, injected: every "now" of the server comes from the [`Clock`] of its state (through
//! `Deps`, `TenantScope` and the transactions it opens), so tests move time forward —
//! to a voucher's end, past an access token's expiry, a year later for points expiry — instead
//! of sleeping or dating their data back. In production it is the system clock.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, Utc};

/// The system clock, shifted by an offset that tests may move forward.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now (and runs on from there): what a job given its `now` books
    /// with, so the times it writes agree with the `now` it was given.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        let clock = Self::default();
        clock
            .offset_ms
            .store((at - Utc::now()).num_milliseconds(), Ordering::Relaxed);
        clock
    }

    /// Now, as this server sees it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every scope holding it) forward by `by`. For tests.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }

    /// Seconds since the Unix epoch (token claims).
    pub fn timestamp(&self) -> u64 {
        u64::try_from(self.now().timestamp()).unwrap_or(0)
    }
}

/// The instant a day of a time zone starts: its first valid local time (a DST gap at midnight
/// moves it to 01:00 or 02:00); none for a day no hour of which exists.
pub fn local_midnight(tz: chrono_tz::Tz, day: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    (0..3)
        .find_map(|h| {
            tz.from_local_datetime(&day.and_hms_opt(h, 0, 0)?)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_time_they_are_moved_to() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = shared.now();
        clock.advance(Duration::days(400));
        let after = shared.now();
        assert!(after - before >= Duration::days(400));
        assert!(after - before < Duration::days(400) + Duration::seconds(5));
    }
}
