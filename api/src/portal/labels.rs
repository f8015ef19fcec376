//! The words a page shows for the API's enum values, in French and English (the value itself
//! when it has no label yet).

use crate::core::i18n::Lang;

const LABELS: &[(&str, &str, &str)] = &[
    // Mechanics
    ("POINTS", "Points", "Points"),
    ("CASHBACK", "Cagnotte", "Cashback"),
    ("STAMPS", "Tampons", "Stamps"),
    ("STORED_VALUE", "Porte-monnaie", "Stored value"),
    ("MEMBERSHIP", "Abonnement", "Membership"),
    // Statuses
    ("ACTIVE", "actif", "active"),
    ("ARCHIVED", "archivé", "archived"),
    ("BLOCKED", "bloquée", "blocked"),
    ("LOST", "perdue", "lost"),
    ("REPLACED", "remplacée", "replaced"),
    ("PENDING", "en attente", "pending"),
    ("ACCEPTED", "acceptée", "accepted"),
    ("REVOKED", "révoquée", "revoked"),
    ("EXPIRED", "expiré", "expired"),
    ("USED", "utilisé", "used"),
    ("CANCELLED", "annulé", "cancelled"),
    ("DEACTIVATED", "désactivé", "deactivated"),
    // Roles
    ("BRAND_OWNER", "Propriétaire", "Owner"),
    ("BRAND_MANAGER", "Responsable", "Manager"),
    ("BRAND_STAFF", "Équipier", "Staff"),
];

/// The label of `value` in `lang`.
pub(super) fn label(value: &str, lang: Lang) -> String {
    LABELS
        .iter()
        .find(|(code, _, _)| *code == value)
        .map_or_else(
            || value.to_owned(),
            |(_, fr, en)| lang.pick(fr, en).to_owned(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_read_in_the_page_language() {
        assert_eq!(label("POINTS", Lang::Fr), "Points");
        assert_eq!(label("BRAND_STAFF", Lang::Fr), "Équipier");
        assert_eq!(label("BRAND_STAFF", Lang::En), "Staff");
        assert_eq!(label("SOMETHING_NEW", Lang::Fr), "SOMETHING_NEW");
    }
}
