//! RFM / FRAT scoring, pure: per member, recency (days since the last purchase kept), frequency
//! (purchases kept), amount (what they paid, net of returns) and type (distinct categories
//! bought) over the brand's window; each scored 1 to 5 by quintiles among the members who bought
//! in the window (equal values share a score: a value's score is 1 + ⌊5 × (members with a worse
//! value) ÷ (members who bought)⌋), or by the brand's thresholds; then the first segment rule
//! that holds names the member's segment.
//!
//! Invariants: scores are in 1..=5 for members who bought in the window and 0 for the others;
//! the last rule takes everyone left (checked when rules are saved), so every member gets a
//! segment; the same facts give the same scores and segments on both databases.

use serde::{Deserialize, Serialize};

use crate::core::error::AppError;

/// What is known about one member over the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Days since the last purchase kept in the window; none: no purchase in it.
    pub recency_days: Option<i64>,
    pub frequency: i64,
    pub amount_minor: i64,
    pub categories: i64,
    /// Days since enrolment.
    pub member_days: i64,
}

/// Scores 1 to 5 (0: no purchase in the window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub r: i16,
    pub f: i16,
    pub m: i16,
    pub t: i16,
}

/// Brand-set cut points, 4 per dimension in increasing order of merit: a value reaching the
/// i-th cut point scores i + 1 (recency in days: at most the cut point).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Thresholds {
    pub recency_days: Option<[i64; 4]>,
    pub frequency: Option<[i64; 4]>,
    pub amount_minor: Option<[i64; 4]>,
    pub categories: Option<[i64; 4]>,
}

/// One named segment: the conditions a member's scores and facts must meet (none: everyone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SegmentRule {
    /// Stable key (`AT_RISK`), what members carry and audiences name.
    pub key: String,
    /// The brand's name for it (defaults are named in the reader's language).
    pub name: Option<String>,
    pub min_r: Option<i16>,
    pub max_r: Option<i16>,
    pub min_f: Option<i16>,
    pub max_f: Option<i16>,
    pub min_m: Option<i16>,
    pub max_m: Option<i16>,
    pub min_t: Option<i16>,
    pub max_t: Option<i16>,
    /// Enrolled within this many days.
    pub enrolled_within_days: Option<i64>,
    /// Bought (true) or not (false) in the window.
    pub bought: Option<bool>,
}

impl SegmentRule {
    fn holds(&self, s: &Scores, facts: &Facts) -> bool {
        let within = |v: i16, min: Option<i16>, max: Option<i16>| {
            min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
        };
        within(s.r, self.min_r, self.max_r)
            && within(s.f, self.min_f, self.max_f)
            && within(s.m, self.min_m, self.max_m)
            && within(s.t, self.min_t, self.max_t)
            && self
                .enrolled_within_days
                .is_none_or(|d| facts.member_days <= d)
            && self
                .bought
                .is_none_or(|b| b == facts.recency_days.is_some())
    }

    /// No condition: takes everyone.
    fn is_catch_all(&self) -> bool {
        self.min_r.is_none()
            && self.max_r.is_none()
            && self.min_f.is_none()
            && self.max_f.is_none()
            && self.min_m.is_none()
            && self.max_m.is_none()
            && self.min_t.is_none()
            && self.max_t.is_none()
            && self.enrolled_within_days.is_none()
            && self.bought.is_none()
    }
}

/// The default segments, from the sources: new customer, inactive (to treat again as a
/// prospect), very good, at risk (a future non-customer), good, occasional.
pub fn default_rules() -> Vec<SegmentRule> {
    let rule = |key: &str| SegmentRule {
        key: key.to_owned(),
        ..SegmentRule::default()
    };
    vec![
        SegmentRule {
            enrolled_within_days: Some(90),
            ..rule("NEW")
        },
        SegmentRule {
            bought: Some(false),
            ..rule("INACTIVE")
        },
        SegmentRule {
            min_r: Some(4),
            min_f: Some(4),
            min_m: Some(4),
            ..rule("VERY_GOOD")
        },
        SegmentRule {
            max_r: Some(2),
            min_f: Some(3),
            ..rule("AT_RISK")
        },
        SegmentRule {
            min_r: Some(3),
            min_f: Some(3),
            ..rule("GOOD")
        },
        rule("OCCASIONAL"),
    ]
}

/// Checks a brand's rules: 2 to 10 segments, keys of capitals, digits and `_` (1 to 32), no key
/// twice, scores within 0..=5, and a last segment with no condition.
pub fn check_rules(rules: &[SegmentRule]) -> Result<(), AppError> {
    let bad = |message: &str| Err(AppError::validation("input.segments", message));
    if !(2..=10).contains(&rules.len()) {
        return bad("give 2 to 10 segments");
    }
    let mut keys = std::collections::HashSet::new();
    for r in rules {
        if r.key.is_empty()
            || r.key.len() > 32
            || !r
                .key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return bad("each key is 1 to 32 capitals, digits or _ (AT_RISK)");
        }
        if !keys.insert(r.key.clone()) {
            return bad("a key is given twice");
        }
        if let Some(name) = &r.name {
            crate::core::types::text("input.segments.name", name, 60)?;
        }
        let scores = [
            r.min_r, r.max_r, r.min_f, r.max_f, r.min_m, r.max_m, r.min_t, r.max_t,
        ];
        if scores.iter().flatten().any(|s| !(0..=5).contains(s)) {
            return bad("scores go from 0 (no purchase in the window) to 5");
        }
        if r.enrolled_within_days
            .is_some_and(|d| !(1..=3650).contains(&d))
        {
            return bad("enrolledWithinDays must be between 1 and 3650");
        }
    }
    if !rules.last().is_some_and(SegmentRule::is_catch_all) {
        return bad("the last segment takes everyone left: give it no condition");
    }
    if rules[..rules.len() - 1]
        .iter()
        .any(SegmentRule::is_catch_all)
    {
        return bad("only the last segment may have no condition (it would take everyone left)");
    }
    Ok(())
}

/// Checks thresholds: four cut points per dimension, increasing in merit (recency: decreasing
/// days), none negative.
pub fn check_thresholds(t: &Thresholds) -> Result<(), AppError> {
    let increasing = |c: &[i64; 4]| c.windows(2).all(|w| w[0] < w[1]) && c[0] >= 0;
    let decreasing = |c: &[i64; 4]| c.windows(2).all(|w| w[0] > w[1]) && c[3] >= 0;
    if t.recency_days.as_ref().is_some_and(|c| !decreasing(c)) {
        return Err(AppError::validation(
            "input.thresholds.recencyDays",
            "four day counts, decreasing (e.g. 180, 90, 30, 7)",
        ));
    }
    for (field, cuts) in [
        ("input.thresholds.frequency", &t.frequency),
        ("input.thresholds.amountMinor", &t.amount_minor),
        ("input.thresholds.categories", &t.categories),
    ] {
        if cuts.as_ref().is_some_and(|c| !increasing(c)) {
            return Err(AppError::validation(
                field,
                "four values, increasing, none negative",
            ));
        }
    }
    Ok(())
}

/// Quintile scores of `values` (higher is better), in their order: 1 + ⌊5 × (values below) ÷ n⌋.
fn quintiles(values: &[i64]) -> Vec<i16> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x < v);
            let score = 1 + (5 * below) / n.max(1);
            i16::try_from(score.min(5)).unwrap_or(5)
        })
        .collect()
}

/// A value's score by cut points (higher is better): 1 + the cut points it reaches.
fn by_cuts(v: i64, cuts: &[i64; 4]) -> i16 {
    1 + i16::try_from(cuts.iter().filter(|c| v >= **c).count()).unwrap_or(4)
}

/// Scores every member (in their order) and names their segment.
pub fn score(
    facts: &[Facts],
    thresholds: &Thresholds,
    rules: &[SegmentRule],
) -> Vec<(Scores, String)> {
    let buyers: Vec<usize> = (0..facts.len())
        .filter(|i| facts[*i].recency_days.is_some())
        .collect();
    let dimension = |value: &dyn Fn(&Facts) -> i64, cuts: Option<&[i64; 4]>| -> Vec<i16> {
        let values: Vec<i64> = buyers.iter().map(|i| value(&facts[*i])).collect();
        match cuts {
            Some(c) => values.iter().map(|v| by_cuts(*v, c)).collect(),
            None => quintiles(&values),
        }
    };
    // Recency: fewer days is better (scored on the negated days; cut points are days at most).
    let recency_cuts = thresholds.recency_days.map(|c| c.map(|d| -d));
    let r = dimension(&|f| -f.recency_days.unwrap_or(0), recency_cuts.as_ref());
    let f = dimension(&|f| f.frequency, thresholds.frequency.as_ref());
    let m = dimension(&|f| f.amount_minor, thresholds.amount_minor.as_ref());
    let t = dimension(&|f| f.categories, thresholds.categories.as_ref());
    let mut scores = vec![Scores::default(); facts.len()];
    for (k, i) in buyers.iter().enumerate() {
        scores[*i] = Scores {
            r: r[k],
            f: f[k],
            m: m[k],
            t: t[k],
        };
    }
    scores
        .into_iter()
        .zip(facts)
        .map(|(s, x)| {
            let segment = rules
                .iter()
                .find(|rule| rule.holds(&s, x))
                .map_or_else(|| "OTHER".to_owned(), |rule| rule.key.clone());
            (s, segment)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bought(recency: i64, frequency: i64, amount: i64, categories: i64) -> Facts {
        Facts {
            recency_days: Some(recency),
            frequency,
            amount_minor: amount,
            categories,
            member_days: 400,
        }
    }

    #[test]
    fn quintiles_give_equal_values_equal_scores_from_1_to_5() {
        assert_eq!(quintiles(&[10, 20, 30, 40, 50]), vec![1, 2, 3, 4, 5]);
        // Ten values: two per score.
        assert_eq!(
            quintiles(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        // Ties share the lowest score of their run.
        assert_eq!(quintiles(&[7, 7, 7, 7]), vec![1, 1, 1, 1]);
        assert_eq!(quintiles(&[1, 5, 5, 9]), vec![1, 2, 2, 4]);
        assert_eq!(quintiles(&[3]), vec![1]);
    }

    #[test]
    fn members_get_scores_and_the_first_segment_that_holds() {
        let facts = vec![
            // Recent, frequent, big: very good.
            bought(2, 12, 90_000, 4),
            // Bought often but long ago: at risk.
            bought(200, 10, 50_000, 3),
            // Recent but rare and small.
            bought(5, 1, 1_000, 1),
            bought(60, 4, 20_000, 2),
            bought(30, 6, 30_000, 2),
            // No purchase in the window.
            Facts {
                recency_days: None,
                frequency: 0,
                amount_minor: 0,
                categories: 0,
                member_days: 500,
            },
            // Enrolled last month, one purchase: new.
            Facts {
                member_days: 20,
                ..bought(10, 1, 2_000, 1)
            },
        ];
        let out = score(&facts, &Thresholds::default(), &default_rules());
        let segments: Vec<&str> = out.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            segments,
            vec![
                "VERY_GOOD",
                "AT_RISK",
                "OCCASIONAL",
                "OCCASIONAL",
                "AT_RISK",
                "INACTIVE",
                "NEW"
            ]
        );
        // Six buyers, ranked by hand: recency 2, 5, 10, 30, 60, 200 days score 5, 4, 3, 2, 1, 1
        // (1 + ⌊5 × worse ÷ 6⌋); frequencies 12, 10, 6, 4, 1, 1 score 5, 4, 3, 2, 1, 1.
        assert_eq!(
            out[0].0,
            Scores {
                r: 5,
                f: 5,
                m: 5,
                t: 5
            }
        );
        assert_eq!(
            out[1].0,
            Scores {
                r: 1,
                f: 4,
                m: 4,
                t: 4
            }
        );
        assert_eq!(
            out[4].0,
            Scores {
                r: 2,
                f: 3,
                m: 3,
                t: 2
            }
        );
        assert_eq!(
            out[6].0,
            Scores {
                r: 3,
                f: 1,
                m: 1,
                t: 1
            }
        );
        assert_eq!(out[5].0, Scores::default());
    }

    #[test]
    fn brand_thresholds_replace_quintiles() {
        let t = Thresholds {
            recency_days: Some([180, 90, 30, 7]),
            frequency: Some([2, 4, 8, 12]),
            ..Thresholds::default()
        };
        check_thresholds(&t).unwrap_or_else(|e| panic!("{e}"));
        let out = score(
            &[bought(7, 12, 1, 1), bought(100, 3, 1, 1)],
            &t,
            &default_rules(),
        );
        assert_eq!((out[0].0.r, out[0].0.f), (5, 5));
        assert_eq!((out[1].0.r, out[1].0.f), (2, 2));
        assert!(
            check_thresholds(&Thresholds {
                frequency: Some([4, 2, 8, 12]),
                ..Thresholds::default()
            })
            .is_err()
        );
    }

    #[test]
    fn rules_need_a_last_catch_all_and_unique_keys() {
        assert!(check_rules(&default_rules()).is_ok());
        let mut rules = default_rules();
        rules.pop();
        assert!(check_rules(&rules).is_err());
        let mut rules = default_rules();
        rules[1].key = "NEW".to_owned();
        assert!(check_rules(&rules).is_err());
        let mut rules = default_rules();
        rules[0].key = "new one".to_owned();
        assert!(check_rules(&rules).is_err());
        // A segment with no condition before the last would leave the others empty.
        let mut rules = default_rules();
        rules[1] = SegmentRule {
            key: "ALL".to_owned(),
            ..SegmentRule::default()
        };
        assert!(check_rules(&rules).is_err());
    }
}
