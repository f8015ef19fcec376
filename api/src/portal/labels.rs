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
    // Scoring segments (the defaults; a brand's own keys show as they are)
    ("SEGMENT_NEW", "Nouveaux clients", "New customers"),
    (
        "SEGMENT_INACTIVE",
        "Inactifs (à reconquérir)",
        "Inactive (to win back)",
    ),
    (
        "SEGMENT_VERY_GOOD",
        "Très bons clients",
        "Very good customers",
    ),
    (
        "SEGMENT_AT_RISK",
        "À risque (futurs non-clients)",
        "At risk (future non-customers)",
    ),
    ("SEGMENT_GOOD", "Bons clients", "Good customers"),
    ("SEGMENT_OCCASIONAL", "Occasionnels", "Occasional customers"),
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
    // Mail
    ("MARKETING", "Marketing", "Marketing"),
    ("WELCOME", "Bienvenue", "Welcome"),
    ("VOUCHER_ISSUED", "Bon émis", "Voucher issued"),
    ("REWARD_READY", "Récompense disponible", "Reward ready"),
    (
        "POINTS_EXPIRING",
        "Points bientôt expirés",
        "Points expiring",
    ),
    (
        "MEMBERSHIP_RENEWAL",
        "Renouvellement d'abonnement",
        "Membership renewal",
    ),
    ("BIRTHDAY", "Anniversaire", "Birthday"),
    ("CONTEST_WON", "Gain à un jeu-concours", "Contest prize won"),
    ("DRAFT", "brouillon", "draft"),
    ("SCHEDULED", "programmée", "scheduled"),
    ("SENDING", "en cours d'envoi", "sending"),
    ("PAUSED", "en pause", "paused"),
    ("SENT", "envoyée", "sent"),
    ("UNSUBSCRIBED", "désinscrit", "unsubscribed"),
    ("BOUNCED", "rejeté", "bounced"),
    ("COMPLAINED", "plainte", "complained"),
    // Rewards and vouchers
    ("DISCOUNT", "Remise", "Discount"),
    ("GIFT", "Cadeau", "Gift"),
    ("SERVICE", "Service", "Service"),
    ("AMOUNT", "Montant", "Amount"),
    ("PERCENT", "Pourcentage", "Percentage"),
    // Offers and refund claims
    ("MULTI_BUY", "Lot N pour M", "N for M"),
    ("NTH_AT_PERCENT", "Nième à -X %", "Nth at -X %"),
    ("BUNDLE", "Lot à prix fixe", "Bundle"),
    ("EXTRA_QUANTITY", "Produit en plus", "Extra quantity"),
    ("TRADE_IN", "Reprise", "Trade-in"),
    ("DEFERRED", "Bon différé", "Deferred coupon"),
    ("REFUND", "Remboursement différé (ODR)", "Refund offer"),
    ("PREMIUM", "Prime de fidélité", "Premium"),
    ("SUBMITTED", "déposée", "submitted"),
    ("APPROVED", "acceptée", "approved"),
    ("REJECTED", "refusée", "rejected"),
    ("PAID", "payée", "paid"),
    // Contests
    ("DRAW", "Tirage au sort", "Draw"),
    ("INSTANT_WIN", "Instant gagnant", "Instant win"),
    ("QUIZ", "Quiz", "Quiz"),
    ("OPEN", "ouvert", "open"),
    ("CLOSED", "clos", "closed"),
    ("DRAWN", "tiré", "drawn"),
    ("WON", "gagné", "won"),
    ("CLAIMED", "réclamé", "claimed"),
    ("LAPSED", "perdu (non réclamé)", "lapsed"),
    ("REDRAW", "remis en jeu", "redrawn"),
    ("LAPSE", "perdu", "lost"),
    ("FREE", "gratuite", "free"),
    ("PURCHASE", "achat", "purchase"),
    ("CONTEST", "Jeu-concours", "Contest"),
    ("REFERRAL", "Parrainage", "Referral"),
    ("STARTED", "en cours", "started"),
    ("CONVERTED", "réussi", "converted"),
    (
        "CAPPED",
        "réussi (plafond du parrain atteint)",
        "converted (referrer's cap reached)",
    ),
    (
        "REVERSED",
        "annulé (achat retourné)",
        "reversed (purchase returned)",
    ),
    // Clubs and events
    ("INVITATION", "sur invitation", "by invitation"),
    ("SEGMENT", "par segment", "by segment"),
    ("TIER", "par palier", "by tier"),
    ("TEXT", "texte", "text"),
    ("DATE", "date", "date"),
    ("CHOICE", "choix", "choice"),
    ("EVENT", "Événement", "Event"),
    ("PRIVATE_SALE", "Vente privée", "Private sale"),
    ("WORKSHOP", "Atelier", "Workshop"),
    ("GOING", "inscrit", "going"),
    ("WAITLISTED", "en liste d'attente", "waitlisted"),
    ("CLUB_INVITATION", "Invitation à un club", "Club invitation"),
    (
        "EVENT_INVITATION",
        "Invitation à un événement",
        "Event invitation",
    ),
    ("EVENT_REMINDER", "Rappel d'événement", "Event reminder"),
    (
        "EVENT_SEAT",
        "Place libérée à un événement",
        "Event seat freed",
    ),
    ("EVENT_CANCELLED", "Événement annulé", "Event cancelled"),
    ("EVENT_CHANGED", "Événement modifié", "Event changed"),
    // Coalitions and brands
    ("SUSPENDED", "suspendue", "suspended"),
    ("INVITED", "invitée", "invited"),
    ("DECLINED", "refusée", "declined"),
    ("LEFT", "partie", "left"),
    ("PREPAID", "prépayé", "prepaid"),
    ("POSTPAID", "post-payé", "postpaid"),
    // Rules
    ("DOWN", "à l'unité inférieure", "down"),
    ("NEAREST", "au plus proche", "to the nearest"),
    ("UP", "à l'unité supérieure", "up"),
    (
        "NET_OF_DISCOUNTS",
        "montant payé, remises déduites",
        "amount paid, net of discounts",
    ),
    ("GROSS", "montant avant remises", "gross amount"),
    ("NET_OF_TAX", "montant hors taxes", "amount net of tax"),
    ("ITEMS", "nombre d'articles", "number of items"),
    ("EARNED", "points gagnés", "points earned"),
    ("SPEND", "montant dépensé", "amount spent"),
    ("YEARLY", "annuelle", "yearly"),
    ("MONTHLY", "mensuelle", "monthly"),
    // Roles
    ("BRAND_OWNER", "Propriétaire", "Owner"),
    ("BRAND_MANAGER", "Responsable", "Manager"),
    ("BRAND_STAFF", "Équipier", "Staff"),
    (
        "COALITION_OPERATOR",
        "Opérateur de coalition",
        "Coalition operator",
    ),
    (
        "PLATFORM_ADMIN",
        "Administrateur de la plateforme",
        "Platform administrator",
    ),
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
