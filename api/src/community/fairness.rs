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
//!
//! `fidelis-draw-v2` is v1 plus instant wins by odds (a contest that gives each entry a chance
//! of one in `N`, while its prizes last):
//! - **Tickets.** Each entry has a ticket, its place in the order entries were taken (1, 2, …);
//!   its list line ends with `,<ticket>` (before the `\n`).
//! - **A ticket's chance.** Ticket `t` reads the stream labelled `ticket:<t>`: it wins when
//!   `uniform(N)` is 0 and prize units are left — every unit less every earlier ticket's win,
//!   voided or lapsed ones included — and then takes the unit at `uniform(units left)` in the
//!   list of units left (sorted by rank). Tickets are taken in order; a participant who already
//!   won by an earlier ticket (even a win voided since) is passed over and reads nothing.
//! - **Stock left at the close.** A ticket's win counts when its entry is eligible (`1`) or its
//!   status is CLAIMED; otherwise (its entry was withdrawn before the prize was claimed) it is
//!   voided, even if it had lapsed at its deadline before. The units not counted are drawn as
//!   in a draw, in the v1 order of the eligible entries, passing over the participants who hold
//!   a counted win: exactly the number of prizes is given when there are enough participants.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ALGORITHM: &str = "fidelis-draw-v1";
/// v1 plus instant wins by odds (entries carry a ticket).
pub const ALGORITHM_V2: &str = "fidelis-draw-v2";

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
    /// v2 (instant win by odds): the entry's ticket, part of the hashed line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<i32>,
}

/// The list hash of entries (sorted here by entry id, as published).
pub fn list_hash(entries: &[ListedEntry]) -> String {
    let mut sorted: Vec<&ListedEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.entry);
    let mut h = Sha256::new();
    for e in sorted {
        h.update(
            format!(
                "{},{},{},{},{}{}\n",
                e.entry,
                e.participant,
                u8::from(e.eligible),
                e.distance.map(|d| d.to_string()).unwrap_or_default(),
                e.at.timestamp_millis(),
                e.ticket.map(|t| format!(",{t}")).unwrap_or_default()
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

/// Prize units, one per unit of each prize, by rank.
pub fn units(prizes: &[(i32, i32)]) -> Vec<i32> {
    let mut ranked: Vec<(i32, i32)> = prizes.to_vec();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked
        .iter()
        .flat_map(|&(rank, quantity)| {
            std::iter::repeat_n(rank, usize::try_from(quantity).unwrap_or(0))
        })
        .collect()
}

/// Who wins what: `(prize rank, index into entries, position in the order)`, prizes taken by
/// rank, each `quantity` times.
pub fn winners(
    order: &[usize],
    entries: &[ListedEntry],
    prizes: &[(i32, i32)],
) -> Vec<(i32, usize, usize)> {
    winners_after(order, entries, prizes, &HashSet::new())
}

/// [`winners`], passing over the participants in `holders` too (they already hold a prize).
pub fn winners_after(
    order: &[usize],
    entries: &[ListedEntry],
    prizes: &[(i32, i32)],
    holders: &HashSet<String>,
) -> Vec<(i32, usize, usize)> {
    let mut units = units(prizes).into_iter();
    let mut won: HashSet<&str> = holders.iter().map(String::as_str).collect();
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

/// v2: whether ticket `ticket` wins under odds of one in `one_in`, with `left` prize units left,
/// and if so the index of the unit it takes in the list of units left (sorted by rank).
pub fn ticket_draw(seed: &str, one_in: i32, ticket: i32, left: usize) -> Option<usize> {
    let label = format!("ticket:{ticket}");
    let mut stream = Stream::new(seed, &label);
    let bound = u64::try_from(one_in).unwrap_or(1);
    if stream.uniform(bound) != 0 || left == 0 {
        return None;
    }
    usize::try_from(stream.uniform(u64::try_from(left).unwrap_or(1))).ok()
}

/// v2: the tickets' wins, `(prize rank, entry, ticket)`, walking the entries in ticket order
/// (entries without a ticket are passed over).
pub fn ticket_winners(
    seed: &str,
    one_in: i32,
    prizes: &[(i32, i32)],
    entries: &[ListedEntry],
) -> Vec<(i32, Uuid, i32)> {
    let mut left = units(prizes);
    let mut sorted: Vec<(i32, &ListedEntry)> = entries
        .iter()
        .filter_map(|e| e.ticket.map(|t| (t, e)))
        .collect();
    sorted.sort_by_key(|(t, _)| *t);
    let mut won: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for (ticket, e) in sorted {
        if won.contains(e.participant.as_str()) {
            continue;
        }
        if let Some(k) = ticket_draw(seed, one_in, ticket, left.len())
            && k < left.len()
        {
            let rank = left.remove(k);
            won.insert(e.participant.as_str());
            out.push((rank, e.entry, ticket));
        }
    }
    out
}

/// v2: the stock left at the close, `(rank, quantity)`, and the participants holding a counted
/// ticket win, from the ticket wins as they stand (`(rank, entry, status)`): a win counts
/// unless its entry is not eligible (withdrawn) and the prize was not claimed.
pub fn stock_left(
    prizes: &[(i32, i32)],
    entries: &[ListedEntry],
    ticket_wins: &[(i32, Uuid, &str)],
) -> (Vec<(i32, i32)>, HashSet<String>) {
    let mut left: Vec<(i32, i32)> = prizes.to_vec();
    let mut holders = HashSet::new();
    for (rank, entry, status) in ticket_wins {
        let Some(e) = entries.iter().find(|e| e.entry == *entry) else {
            continue;
        };
        if e.eligible || *status == "CLAIMED" {
            if let Some(p) = left.iter_mut().find(|(r, _)| r == rank) {
                p.1 = (p.1 - 1).max(0);
            }
            holders.insert(e.participant.clone());
        }
    }
    (left, holders)
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
    /// v2, an instant win by odds: each ticket's chance is one in this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odds_one_in: Option<i32>,
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
    /// v2: drawn at the close among the entries to give out the stock left (`position` is then
    /// the place in the draw order; for a ticket's win it is the ticket).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub top_up: bool,
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
    if p.algorithm != ALGORITHM && p.algorithm != ALGORITHM_V2 {
        problems.push(format!("unknown algorithm {}", p.algorithm));
        return problems;
    }
    let v2 = p.algorithm == ALGORITHM_V2;
    if !v2 && (p.odds_one_in.is_some() || p.entries.iter().any(|e| e.ticket.is_some())) {
        problems.push(format!("{ALGORITHM} has no odds nor tickets"));
        return problems;
    }
    // v2 is used for instant wins by odds only.
    if v2 != (p.kind == "INSTANT_WIN" && p.odds_one_in.is_some()) {
        problems.push(format!(
            "{ALGORITHM_V2} is an instant win by odds, and only it has odds"
        ));
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
    if p.kind == "INSTANT_WIN"
        && let Some(one_in) = p.odds_one_in
    {
        verify_odds(p, seed, hash, one_in, &prizes, &mut problems);
        return problems;
    }
    if v2 && p.entries.iter().any(|e| e.ticket.is_some()) {
        problems.push("only an instant win by odds has tickets".into());
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

/// v2: the tickets' wins and the top-up at the close of an instant win by odds.
fn verify_odds(
    p: &Published,
    seed: &str,
    hash: &str,
    one_in: i32,
    prizes: &[(i32, i32)],
    problems: &mut Vec<String>,
) {
    if p.algorithm != ALGORITHM_V2 {
        problems.push(format!("odds need {ALGORITHM_V2}"));
        return;
    }
    if !(2..=1_000_000).contains(&one_in) {
        problems.push("the odds are beyond what a contest may set".into());
        return;
    }
    if !p.moments.is_empty() {
        problems.push("an instant win by odds has no moments".into());
    }
    let mut tickets: Vec<Option<i32>> = p.entries.iter().map(|e| e.ticket).collect();
    tickets.sort_unstable();
    let expected_tickets: Vec<Option<i32>> = (1..).take(tickets.len()).map(Some).collect();
    if tickets != expected_tickets {
        problems.push("the tickets are not 1, 2, … one per entry".into());
        return;
    }
    let mut expected: Vec<(i32, Uuid, i32)> = ticket_winners(seed, one_in, prizes, &p.entries);
    let mut published: Vec<(i32, Uuid, i32)> = p
        .winners
        .iter()
        .filter(|w| !w.top_up)
        .map(|w| (w.prize, w.entry, w.position))
        .collect();
    expected.sort_unstable();
    published.sort_unstable();
    if expected != published {
        problems.push("the tickets' wins are not the ones the seed gives".into());
    }
    let wins: Vec<(i32, Uuid, &str)> = p
        .winners
        .iter()
        .filter(|w| !w.top_up)
        .map(|w| (w.prize, w.entry, w.status.as_str()))
        .collect();
    let (left, holders) = stock_left(prizes, &p.entries, &wins);
    let order = order(seed, hash, &p.entries);
    let mut expected: Vec<(i32, Uuid, i32)> = winners_after(&order, &p.entries, &left, &holders)
        .into_iter()
        .map(|(rank, i, pos)| (rank, p.entries[i].entry, i32::try_from(pos).unwrap_or(-1)))
        .collect();
    let mut published: Vec<(i32, Uuid, i32)> = p
        .winners
        .iter()
        .filter(|w| w.top_up)
        .map(|w| (w.prize, w.entry, w.position))
        .collect();
    expected.sort_unstable();
    published.sort_unstable();
    if expected != published {
        problems
            .push("the stock left at the close did not go to the entries the draw gives".into());
    }
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
                ticket: None,
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
                    top_up: false,
                })
                .collect(),
            moments: vec![],
            quiz: None,
            odds_one_in: None,
        }
    }

    /// An instant win by odds as the server would publish it: tickets in order, the tickets'
    /// wins, then the stock left drawn at the close.
    fn published_odds(
        seed: &str,
        one_in: i32,
        n: usize,
        people: usize,
        prizes: &[(i32, i32)],
    ) -> Published {
        let mut list = entries(n, people);
        for (t, e) in (1..).zip(list.iter_mut()) {
            e.ticket = Some(t);
        }
        let mut p = published(seed, list.clone(), prizes);
        p.algorithm = ALGORITHM_V2.into();
        p.kind = "INSTANT_WIN".into();
        p.odds_one_in = Some(one_in);
        let hash = p.entry_list_hash.clone().unwrap();
        let tickets = ticket_winners(seed, one_in, prizes, &list);
        let wins: Vec<(i32, Uuid, &str)> = tickets.iter().map(|&(r, e, _)| (r, e, "WON")).collect();
        let (left, holders) = stock_left(prizes, &list, &wins);
        let o = order(seed, &hash, &list);
        p.winners =
            tickets
                .iter()
                .map(|&(prize, entry, ticket)| PublishedWinner {
                    prize,
                    entry,
                    position: ticket,
                    status: "WON".into(),
                    top_up: false,
                })
                .chain(winners_after(&o, &list, &left, &holders).into_iter().map(
                    |(prize, i, pos)| PublishedWinner {
                        prize,
                        entry: list[i].entry,
                        position: pos as i32,
                        status: "WON".into(),
                        top_up: true,
                    },
                ))
                .collect();
        p
    }

    #[test]
    fn odds_give_exactly_the_stock_and_verify_catches_changes() {
        let seed = "5e".repeat(32);
        // One in 3 over 60 tickets: some win by ticket, the stock runs out, none left to top up.
        let rich = published_odds(&seed, 3, 60, 60, &[(1, 2), (2, 3)]);
        assert!(verify(&rich).is_empty(), "{:?}", verify(&rich));
        assert_eq!(rich.winners.len(), 5);
        assert!(rich.winners.iter().all(|w| !w.top_up), "{:?}", rich.winners);
        // One in 1000 over 20 tickets: (almost surely) no ticket wins; all 5 topped up.
        let poor = published_odds(&seed, 1000, 20, 20, &[(1, 2), (2, 3)]);
        assert!(verify(&poor).is_empty(), "{:?}", verify(&poor));
        assert_eq!(poor.winners.len(), 5);
        assert_eq!(poor.winners.iter().filter(|w| w.prize == 1).count(), 2);
        // A changed ticket, a stolen win, a missing top-up: each is caught.
        let mut bad = rich.clone();
        bad.entries.swap(0, 1);
        let (a, b) = (bad.entries[0].ticket, bad.entries[1].ticket);
        bad.entries[0].ticket = b;
        bad.entries[1].ticket = a;
        assert!(!verify(&bad).is_empty());
        let mut bad = rich.clone();
        let loser = bad
            .entries
            .iter()
            .find(|e| !bad.winners.iter().any(|w| w.entry == e.entry))
            .unwrap()
            .entry;
        bad.winners[0].entry = loser;
        assert!(!verify(&bad).is_empty());
        let mut bad = poor.clone();
        bad.winners.pop();
        assert!(!verify(&bad).is_empty());
        // A voided ticket win (its entry withdrawn, the prize not claimed) is given again.
        let mut voided = rich.clone();
        let w = voided.winners[0].clone();
        let e = voided
            .entries
            .iter_mut()
            .find(|e| e.entry == w.entry)
            .unwrap();
        e.eligible = false;
        voided.entry_list_hash = Some(list_hash(&voided.entries));
        voided.winners[0].status = "LAPSED".into();
        assert!(!verify(&voided).is_empty(), "the unit must be topped up");
        let hash = voided.entry_list_hash.clone().unwrap();
        let wins: Vec<(i32, Uuid, &str)> = voided
            .winners
            .iter()
            .map(|w| (w.prize, w.entry, w.status.as_str()))
            .collect();
        let (left, holders) = stock_left(&[(1, 2), (2, 3)], &voided.entries, &wins);
        assert_eq!(left.iter().map(|x| x.1).sum::<i32>(), 1);
        let o = order(&seed, &hash, &voided.entries);
        let extra = winners_after(&o, &voided.entries, &left, &holders);
        assert_eq!(extra.len(), 1);
        voided.winners.push(PublishedWinner {
            prize: extra[0].0,
            entry: voided.entries[extra[0].1].entry,
            position: extra[0].2 as i32,
            status: "WON".into(),
            top_up: true,
        });
        assert!(verify(&voided).is_empty(), "{:?}", verify(&voided));
        // v1 records have no odds.
        let mut old = rich.clone();
        old.algorithm = ALGORITHM.into();
        assert!(!verify(&old).is_empty());
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
            top_up: false,
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

        #[test]
        fn tickets_never_win_more_than_the_stock_nor_twice_per_participant(
            n in 0usize..200, people in 1usize..40, one_in in 2i32..6, q1 in 1i32..4, q2 in 0i32..4
        ) {
            let mut list = entries(n, people);
            for (t, e) in (1..).zip(list.iter_mut()) {
                e.ticket = Some(t);
            }
            let w = ticket_winners("seed", one_in, &[(1, q1), (2, q2)], &list);
            prop_assert!(w.len() <= (q1 + q2) as usize);
            prop_assert_eq!(w.iter().filter(|x| x.0 == 1).count() <= q1 as usize, true);
            let ps: HashSet<_> = w
                .iter()
                .map(|x| list.iter().find(|e| e.entry == x.1).unwrap().participant.clone())
                .collect();
            prop_assert_eq!(ps.len(), w.len());
            // With the top-up, everyone gets a prize until there are no more participants.
            let wins: Vec<(i32, Uuid, &str)> = w.iter().map(|&(r, e, _)| (r, e, "WON")).collect();
            let (left, holders) = stock_left(&[(1, q1), (2, q2)], &list, &wins);
            let o = order("seed", &list_hash(&list), &list);
            let extra = winners_after(&o, &list, &left, &holders);
            prop_assert_eq!(w.len() + extra.len(), ((q1 + q2) as usize).min(n.min(people)));
        }
    }
}
