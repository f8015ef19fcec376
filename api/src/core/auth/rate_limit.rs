//! Brute-force protection: counters per key (an account, a client address, an API client id) in
//! fixed windows, kept in memory. Failed logins count against the account and are forgotten on
//! success; every attempt counts against the address.
//!
//! The counters live in one process: behind a load balancer with N instances an attacker gets at
//! most N times the budget, which still defeats online guessing.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::core::error::AppError;

pub struct Limiter {
    max: u32,
    window: Duration,
    counters: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses with RATE_LIMITED when the key has used its budget in the current window.
    pub fn check(&self, key: &str) -> Result<(), AppError> {
        let now = Instant::now();
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match counters.get(key) {
            Some((count, start))
                if *count >= self.max && now.duration_since(*start) < self.window =>
            {
                let left = self.window.saturating_sub(now.duration_since(*start));
                Err(AppError::RateLimited {
                    retry_after_secs: left.as_secs().max(1),
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts one attempt for the key.
    pub fn hit(&self, key: &str) {
        let now = Instant::now();
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if counters.len() > 100_000 {
            let window = self.window;
            counters.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        let entry = counters.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
    }

    /// Checks, then counts: for limits where every attempt counts.
    pub fn check_and_hit(&self, key: &str) -> Result<(), AppError> {
        self.check(key)?;
        self.hit(key);
        Ok(())
    }

    /// Forgets the key (after a successful login).
    pub fn reset(&self, key: &str) {
        self.counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
    }
}

/// The limiters of one server.
pub struct RateLimits {
    /// Failed logins per account.
    pub login_account: Limiter,
    /// Login attempts per client address.
    pub login_address: Limiter,
    /// Mails requested (password reset, verification) per client address.
    pub mail_address: Limiter,
    /// Mails requested per recipient (a member's access link), whoever asks.
    pub mail_account: Limiter,
    /// Token requests per partner client id.
    pub token_client: Limiter,
    /// Brands signed up per client address.
    pub signup_address: Limiter,
}

impl RateLimits {
    pub fn new(config: &crate::core::config::Config) -> Self {
        Self {
            login_account: Limiter::new(
                config.login_attempts_per_account,
                Duration::from_secs(15 * 60),
            ),
            login_address: Limiter::new(config.login_attempts_per_address, Duration::from_secs(60)),
            mail_address: Limiter::new(10, Duration::from_secs(60 * 60)),
            mail_account: Limiter::new(3, Duration::from_secs(60 * 60)),
            token_client: Limiter::new(60, Duration::from_secs(60)),
            signup_address: Limiter::new(
                config.signups_per_address_per_hour,
                Duration::from_secs(60 * 60),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_budget_and_others_are_not() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.check_and_hit("a").is_ok());
        }
        assert!(
            matches!(limiter.check("a"), Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs <= 60)
        );
        assert!(limiter.check("b").is_ok());
        limiter.reset("a");
        assert!(limiter.check("a").is_ok());
    }

    #[test]
    fn the_window_expires() {
        let limiter = Limiter::new(1, Duration::from_millis(20));
        limiter.hit("a");
        assert!(limiter.check("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.check("a").is_ok());
    }
}
