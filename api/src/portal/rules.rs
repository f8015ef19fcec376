//! The rules form of every mechanic: which fields a page shows, how each reads (whole numbers,
//! amounts typed in the currency's main unit, choices, lists), and how the form becomes the
//! API's `RulesInput`. Editing starts from the rules in force, so what the form does not show
//! (bonus periods) is kept as it is.

use serde_json::{Map, Value, json};

use super::act::Fields;
use crate::core::{i18n::Lang, types::Currency};

type Label = (&'static str, &'static str);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    /// Minor units, typed in the main unit.
    Money,
    Text,
    /// Text that may be left empty (null).
    OptText,
    Choice(&'static [&'static str]),
    Bool,
    /// `category: percent` per line.
    Multipliers,
    /// One text per line.
    Lines,
}

pub(super) struct RuleField {
    pub key: &'static str,
    pub label: Label,
    pub kind: Kind,
}

const fn f(key: &'static str, label: Label, kind: Kind) -> RuleField {
    RuleField { key, label, kind }
}

const ROUNDING: Kind = Kind::Choice(&["DOWN", "NEAREST", "UP"]);
const BASE: Kind = Kind::Choice(&["NET_OF_DISCOUNTS", "GROSS", "NET_OF_TAX", "ITEMS"]);

const POINTS: &[RuleField] = &[
    f("points", ("Points gagnés", "Points earned"), Kind::Int),
    f(
        "perAmountMinor",
        ("par tranche de", "per amount of"),
        Kind::Money,
    ),
    f("rounding", ("Arrondi", "Rounding"), ROUNDING),
    f("earningBase", ("Base de calcul", "Earning base"), BASE),
    f(
        "minimumPurchaseMinor",
        ("Achat minimum", "Minimum purchase"),
        Kind::Money,
    ),
    f(
        "validityMonths",
        ("Validité des points (mois)", "Points validity (months)"),
        Kind::Int,
    ),
    f(
        "pointValueMinor",
        (
            "Valeur d'un point en bon d'achat",
            "Value of a point as a voucher",
        ),
        Kind::Money,
    ),
    f(
        "minimumRedemptionPoints",
        ("Points minimum pour un bon", "Fewest points for a voucher"),
        Kind::Int,
    ),
    f(
        "welcomeBonus",
        ("Bonus de bienvenue (points)", "Welcome bonus (points)"),
        Kind::Int,
    ),
    f(
        "birthdayBonus",
        ("Bonus d'anniversaire (points)", "Birthday bonus (points)"),
        Kind::Int,
    ),
    f(
        "categoryMultipliers",
        (
            "Multiplicateurs par catégorie (une ligne « catégorie : % », 200 = double)",
            "Category multipliers (one line 'category: %', 200 = double)",
        ),
        Kind::Multipliers,
    ),
];

const CASHBACK: &[RuleField] = &[
    f(
        "rateBasisPoints",
        (
            "Taux (points de base, 250 = 2,5 %)",
            "Rate (basis points, 250 = 2.5 %)",
        ),
        Kind::Int,
    ),
    f("rounding", ("Arrondi", "Rounding"), ROUNDING),
    f("earningBase", ("Base de calcul", "Earning base"), BASE),
    f(
        "minimumPurchaseMinor",
        ("Achat minimum", "Minimum purchase"),
        Kind::Money,
    ),
    f(
        "refundOnReturn",
        (
            "Rendre la cagnotte dépensée en cas de retour",
            "Give back cashback spent when a purchase is returned",
        ),
        Kind::Bool,
    ),
    f(
        "categoryMultipliers",
        (
            "Multiplicateurs par catégorie (une ligne « catégorie : % »)",
            "Category multipliers (one line 'category: %')",
        ),
        Kind::Multipliers,
    ),
];

const STAMPS: &[RuleField] = &[
    f(
        "stampsPerPurchase",
        ("Tampons par achat", "Stamps per purchase"),
        Kind::Int,
    ),
    f(
        "category",
        (
            "Seulement la catégorie (vide : tout le panier)",
            "Only the category (empty: the whole basket)",
        ),
        Kind::OptText,
    ),
    f(
        "minimumPurchaseMinor",
        ("Achat minimum", "Minimum purchase"),
        Kind::Money,
    ),
    f(
        "stampsForReward",
        ("Tampons pour une carte pleine", "Stamps that fill a card"),
        Kind::Int,
    ),
    f(
        "rewardLabel",
        ("Récompense (« Un café offert »)", "Reward ('Free coffee')"),
        Kind::Text,
    ),
    f(
        "rewardAmountMinor",
        ("Valeur du bon de récompense", "Reward voucher's value"),
        Kind::Money,
    ),
    f(
        "rewardPercent",
        (
            "… ou remise en % (l'un ou l'autre)",
            "… or % off (one of the two)",
        ),
        Kind::Int,
    ),
    f(
        "rewardValidityDays",
        ("Validité du bon (jours)", "Voucher validity (days)"),
        Kind::Int,
    ),
];

const STORED_VALUE: &[RuleField] = &[
    f(
        "maxBalanceMinor",
        ("Solde maximum", "Largest balance"),
        Kind::Money,
    ),
    f(
        "minTopUpMinor",
        ("Recharge minimum", "Smallest top-up"),
        Kind::Money,
    ),
];

const MEMBERSHIP: &[RuleField] = &[
    f(
        "feeMinor",
        ("Cotisation par période", "Fee per period"),
        Kind::Money,
    ),
    f(
        "period",
        ("Période", "Period"),
        Kind::Choice(&["YEARLY", "MONTHLY"]),
    ),
    f(
        "discountPercent",
        (
            "Remise sur chaque achat (%)",
            "Discount on every purchase (%)",
        ),
        Kind::Int,
    ),
    f(
        "pointsMultiplierPercent",
        (
            "Multiplicateur de points (%, 100 = aucun)",
            "Points multiplier (%, 100 = none)",
        ),
        Kind::Int,
    ),
    f(
        "perks",
        ("Avantages (un par ligne)", "Perks (one per line)"),
        Kind::Lines,
    ),
];

/// The mechanics, as the API names them, and their `RulesInput` field.
pub(super) const MECHANICS: &[(&str, &str)] = &[
    ("POINTS", "points"),
    ("CASHBACK", "cashback"),
    ("STAMPS", "stamps"),
    ("STORED_VALUE", "storedValue"),
    ("MEMBERSHIP", "membership"),
];

pub(super) fn input_key(mechanic: &str) -> Option<&'static str> {
    MECHANICS
        .iter()
        .find(|(m, _)| *m == mechanic)
        .map(|(_, k)| *k)
}

fn fields_of(mechanic: &str) -> &'static [RuleField] {
    match mechanic {
        "POINTS" => POINTS,
        "CASHBACK" => CASHBACK,
        "STAMPS" => STAMPS,
        "STORED_VALUE" => STORED_VALUE,
        "MEMBERSHIP" => MEMBERSHIP,
        _ => &[],
    }
}

/// Whether the mechanic has tiers (points and cashback).
fn has_tiers(mechanic: &str) -> bool {
    matches!(mechanic, "POINTS" | "CASHBACK")
}

/// A new program's rules: the API's defaults, plus what it requires.
pub(super) fn defaults(mechanic: &str) -> Value {
    match mechanic {
        "POINTS" => json!({ "points": 1, "perAmountMinor": 100, "rounding": "DOWN",
            "earningBase": "NET_OF_DISCOUNTS", "minimumPurchaseMinor": 0, "validityMonths": 12,
            "pointValueMinor": 1, "minimumRedemptionPoints": 500, "welcomeBonus": 0,
            "birthdayBonus": 0, "categoryMultipliers": [], "bonusPeriods": [] }),
        "CASHBACK" => json!({ "rateBasisPoints": 200, "rounding": "DOWN",
            "earningBase": "NET_OF_DISCOUNTS", "minimumPurchaseMinor": 0,
            "refundOnReturn": true, "categoryMultipliers": [] }),
        "STAMPS" => json!({ "stampsPerPurchase": 1, "minimumPurchaseMinor": 0,
            "stampsForReward": 10, "rewardLabel": "", "rewardAmountMinor": 0,
            "rewardPercent": 0, "rewardValidityDays": 90 }),
        "STORED_VALUE" => json!({ "maxBalanceMinor": 50000, "minTopUpMinor": 1000 }),
        "MEMBERSHIP" => json!({ "feeMinor": 0, "period": "YEARLY", "discountPercent": 0,
            "pointsMultiplierPercent": 100, "perks": [] }),
        _ => json!({}),
    }
}

/// An amount in minor units as a person types it (`12,50` in French, `12.50` in English).
pub(super) fn amount_text(minor: i64, currency: Currency, lang: Lang) -> String {
    let decimals = u32::from(currency.minor_units());
    let scale = 10_i64.pow(decimals);
    let sign = if minor < 0 { "-" } else { "" };
    let (units, fraction) = (minor.abs() / scale, minor.abs() % scale);
    if decimals == 0 {
        return format!("{sign}{units}");
    }
    let sep = lang.pick(",", ".");
    format!(
        "{sign}{units}{sep}{fraction:0width$}",
        width = decimals as usize
    )
}

/// The form's rows for a template: each field's key, label, kind and value as text (from
/// `rules`, the rules in force or a new program's defaults, or from the form as typed).
pub(super) fn rows(
    mechanic: &str,
    rules: &Value,
    typed: Option<&Fields>,
    currency: Currency,
    lang: Lang,
) -> Vec<Value> {
    let mut rows: Vec<Value> = fields_of(mechanic)
        .iter()
        .map(|field| {
            let v = &rules[field.key];
            let stored = match field.kind {
                Kind::Int => v.as_i64().map(|n| n.to_string()).unwrap_or_default(),
                Kind::Money => v
                    .as_i64()
                    .map(|n| amount_text(n, currency, lang))
                    .unwrap_or_default(),
                Kind::Text | Kind::OptText | Kind::Choice(_) => {
                    v.as_str().unwrap_or_default().to_owned()
                }
                Kind::Bool => if v.as_bool().unwrap_or(false) {
                    "on"
                } else {
                    ""
                }
                .to_owned(),
                Kind::Multipliers => v
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|m| {
                                format!(
                                    "{}: {}",
                                    m["category"].as_str().unwrap_or(""),
                                    m["percent"]
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                Kind::Lines => v
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
            };
            let value = match (typed, field.kind) {
                (Some(f), Kind::Bool) => if f.checked(field.key) { "on" } else { "" }.to_owned(),
                (Some(f), _) => f.text(field.key),
                (None, _) => stored,
            };
            let (kind, options) = match field.kind {
                Kind::Int => ("int", Vec::new()),
                Kind::Money => ("money", Vec::new()),
                Kind::Text | Kind::OptText => ("text", Vec::new()),
                Kind::Choice(options) => ("choice", options.to_vec()),
                Kind::Bool => ("bool", Vec::new()),
                Kind::Multipliers | Kind::Lines => ("lines", Vec::new()),
            };
            json!({
                "key": field.key, "label": lang.pick(field.label.0, field.label.1),
                "kind": kind, "options": options, "value": value,
            })
        })
        .collect();
    if has_tiers(mechanic) {
        let tiers = &rules["tiers"];
        let money_thresholds =
            thresholds_are_money(mechanic, tiers["basis"].as_str().unwrap_or("EARNED"));
        let stored_levels = tiers["levels"]
            .as_array()
            .map(|levels| {
                levels
                    .iter()
                    .map(|l| {
                        let perks: Vec<&str> = l["perks"]
                            .as_array()
                            .map(|p| p.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        let threshold = l["threshold"].as_i64().unwrap_or(0);
                        let threshold = if money_thresholds {
                            amount_text(threshold, currency, lang)
                        } else {
                            threshold.to_string()
                        };
                        format!(
                            "{}; {threshold}; {}; {}",
                            l["name"].as_str().unwrap_or(""),
                            l["multiplierPercent"],
                            perks.join(", ")
                        )
                        .trim_end_matches("; ")
                        .to_owned()
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let pick = |key: &str, stored: String| typed.map_or(stored, |f| f.text(key));
        rows.push(json!({ "key": "tier_base", "kind": "text",
            "label": lang.pick("Niveau de départ (vide : pas de niveaux)", "Starting tier (empty: no tiers)"),
            "value": pick("tier_base", tiers["baseName"].as_str().unwrap_or("").to_owned()), "options": [] }));
        rows.push(json!({ "key": "tier_basis", "kind": "choice",
            "label": lang.pick("Niveaux selon", "Tiers by"), "options": ["EARNED", "SPEND"],
            "value": pick("tier_basis", tiers["basis"].as_str().unwrap_or("EARNED").to_owned()) }));
        rows.push(json!({ "key": "tier_window", "kind": "int",
            "label": lang.pick("Sur une période glissante de (mois)", "Over a rolling window of (months)"),
            "value": pick("tier_window", tiers["windowMonths"].as_i64().unwrap_or(12).to_string()), "options": [] }));
        rows.push(json!({ "key": "tier_levels", "kind": "lines",
            "label": lang.pick(
                "Niveaux au-dessus (une ligne « nom ; seuil ; multiplicateur % ; avantages séparés par des virgules » ; le seuil en points gagnés, ou en montant pour des niveaux selon le montant dépensé ou une cagnotte)",
                "Levels above (one line 'name; threshold; multiplier %; perks separated by commas'; the threshold in points earned, or an amount for tiers by amount spent or cashback)"),
            "value": pick("tier_levels", stored_levels), "options": [] }));
    }
    rows
}

/// The `RulesInput` for `mechanic`: `current` (the rules in force, or defaults) overlaid with
/// the form's fields. A field that does not read is refused by its label.
pub(super) fn rules_from(
    mechanic: &str,
    current: &Value,
    form: &Fields,
    currency: Currency,
    lang: Lang,
) -> Result<Value, String> {
    let key = input_key(mechanic).ok_or_else(|| "unknown mechanic".to_owned())?;
    let mut rules: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    let decimals = u32::from(currency.minor_units());
    for field in fields_of(mechanic) {
        let value = match field.kind {
            Kind::Int => json!(form.int(field.key, field.label, lang)?),
            Kind::Money => json!(
                form.amount(field.key, decimals, field.label, lang)?
                    .ok_or_else(|| amount_expected(field.label, lang))?
            ),
            Kind::Text => json!(form.text(field.key)),
            Kind::OptText => json!(form.opt(field.key)),
            Kind::Choice(options) => {
                let chosen = form.text(field.key);
                if !options.contains(&chosen.as_str()) {
                    return Err(match lang {
                        Lang::Fr => {
                            format!("{} : choisissez une valeur de la liste.", field.label.0)
                        }
                        Lang::En => format!("{}: choose a value from the list.", field.label.1),
                    });
                }
                json!(chosen)
            }
            Kind::Bool => json!(form.checked(field.key)),
            Kind::Multipliers => json!(multipliers(&form.text(field.key), field.label, lang)?),
            Kind::Lines => json!(
                form.text(field.key)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            ),
        };
        rules.insert(field.key.to_owned(), value);
    }
    if has_tiers(mechanic) {
        rules.insert("tiers".to_owned(), tiers(mechanic, form, currency, lang)?);
    }
    // The API reads its own names only: the output's extra fields are not part of the input.
    Ok(json!({ key: rules }))
}

fn amount_expected(label: Label, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{} : un montant est attendu (par exemple 12,50).", label.0),
        Lang::En => format!("{}: an amount is expected (for example 12.50).", label.1),
    }
}

fn multipliers(raw: &str, label: Label, lang: Lang) -> Result<Vec<Value>, String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (category, percent) = line
                .rsplit_once([':', ';', '='])
                .ok_or_else(|| line_error(label, line, lang))?;
            let percent: i32 = percent
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse()
                .map_err(|_| line_error(label, line, lang))?;
            Ok(json!({ "category": category.trim(), "percent": percent }))
        })
        .collect()
}

fn line_error(label: Label, line: &str, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{} : la ligne « {line} » ne se lit pas.", label.0),
        Lang::En => format!("{}: the line '{line}' does not read.", label.1),
    }
}

/// Whether tier thresholds are amounts (minor units): tiers by amount spent, and cashback
/// programs (whose earnings are money); points earned otherwise.
fn thresholds_are_money(mechanic: &str, basis: &str) -> bool {
    basis == "SPEND" || mechanic == "CASHBACK"
}

fn tiers(mechanic: &str, form: &Fields, currency: Currency, lang: Lang) -> Result<Value, String> {
    let label = ("Niveaux", "Tiers");
    let Some(base) = form.opt("tier_base") else {
        return Ok(Value::Null);
    };
    let window = form.int("tier_window", ("Période des niveaux", "Tiers window"), lang)?;
    let basis = form.text("tier_basis");
    let money = thresholds_are_money(mechanic, &basis);
    let decimals = u32::from(currency.minor_units());
    let levels = form
        .text("tier_levels")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split(';').map(str::trim).collect();
            let number = |i: usize, default: Option<i32>| -> Result<i32, String> {
                match parts.get(i).filter(|p| !p.is_empty()) {
                    Some(p) => p
                        .trim_end_matches('%')
                        .trim()
                        .parse()
                        .map_err(|_| line_error(label, line, lang)),
                    None => default.ok_or_else(|| line_error(label, line, lang)),
                }
            };
            let perks: Vec<&str> = parts
                .get(3)
                .map(|p| {
                    p.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let threshold = if money {
                parts
                    .get(1)
                    .and_then(|p| super::act::parse_amount(p, decimals))
                    .ok_or_else(|| line_error(label, line, lang))?
            } else {
                i64::from(number(1, None)?)
            };
            Ok(json!({
                "name": parts.first().copied().unwrap_or(""),
                "threshold": threshold,
                "multiplierPercent": number(2, Some(100))?,
                "perks": perks,
            }))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(json!({ "baseName": base, "basis": basis, "windowMonths": window, "levels": levels }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn amounts_are_shown_as_typed_in_each_language() {
        assert_eq!(amount_text(150, eur(), Lang::Fr), "1,50");
        assert_eq!(amount_text(150, eur(), Lang::En), "1.50");
        assert_eq!(amount_text(5, eur(), Lang::En), "0.05");
        let jpy = Currency::parse("c", "JPY").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(amount_text(500, jpy, Lang::Fr), "500");
    }

    #[test]
    fn the_form_overlays_the_rules_in_force_and_keeps_what_it_does_not_show() {
        let current = json!({ "points": 1, "perAmountMinor": 100, "rounding": "DOWN",
            "earningBase": "NET_OF_DISCOUNTS", "minimumPurchaseMinor": 0, "validityMonths": 12,
            "pointValueMinor": 1, "minimumRedemptionPoints": 500, "welcomeBonus": 0,
            "birthdayBonus": 0, "categoryMultipliers": [],
            "bonusPeriods": [ { "label": "Noël", "startsAt": "2026-12-01T00:00:00Z",
                "endsAt": "2026-12-25T00:00:00Z", "percent": 200 } ] });
        let form = Fields::parse(
            b"points=3&perAmountMinor=2%2C50&rounding=UP&earningBase=GROSS&minimumPurchaseMinor=0\
              &validityMonths=24&pointValueMinor=0%2C01&minimumRedemptionPoints=100&welcomeBonus=50\
              &birthdayBonus=0&categoryMultipliers=vin%3A+200%0D%0Afromage+%3A+150%25\
              &tier_base=Bronze&tier_basis=SPEND&tier_window=12&tier_levels=Argent%3B+500%3B+125%0D%0AOr%3B+2000",
        );
        let rules = rules_from("POINTS", &current, &form, eur(), Lang::Fr)
            .unwrap_or_else(|e| panic!("{e}"));
        let p = &rules["points"];
        assert_eq!(p["points"], 3);
        assert_eq!(p["perAmountMinor"], 250);
        assert_eq!(p["pointValueMinor"], 1);
        assert_eq!(p["rounding"], "UP");
        assert_eq!(
            p["categoryMultipliers"][1],
            json!({ "category": "fromage", "percent": 150 })
        );
        assert_eq!(p["bonusPeriods"][0]["label"], "Noël", "kept as it was");
        // Tiers by amount spent: thresholds typed in euros, sent in cents.
        assert_eq!(p["tiers"]["levels"][0]["threshold"], 50_000);
        assert_eq!(
            p["tiers"]["levels"][1],
            json!({ "name": "Or", "threshold": 200_000, "multiplierPercent": 100, "perks": [] })
        );
        assert_eq!(p["tiers"]["basis"], "SPEND");

        let bad = Fields::parse(b"points=3&perAmountMinor=abc");
        let refused = rules_from("POINTS", &current, &bad, eur(), Lang::En)
            .err()
            .unwrap_or_default();
        assert!(refused.contains("per amount of"), "{refused}");
        let no_tiers = Fields::parse(
            b"points=1&perAmountMinor=1&rounding=DOWN&earningBase=GROSS&minimumPurchaseMinor=0\
              &validityMonths=1&pointValueMinor=1&minimumRedemptionPoints=1&welcomeBonus=0&birthdayBonus=0",
        );
        let rules = rules_from("POINTS", &current, &no_tiers, eur(), Lang::En)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rules["points"]["tiers"].is_null());
    }
}
