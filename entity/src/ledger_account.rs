//! An account of the double-entry ledger. `balance` is a cache of the sum of the account's
//! entries, updated in the transaction that posts them; `fidelis ledger verify` proves it.
//! Member accounts never go below zero.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Stable name within the brand, e.g. `member:<id>:points:<program>` or `brand:points-issued:<program>`.
    pub code: String,
    pub kind: AccountKind,
    pub member_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    /// `POINTS`, `STAMPS`, or an ISO 4217 currency for money.
    pub unit: String,
    pub balance: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What an account stands for. Member accounts hold value owed to the member; brand accounts
/// are where that value comes from and goes to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AccountKind {
    /// A member's points (held in lots with an expiry date).
    #[sea_orm(string_value = "MEMBER_POINTS")]
    MemberPoints,
    /// Points a member owes back (a return after the points were spent): zero or negative,
    /// repaid first from later earnings.
    #[sea_orm(string_value = "MEMBER_POINTS_DEBT")]
    MemberPointsDebt,
    /// A member's cashback money.
    #[sea_orm(string_value = "MEMBER_CASHBACK")]
    MemberCashback,
    /// A member's stamps.
    /// Cashback owed after a return of cashback already spent (zero or below), repaid from the
    /// next cashback earned.
    #[sea_orm(string_value = "MEMBER_CASHBACK_DEBT")]
    MemberCashbackDebt,
    /// Stamps owed after a return of a purchase whose stamp was already turned into a reward.
    #[sea_orm(string_value = "MEMBER_STAMPS_DEBT")]
    MemberStampsDebt,
    #[sea_orm(string_value = "MEMBER_STAMPS")]
    MemberStamps,
    /// A member's prepaid money.
    #[sea_orm(string_value = "MEMBER_STORED_VALUE")]
    MemberStoredValue,
    /// Source of every point the brand gives (negative: the liability it created).
    #[sea_orm(string_value = "BRAND_POINTS_ISSUED")]
    BrandPointsIssued,
    /// Where redeemed points go.
    #[sea_orm(string_value = "BRAND_POINTS_REDEEMED")]
    BrandPointsRedeemed,
    /// Where expired points go (breakage).
    #[sea_orm(string_value = "BRAND_POINTS_EXPIRED")]
    BrandPointsExpired,
    #[sea_orm(string_value = "BRAND_CASHBACK_ISSUED")]
    BrandCashbackIssued,
    #[sea_orm(string_value = "BRAND_CASHBACK_SPENT")]
    BrandCashbackSpent,
    #[sea_orm(string_value = "BRAND_STAMPS_ISSUED")]
    BrandStampsIssued,
    #[sea_orm(string_value = "BRAND_STAMPS_CONVERTED")]
    BrandStampsConverted,
    /// Membership fees a member paid, in the brand currency (grows with each period).
    #[sea_orm(string_value = "MEMBER_MEMBERSHIP_FEES")]
    MemberMembershipFees,
    /// What a paid membership saved its member (discounts given), net of returns.
    #[sea_orm(string_value = "MEMBER_MEMBERSHIP_SAVINGS")]
    MemberMembershipSavings,
    /// Counterpart of fees: the brand's membership revenue.
    #[sea_orm(string_value = "BRAND_MEMBERSHIP_REVENUE")]
    BrandMembershipRevenue,
    /// Counterpart of savings: discounts the brand gave to its paying members.
    #[sea_orm(string_value = "BRAND_MEMBERSHIP_DISCOUNTS")]
    BrandMembershipDiscounts,
    /// Money paid in for stored value (the float the brand holds).
    #[sea_orm(string_value = "STORED_VALUE_FLOAT")]
    StoredValueFloat,
    /// Stored value spent at the checkout.
    #[sea_orm(string_value = "STORED_VALUE_SPENT")]
    StoredValueSpent,
    /// What one offer cost the brand (discounts and free goods), net of returns: negative.
    #[sea_orm(string_value = "BRAND_OFFER_EXPENSE")]
    BrandOfferExpense,
    /// Counterpart of an offer's expense: the value its customers received.
    #[sea_orm(string_value = "BRAND_OFFER_GIVEN")]
    BrandOfferGiven,
    /// Refund claims (ODR) approved and not yet paid, per offer: the brand owes them.
    #[sea_orm(string_value = "BRAND_ODR_PAYABLE")]
    BrandOdrPayable,
    /// Refund claims paid out, per offer (Fidelis records the payout; it moves no money).
    #[sea_orm(string_value = "BRAND_ODR_PAID")]
    BrandOdrPaid,
    /// What a member owes for an offer's advantage already used (a deferred coupon or premium
    /// voucher spent, a premium gift handed over) when the purchase that earned it was
    /// returned: zero or negative; settled by withholding it from a later refund, by a payment
    /// at the till, or waived.
    #[sea_orm(string_value = "MEMBER_OFFER_DEBT")]
    MemberOfferDebt,
    /// Counterpart of members' offer debts, per offer: what the offer's members owe back.
    #[sea_orm(string_value = "BRAND_OFFER_CLAWBACK")]
    BrandOfferClawback,
    /// Members' offer debts settled (withheld from a refund, paid or waived), brand-wide.
    #[sea_orm(string_value = "BRAND_OFFER_DEBT_SETTLED")]
    BrandOfferDebtSettled,
}

impl AccountKind {
    /// Accounts holding what is owed to a member: they never go below zero.
    pub fn never_negative(self) -> bool {
        matches!(
            self,
            Self::MemberPoints
                | Self::MemberCashback
                | Self::MemberStamps
                | Self::MemberStoredValue
                | Self::MemberMembershipFees
                | Self::MemberMembershipSavings
        )
    }

    /// Debts a member owes: zero or below, never above (a repayment never exceeds the debt).
    pub fn never_positive(self) -> bool {
        matches!(
            self,
            Self::MemberPointsDebt
                | Self::MemberCashbackDebt
                | Self::MemberStampsDebt
                | Self::MemberOfferDebt
        )
    }

    /// Short stable name used in account codes.
    pub fn code(self) -> &'static str {
        match self {
            Self::MemberPoints => "member-points",
            Self::MemberPointsDebt => "member-points-debt",
            Self::MemberCashback => "member-cashback",
            Self::MemberStamps => "member-stamps",
            Self::MemberCashbackDebt => "member-cashback-debt",
            Self::MemberStampsDebt => "member-stamps-debt",
            Self::MemberStoredValue => "member-stored-value",
            Self::BrandPointsIssued => "brand-points-issued",
            Self::BrandPointsRedeemed => "brand-points-redeemed",
            Self::BrandPointsExpired => "brand-points-expired",
            Self::BrandCashbackIssued => "brand-cashback-issued",
            Self::BrandCashbackSpent => "brand-cashback-spent",
            Self::BrandStampsIssued => "brand-stamps-issued",
            Self::BrandStampsConverted => "brand-stamps-converted",
            Self::MemberMembershipFees => "member-membership-fees",
            Self::MemberMembershipSavings => "member-membership-savings",
            Self::BrandMembershipRevenue => "brand-membership-revenue",
            Self::BrandMembershipDiscounts => "brand-membership-discounts",
            Self::StoredValueFloat => "stored-value-float",
            Self::StoredValueSpent => "stored-value-spent",
            Self::BrandOfferExpense => "brand-offer-expense",
            Self::BrandOfferGiven => "brand-offer-given",
            Self::BrandOdrPayable => "brand-odr-payable",
            Self::BrandOdrPaid => "brand-odr-paid",
            Self::MemberOfferDebt => "member-offer-debt",
            Self::BrandOfferClawback => "brand-offer-clawback",
            Self::BrandOfferDebtSettled => "brand-offer-debt-settled",
        }
    }
}
