//! Provably fair draws, `fidelis-draw-v1`: everything here is a pure function of published data,
//! so that anyone can re-check a draw (`fidelis contest verify`, or their own code from the
//! README's description).
//!
//! - **Seed.** 32 random bytes written as 64 lowercase hex characters. The commitment published
//!   before entries open is `SHA-256(seed)` over those 64 ASCII characters, in hex.
//! - **Entry list.** When entries close, every entry not withdrawn (instant win: every entry),
//!   in entry id order, one line
//!   each: `<entry id>,<participant>,<eligible 0|1>,<distance or empty>,<entry time in Unix
//!   milliseconds>\n`. The list hash is SHA-256 of the concatenated lines, in hex.
//! - **Random stream.** Block `k` (k = 0, 1, …) is `SHA-256(seed ‖ ":" ‖ label ‖ ":" ‖ k)` (ASCII,
//!   `k` in decimal); the stream is the blocks' bytes in order, read 8 bytes at a time as
//!   big-endian `u64`. The draw's label is the list hash; instant-win moments' label is
//!   `moments`. A number below `bound` is the first `x` read with `x < 2^64 − (2^64 mod bound)`,
//!   taken `mod bound` (no modulo bias).
//! - **Order.** The eligible entries, shuffled by Fisher–Yates: for `i` from 0 to n − 2, swap
//!   `i` with `i + uniform(n − i)`. A quiz then sorts them by distance (the tie-breaker's error),
//!   keeping the shuffled order among equals (ties broken by the draw).
//! - **Winners.** Prizes by rank, each `quantity` times, go to the entries in that order,
//!   passing over a participant who already won (one prize per participant). Under REDRAW a
//!   lapsed prize goes to the next entry in the same order after the last winner that passes
//!   the same test.
//! - **Instant-win moments.** For each prize unit, by rank then quantity, its moment is
//!   `opens + uniform(closes − opens in milliseconds)` ms; the moments are then sorted by time
//!   (then rank). Entries in time order each take the earliest moment not yet taken at or
//!   before their time, unless their participant already won. An instant win's list keeps its
//!   withdrawn entries (not eligible, `0`): they took their moment when they were entered.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ALGORITHM: &str = "fidelis-draw-v1";

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A fresh secret seed.
pub fn new_seed() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// What is published before entries open.
pub fn commitment(seed: &str) -> String {
    hex(&Sha256::digest(seed.as_bytes()))
}

/// An entrant's pseudonym in a contest's published list.
pub fn participant(contest: Uuid, member: Uuid) -> String {
    let mut h = hex(&Sha256::digest(format!("{contest}:{member}").as_bytes()));
    h.truncate(16);
    h
}

/// One line of the published entry list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedEntry {
    pub entry: Uuid,
    pub participant: String,
    pub eligible: bool,
    /// Quiz: how far the tie-breaker estimate is from the answer.
    pub distance: Option<i64>,
    pub at: DateTime<Utc>,
    /// Quiz, once drawn: the entry's answers and estimate, so that `eligible` and `distance`
    /// can be checked (not part of the hashed line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<i32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<i64>,
}

/// The list hash of entries (sorted here by entry id, as published).
pub fn list_hash(entries: &[ListedEntry]) -> String {
    let mut sorted: Vec<&ListedEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.entry);
    let mut h = Sha256::new();
    for e in sorted {
        h.update(
            format!(
                "{},{},{},{},{}\n",
                e.entry,
                e.participant,
                u8::from(e.eligible),
                e.distance.map(|d| d.to_string()).unwrap_or_default(),
                e.at.timestamp_millis()
            )
            .as_bytes(),
        );
    }
    hex(&h.finalize())
}

/// The random stream of a seed and a label.
struct Stream<'a> {
    seed: &'a str,
    label: &'a str,
    block: u64,
    buffer: Vec<u8>,
}

impl<'a> Stream<'a> {
    fn new(seed: &'a str, label: &'a str) -> Self {
        Self {
            seed,
            label,
            block: 0,
            buffer: Vec::new(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        if self.buffer.len() < 8 {
            let digest = Sha256::digest(format!("{}:{}:{}", self.seed, self.label, self.block));
            self.block += 1;
            self.buffer.extend_from_slice(&digest);
        }
        let bytes: Vec<u8> = self.buffer.drain(..8).collect();
        u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]))
    }

    /// A number in `0..bound` (`bound` > 0), without modulo bias.
    fn uniform(&mut self, bound: u64) -> u64 {
        let bound = bound.max(1);
        let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % bound;
            }
        }
    }
}

/// The draw order: indexes into `entries` (as sorted by entry id) of the eligible ones.
pub fn order(seed: &str, list_hash: &str, entries: &[ListedEntry]) -> Vec<usize> {
    let mut sorted: Vec<(usize, &ListedEntry)> = entries.iter().enumerate().collect();
    sorted.sort_by_key(|(_, e)| e.entry);
    let mut eligible: Vec<usize> = sorted
        .iter()
        .filter(|(_, e)| e.eligible)
        .map(|(i, _)| *i)
        .collect();
    let mut stream = Stream::new(seed, list_hash);
    let n = eligible.len();
    for i in 0..n.saturating_sub(1) {
        let span = u64::try_from(n - i).unwrap_or(u64::MAX);
        let j = i + usize::try_from(stream.uniform(span)).unwrap_or(0);
        eligible.swap(i, j);
    }
    // Stable: equal distances keep the shuffled order.
    eligible.sort_by_key(|&i| entries[i].distance.unwrap_or(0));
    eligible
}

/// Who wins what: `(prize rank, index into entries, position in the order)`, prizes taken by
/// rank, each `quantity` times.
pub fn winners(
    order: &[usize],
    entries: &[ListedEntry],
    prizes: &[(i32, i32)],
) -> Vec<(i32, usize, usize)> {
    let mut ranked: Vec<(i32, i32)> = prizes.to_vec();
    ranked.sort_by_key(|(rank, _)| *rank);
    let mut units = ranked.iter().flat_map(|&(rank, quantity)| {
        std::iter::repeat_n(rank, usize::try_from(quantity).unwrap_or(0))
    });
    let mut won: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    let mut next = units.next();
    for (position, &i) in order.iter().enumerate() {
        let Some(rank) = next else { break };
        if won.insert(entries[i].participant.as_str()) {
            out.push((rank, i, position));
            next = units.next();
        }
    }
    out
}

/// The next entry for a redrawn prize: the first after `after` in the order whose participant
/// has not won.
pub fn next_in_order(
    order: &[usize],
    entries: &[ListedEntry],
    after: usize,
    winners: &HashSet<String>,
) -> Option<(usize, usize)> {
    order
        .iter()
        .enumerate()
        .skip(after + 1)
        .find(|(_, i)| !winners.contains(&entries[**i].participant))
        .map(|(position, i)| (*i, position))
}

/// The instant-win moments: `(prize rank, time)`, sorted by time.
pub fn moments(
    seed: &str,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    prizes: &[(i32, i32)],
) -> Vec<(i32, DateTime<Utc>)> {
    let mut ranked: Vec<(i32, i32)> = prizes.to_vec();
    ranked.sort_by_key(|(rank, _)| *rank);
    let span = u64::try_from((closes - opens).num_milliseconds())
        .unwrap_or(0)
        .max(1);
    let mut stream = Stream::new(seed, "moments");
    let mut out: Vec<(i32, DateTime<Utc>)> = ranked
        .iter()
        .flat_map(|&(rank, quantity)| {
            std::iter::repeat_n(rank, usize::try_from(quantity).unwrap_or(0))
        })
        .map(|rank| {
            let offset = i64::try_from(stream.uniform(span)).unwrap_or(0);
            let at = Utc
                .timestamp_millis_opt(opens.timestamp_millis() + offset)
                .single()
                .unwrap_or(opens);
            (rank, at)
        })
        .collect();
    // Each unit's time is its own draw: the grand prize is no likelier early than late.
    out.sort_by_key(|&(rank, at)| (at, rank));
    out
}

/// Which entry takes each moment (`moments` sorted by time): entries in time order (then id),
/// each taking the earliest moment not yet taken at or before its time, unless its participant
/// already won. Instant-win lists keep every entry (a withdrawn one is not eligible but took
/// its moment when it was entered).
pub fn take_moments(
    moments: &[(i32, DateTime<Utc>)],
    entries: &[ListedEntry],
) -> Vec<Option<Uuid>> {
    let mut sorted: Vec<&ListedEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.at, e.entry));
    let mut taken: Vec<Option<Uuid>> = vec![None; moments.len()];
    let mut won: HashSet<&str> = HashSet::new();
    for e in sorted {
        if won.contains(e.participant.as_str()) {
            continue;
        }
        if let Some(slot) = moments
            .iter()
            .zip(taken.iter())
            .position(|((_, at), t)| t.is_none() && *at <= e.at)
        {
            taken[slot] = Some(e.entry);
            won.insert(e.participant.as_str());
        }
    }
    taken
}

/// A contest's public record (`GET /contests/{id}/fairness`): enough to re-check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub algorithm: String,
    pub contest: Uuid,
    pub name: String,
    pub kind: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// REDRAW or LAPSE: what happens to an unclaimed prize.
    #[serde(default)]
    pub unclaimed: Option<String>,
    pub seed_commitment: String,
    pub prizes: Vec<PublishedPrize>,
    /// Once the list is frozen.
    pub entry_list_hash: Option<String>,
    pub entries: Vec<ListedEntry>,
    /// Once drawn.
    pub seed: Option<String>,
    pub winners: Vec<PublishedWinner>,
    /// Instant win, once drawn: every moment and the entry that took it.
    pub moments: Vec<PublishedMoment>,
    /// Quiz, once drawn: the right answers and the tie-breaker's.
    #[serde(default)]
    pub quiz: Option<PublishedQuiz>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedQuiz {
    pub answers: Vec<i32>,
    pub tiebreak_answer: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedPrize {
    pub rank: i32,
    pub name: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedWinner {
    pub prize: i32,
    pub entry: Uuid,
    pub position: i32,
    /// WON, CLAIMED or LAPSED.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedMoment {
    pub prize: i32,
    pub at: DateTime<Utc>,
    pub entry: Option<Uuid>,
}

/// Re-checks a published record; each problem found, in words (none: the draw is what the
/// published data says it must be).
pub fn verify(p: &Published) -> Vec<String> {
    let mut problems = Vec::new();
    if p.algorithm != ALGORITHM {
        problems.push(format!("unknown algorithm {}", p.algorithm));
        return problems;
    }
    let Some(seed) = &p.seed else {
        problems.push("the seed is not revealed yet".into());
        return problems;
    };
    if commitment(seed) != p.seed_commitment {
        problems.push("the revealed seed does not match the commitment".into());
    }
    let Some(hash) = &p.entry_list_hash else {
        problems.push("the entry list is not frozen".into());
        return problems;
    };
    if &list_hash(&p.entries) != hash {
        problems.push("the entry list does not match its hash".into());
    }
    let prizes: Vec<(i32, i32)> = p.prizes.iter().map(|x| (x.rank, x.quantity)).collect();
    // The limits a contest is created with: a record beyond them is not one of ours.
    if p.prizes.len() > 20
        || prizes.iter().any(|(_, q)| !(1..=10_000).contains(q))
        || prizes.iter().map(|(_, q)| i64::from(*q)).sum::<i64>() > 10_000
    {
        problems.push("the prizes are beyond what a contest may offer".into());
        return problems;
    }
    if p.kind == "INSTANT_WIN" {
        let expected = moments(seed, p.opens_at, p.closes_at, &prizes);
        let published: Vec<(i32, DateTime<Utc>)> =
            p.moments.iter().map(|m| (m.prize, m.at)).collect();
        if expected != published {
            problems.push("the winning moments are not the ones the seed gives".into());
        }
        let expected_takers = take_moments(&expected, &p.entries);
        let published_takers: Vec<Option<Uuid>> = p.moments.iter().map(|m| m.entry).collect();
        if expected_takers != published_takers {
            problems.push("the moments were not taken by the entries the rule gives".into());
        }
        let mut expected_winners: Vec<(i32, Uuid)> = p
            .moments
            .iter()
            .filter_map(|m| m.entry.map(|e| (m.prize, e)))
            .collect();
        let mut published_winners: Vec<(i32, Uuid)> =
            p.winners.iter().map(|w| (w.prize, w.entry)).collect();
        expected_winners.sort();
        published_winners.sort();
        if expected_winners != published_winners {
            problems.push("the winners are not the entries that took the moments".into());
        }
        return problems;
    }
    if p.kind == "QUIZ" {
        match &p.quiz {
            None => problems.push("a quiz's record gives its answers".into()),
            Some(quiz) => {
                for e in &p.entries {
                    let eligible = e.answers.as_ref() == Some(&quiz.answers);
                    let distance = match (quiz.tiebreak_answer, e.estimate) {
                        (Some(a), Some(x)) => Some(x.saturating_sub(a).saturating_abs()),
                        _ => None,
                    };
                    if e.eligible != eligible || e.distance != distance {
                        problems.push(format!(
                            "entry {} is not marked as its answers say",
                            e.entry
                        ));
                    }
                }
            }
        }
    }
    let order = order(seed, hash, &p.entries);
    let first = winners(&order, &p.entries, &prizes);
    // Redraws: each lapsed winner's prize went to the next in order.
    let mut expected: Vec<(i32, Uuid, i32)> = first
        .iter()
        .map(|&(rank, i, pos)| (rank, p.entries[i].entry, i32::try_from(pos).unwrap_or(-1)))
        .collect();
    let mut published: Vec<(i32, Uuid, i32)> = p
        .winners
        .iter()
        .map(|w| (w.prize, w.entry, w.position))
        .collect();
    // Winners beyond the first draw must be the next ones in order, in sequence.
    let mut last = first.last().map_or(0, |w| w.2);
    let mut extra: Vec<&PublishedWinner> = p
        .winners
        .iter()
        .filter(|w| !first.iter().any(|f| p.entries[f.1].entry == w.entry))
        .collect();
    extra.sort_by_key(|w| w.position);
    let mut seen: HashSet<String> = first
        .iter()
        .map(|f| p.entries[f.1].participant.clone())
        .collect();
    // Each of them takes the prize of a lapsed winner, in turn, and only under REDRAW.
    let mut lapsed: Vec<&PublishedWinner> =
        p.winners.iter().filter(|w| w.status == "LAPSED").collect();
    lapsed.sort_by_key(|w| w.position);
    if !extra.is_empty() && p.unclaimed.as_deref() != Some("REDRAW") {
        problems.push("prizes were redrawn although the contest lets them lapse".into());
    }
    for (k, w) in extra.iter().enumerate() {
        if !lapsed
            .get(k)
            .is_some_and(|l| l.prize == w.prize && l.position < w.position)
        {
            problems.push(format!(
                "redrawn winner {} takes no lapsed winner's prize",
                w.entry
            ));
        }
    }
    for w in extra {
        match next_in_order(&order, &p.entries, last, &seen) {
            Some((i, position)) if p.entries[i].entry == w.entry => {
                expected.push((w.prize, w.entry, i32::try_from(position).unwrap_or(-1)));
                seen.insert(p.entries[i].participant.clone());
                last = position;
            }
            _ => problems.push(format!(
                "redrawn winner {} is not the next in the draw order",
                w.entry
            )),
        }
    }
    expected.sort();
    published.sort();
    if problems.is_empty() && expected != published {
        problems.push("the winners are not the ones the seed and the list give".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entries(n: usize, participants: usize) -> Vec<ListedEntry> {
        (0..n)
            .map(|i| ListedEntry {
                entry: Uuid::from_u128(1000 + i as u128),
                participant: format!("p{}", i % participants.max(1)),
                eligible: true,
                distance: None,
                at: Utc
                    .timestamp_millis_opt(1_700_000_000_000 + i as i64)
                    .unwrap(),
                answers: None,
                estimate: None,
            })
            .collect()
    }

    #[test]
    fn the_commitment_is_sha256_of_the_hex_seed() {
        // echo -n 00…00 (64 zeros) | sha256sum
        assert_eq!(
            commitment(&"0".repeat(64)),
            "60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55"
        );
        assert_eq!(new_seed().len(), 64);
        assert_ne!(new_seed(), new_seed());
    }

    #[test]
    fn a_draw_is_a_function_of_seed_and_list_only() {
        let list = entries(50, 50);
        let hash = list_hash(&list);
        let a = order(&"1".repeat(64), &hash, &list);
        let b = order(&"1".repeat(64), &hash, &list);
        let c = order(&"2".repeat(64), &hash, &list);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The order is a permutation of the eligible entries.
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        // The list's order on input does not matter.
        let mut reversed = list.clone();
        reversed.reverse();
        assert_eq!(list_hash(&reversed), hash);
        let r = order(&"1".repeat(64), &hash, &reversed);
        let ids =
            |o: &[usize], l: &[ListedEntry]| o.iter().map(|&i| l[i].entry).collect::<Vec<_>>();
        assert_eq!(ids(&a, &list), ids(&r, &reversed));
    }

    #[test]
    fn one_prize_per_participant_and_quiz_distance_first() {
        let mut list = entries(10, 3);
        let order_ = order("s", "h", &list);
        let w = winners(&order_, &list, &[(1, 2), (2, 5)]);
        // Only three participants: three prizes given.
        assert_eq!(w.len(), 3);
        let ps: HashSet<_> = w.iter().map(|x| list[x.1].participant.clone()).collect();
        assert_eq!(ps.len(), 3);
        assert_eq!(w.iter().filter(|x| x.0 == 1).count(), 2);
        // Quiz: the closest estimate wins whatever the shuffle.
        for (i, e) in list.iter_mut().enumerate() {
            e.participant = format!("q{i}");
            e.distance = Some(if i == 7 { 0 } else { 10 + i as i64 });
            e.eligible = i != 3;
        }
        let o = order("s", "h", &list);
        assert_eq!(o[0], 7);
        assert!(!o.contains(&3));
    }

    #[test]
    fn moments_fall_inside_the_period_and_are_sorted() {
        let opens = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let closes = opens + chrono::Duration::days(7);
        let m = moments("seed", opens, closes, &[(2, 3), (1, 2)]);
        assert_eq!(m.len(), 5);
        assert_eq!(m.iter().filter(|x| x.0 == 1).count(), 2);
        assert!(m.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(m.iter().all(|x| x.1 >= opens && x.1 < closes));
        assert_eq!(m, moments("seed", opens, closes, &[(1, 2), (2, 3)]));
    }

    fn published(seed: &str, list: Vec<ListedEntry>, prizes: &[(i32, i32)]) -> Published {
        let hash = list_hash(&list);
        let o = order(seed, &hash, &list);
        let w = winners(&o, &list, prizes);
        Published {
            algorithm: ALGORITHM.into(),
            contest: Uuid::nil(),
            name: "c".into(),
            kind: "DRAW".into(),
            opens_at: Utc::now(),
            unclaimed: Some("REDRAW".into()),
            closes_at: Utc::now(),
            seed_commitment: commitment(seed),
            prizes: prizes
                .iter()
                .map(|&(rank, quantity)| PublishedPrize {
                    rank,
                    name: "p".into(),
                    quantity,
                })
                .collect(),
            entries: list.clone(),
            entry_list_hash: Some(hash),
            seed: Some(seed.into()),
            winners: w
                .iter()
                .map(|&(prize, i, pos)| PublishedWinner {
                    prize,
                    entry: list[i].entry,
                    position: pos as i32,
                    status: "WON".into(),
                })
                .collect(),
            moments: vec![],
            quiz: None,
        }
    }

    #[test]
    fn verify_catches_a_changed_list_seed_or_winner() {
        let seed = "ab".repeat(32);
        let good = published(&seed, entries(20, 20), &[(1, 3)]);
        assert!(verify(&good).is_empty(), "{:?}", verify(&good));
        let mut bad = good.clone();
        bad.entries.pop();
        assert!(!verify(&bad).is_empty());
        let mut bad = good.clone();
        bad.seed = Some("cd".repeat(32));
        assert!(!verify(&bad).is_empty());
        let mut bad = good.clone();
        let other = bad
            .entries
            .iter()
            .find(|e| !bad.winners.iter().any(|w| w.entry == e.entry))
            .unwrap()
            .entry;
        bad.winners[0].entry = other;
        assert!(!verify(&bad).is_empty());

        // A redraw needs a lapsed prize to take, under REDRAW.
        let hash = good.entry_list_hash.clone().unwrap();
        let o = order(&seed, &hash, &good.entries);
        let seen: HashSet<String> = good
            .winners
            .iter()
            .filter_map(|w| good.entries.iter().find(|e| e.entry == w.entry))
            .map(|e| e.participant.clone())
            .collect();
        let last = good.winners.iter().map(|w| w.position).max().unwrap() as usize;
        let (i, position) = next_in_order(&o, &good.entries, last, &seen).unwrap();
        let extra = PublishedWinner {
            prize: 1,
            entry: good.entries[i].entry,
            position: position as i32,
            status: "WON".into(),
        };
        let mut faked = good.clone();
        faked.winners.push(extra.clone());
        assert!(
            !verify(&faked).is_empty(),
            "a fourth winner of three prizes"
        );
        let mut redrawn = faked.clone();
        let first = redrawn
            .winners
            .iter_mut()
            .min_by_key(|w| w.position)
            .unwrap();
        first.status = "LAPSED".into();
        assert!(verify(&redrawn).is_empty(), "{:?}", verify(&redrawn));
        redrawn.unclaimed = Some("LAPSE".into());
        assert!(!verify(&redrawn).is_empty());
    }

    proptest! {
        #[test]
        fn uniform_stays_below_its_bound(bound in 1u64..1_000_000, seed in "[a-f0-9]{8}") {
            let mut s = Stream::new(&seed, "x");
            for _ in 0..20 {
                prop_assert!(s.uniform(bound) < bound);
            }
        }

        #[test]
        fn winners_are_distinct_participants_and_never_more_than_prizes(
            n in 0usize..60, people in 1usize..20, q1 in 0i32..5, q2 in 0i32..5
        ) {
            let list = entries(n, people);
            let o = order("seed", &list_hash(&list), &list);
            let w = winners(&o, &list, &[(1, q1), (2, q2)]);
            prop_assert!(w.len() <= (q1 + q2) as usize);
            prop_assert_eq!(w.len(), ((q1 + q2) as usize).min(n.min(people)));
            let ps: HashSet<_> = w.iter().map(|x| list[x.1].participant.clone()).collect();
            prop_assert_eq!(ps.len(), w.len());
        }
    }
}
