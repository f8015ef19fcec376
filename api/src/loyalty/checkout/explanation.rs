//! What the checkout tells the till: each step that applied, with its amounts, and each one that
//! did not, with the reason. Built by the steps as they run; stored with the idempotent result,
//! so a replay explains exactly what the first call did.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::i18n::Lang;

/// A step of the checkout pipeline, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepKind {
    /// An offer of the brand (coupon, multi-buy, bundle, free units, gift, trade-in, deferred
    /// coupon).
    Offer,
    /// A paid membership's discount on the basket.
    MembershipDiscount,
    /// A voucher presented at the till.
    Voucher,
    /// Part of the basket paid from the member's cashback.
    CashbackPayment,
    /// Part of the basket paid from the member's stored value.
    StoredValuePayment,
    /// What the programs give: points, cashback, stamps.
    Earning,
    /// A tier move after the purchase.
    Tier,
}

/// Why a step did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SkipReason {
    /// No card or member: an anonymous checkout earns nothing.
    NoMember,
    /// The member has no paid period of this membership at the purchase's date.
    NoPaidMembership,
    /// Loyalty value already paid the whole basket.
    NothingLeftToDiscount,
    /// The basket is below the program's minimum.
    MinimumBasketNotReached,
    /// Every line is in a category the program excludes (or not in the one it counts).
    CategoryExcluded,
    /// Loyalty value paid the whole earning base.
    PaidWithLoyaltyValue,
    /// The basket earns less than one unit (point, cent, stamp) after rounding.
    TooSmall,
    /// The member's tier did not change.
    NoTierChange,
    /// No line of the basket is one the offer is for.
    NotInBasket,
    /// Fewer units than the offer needs.
    NotEnoughUnits,
    /// No old product of the right category was traded in.
    NoTradeIn,
    /// The member used the offer as often as allowed (in this period).
    MemberLimitReached,
    /// The offer was redeemed as often as allowed.
    RedemptionsExhausted,
    /// The offer's budget is spent.
    BudgetExhausted,
    /// No gift left.
    OutOfStock,
    /// Another combination of offers gave the customer more.
    NotBestCombination,
    /// The offer is for members of other tiers.
    NotForTier,
    /// The offer is for a saved segment the member is not in.
    NotInSegment,
    /// The offer is for the members of a club the member is not in.
    NotInClub,
    /// The member bought the offer's product recently.
    RecentlyBought,
    /// The brand's cap on offers per basket left nothing for the offer.
    Capped,
}

impl From<crate::loyalty::offers::engine::Skip> for SkipReason {
    fn from(skip: crate::loyalty::offers::engine::Skip) -> Self {
        use crate::loyalty::offers::engine::Skip;
        match skip {
            Skip::NotInBasket => Self::NotInBasket,
            Skip::MinimumBasketNotReached => Self::MinimumBasketNotReached,
            Skip::NotEnoughUnits => Self::NotEnoughUnits,
            Skip::NothingLeftToDiscount => Self::NothingLeftToDiscount,
            Skip::NoTradeIn => Self::NoTradeIn,
            Skip::NoMember => Self::NoMember,
            Skip::MemberLimitReached => Self::MemberLimitReached,
            Skip::RedemptionsExhausted => Self::RedemptionsExhausted,
            Skip::BudgetExhausted => Self::BudgetExhausted,
            Skip::OutOfStock => Self::OutOfStock,
            Skip::NotBestCombination => Self::NotBestCombination,
            Skip::NotForTier => Self::NotForTier,
            Skip::NotInSegment => Self::NotInSegment,
            Skip::NotInClub => Self::NotInClub,
            Skip::RecentlyBought => Self::RecentlyBought,
            Skip::Capped => Self::Capped,
        }
    }
}

impl SkipReason {
    /// The reason as a person reads it, in French or English.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Self::NoMember => lang.pick(
                "aucune carte ni aucun membre : rien n'est crédité",
                "no card or member: nothing is earned",
            ),
            Self::NoPaidMembership => lang.pick(
                "pas d'adhésion payée à la date de l'achat",
                "no paid membership at the purchase's date",
            ),
            Self::NothingLeftToDiscount => lang.pick(
                "plus rien à remiser : le panier est déjà réglé",
                "nothing left to discount: the basket is already paid",
            ),
            Self::MinimumBasketNotReached => {
                lang.pick("panier minimum non atteint", "minimum basket not reached")
            }
            Self::CategoryExcluded => lang.pick("catégorie exclue", "category excluded"),
            Self::PaidWithLoyaltyValue => lang.pick(
                "réglé en valeur fidélité, qui ne rapporte rien",
                "paid with loyalty value, which earns nothing",
            ),
            Self::TooSmall => lang.pick(
                "moins d'une unité après arrondi",
                "less than one unit after rounding",
            ),
            Self::NoTierChange => lang.pick("palier inchangé", "tier unchanged"),
            Self::NotInBasket => lang.pick(
                "aucun article concerné dans le panier",
                "no item of the offer in the basket",
            ),
            Self::NotEnoughUnits => lang.pick(
                "pas assez d'articles concernés",
                "not enough items of the offer",
            ),
            Self::NoTradeIn => lang.pick("aucun ancien produit repris", "no old product traded in"),
            Self::MemberLimitReached => {
                lang.pick("limite par membre atteinte", "limit per member reached")
            }
            Self::RedemptionsExhausted => {
                lang.pick("nombre d'utilisations épuisé", "no redemptions left")
            }
            Self::BudgetExhausted => lang.pick("budget épuisé", "budget spent"),
            Self::OutOfStock => lang.pick("plus de stock", "out of stock"),
            Self::NotForTier => {
                lang.pick("réservée à d'autres paliers", "for members of other tiers")
            }
            Self::NotInSegment => lang.pick(
                "réservée à un segment de clients",
                "for a segment of customers",
            ),
            Self::NotInClub => lang.pick(
                "réservée aux membres d'un club",
                "for the members of a club",
            ),
            Self::RecentlyBought => {
                lang.pick("produit déjà acheté récemment", "product bought recently")
            }
            Self::Capped => lang.pick(
                "plafond des remises du panier atteint",
                "the basket's cap on offers is reached",
            ),
            Self::NotBestCombination => lang.pick(
                "une autre combinaison d'offres est plus avantageuse",
                "another combination of offers gives more",
            ),
        }
    }
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepLine {
    pub kind: StepKind,
    pub applied: bool,
    #[serde(default)]
    pub program_id: Option<Uuid>,
    #[serde(default)]
    pub program_name: Option<String>,
    /// The voucher's code (VOUCHER), a tier's name (TIER), reward voucher codes (EARNING).
    #[serde(default)]
    pub label: Option<String>,
    /// Money this step moved, in minor units of the purchase currency (discount, payment,
    /// cashback earned).
    #[serde(default)]
    pub amount_minor: i64,
    /// Points or stamps this step gave.
    #[serde(default)]
    pub points: i64,
    #[serde(default)]
    pub reason: Option<SkipReason>,
    /// The offer (OFFER lines).
    #[serde(default)]
    pub offer_id: Option<Uuid>,
    /// An offer cut by the brand's cap on offers per basket.
    #[serde(default)]
    pub capped: bool,
    /// The SKU of the free line an offer gave (`points` holds its units).
    #[serde(default)]
    pub free_sku: Option<String>,
    /// The voucher a deferred coupon issued.
    #[serde(default)]
    pub voucher_code: Option<String>,
    /// The points a premium credited with this purchase.
    #[serde(default)]
    pub premium_points: i64,
    /// The gift a premium gave with this purchase, for the till to hand over.
    #[serde(default)]
    pub premium_gift_sku: Option<String>,
}

impl StepLine {
    pub fn applied(kind: StepKind) -> Self {
        Self {
            kind,
            applied: true,
            program_id: None,
            program_name: None,
            label: None,
            amount_minor: 0,
            points: 0,
            reason: None,
            offer_id: None,
            capped: false,
            free_sku: None,
            voucher_code: None,
            premium_points: 0,
            premium_gift_sku: None,
        }
    }

    /// The offer this line is about (its name as the label).
    pub fn offer(mut self, id: Uuid, name: &str) -> Self {
        self.offer_id = Some(id);
        self.label = Some(name.to_owned());
        self
    }

    pub fn skipped(kind: StepKind, reason: SkipReason) -> Self {
        Self {
            applied: false,
            reason: Some(reason),
            ..Self::applied(kind)
        }
    }

    pub fn program(mut self, id: Uuid, name: &str) -> Self {
        self.program_id = Some(id);
        self.program_name = Some(name.to_owned());
        self
    }

    pub fn amount(mut self, amount: crate::core::money::Money) -> Self {
        self.amount_minor = amount.minor();
        self
    }

    pub fn points(mut self, points: crate::core::money::Points) -> Self {
        self.points = points.get();
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}
