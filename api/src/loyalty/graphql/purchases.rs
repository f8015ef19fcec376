//! Purchases: `recordPurchase` and `purchase`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{purchase, purchase_line};

use crate::{
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
        i18n::Lang,
    },
    loyalty::checkout::{Buyer, Earning, LineInput, RecordPurchase, Recorded},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::purchase::Channel")]
pub enum Channel {
    InStore,
    Online,
    MobileApp,
}

#[derive(InputObject)]
pub struct PurchaseLineInput {
    pub sku: String,
    pub category: Option<String>,
    #[graphql(default = 1)]
    pub quantity: i32,
    /// Unit price in minor units, tax included.
    pub unit_price_minor: i64,
    /// Discount on the line, in minor units.
    #[graphql(default)]
    pub discount_minor: i64,
    /// Tax included in the line, in minor units (for NET_OF_TAX programs).
    #[graphql(default)]
    pub tax_minor: i64,
}

#[derive(InputObject)]
pub struct RecordPurchaseInput {
    /// The card scanned or typed at the checkout.
    pub card_number: Option<String>,
    /// Or the member, when known without a card. Neither: an anonymous purchase.
    pub member_id: Option<ID>,
    pub store: Option<String>,
    #[graphql(default_with = "Channel::InStore")]
    pub channel: Channel,
    /// What the customer paid for the basket, in minor units: the sum of the lines less their
    /// discounts.
    pub total_minor: i64,
    /// Must be the brand's currency.
    pub currency: String,
    #[graphql(default)]
    pub lines: Vec<PurchaseLineInput>,
    /// When the purchase happened (default now). It dates the accounting (earning rules,
    /// periods, expiry); vouchers and offers are judged valid or not when the purchase is
    /// recorded. At most `FIDELIS_MAX_BACKDATE_DAYS` (30) days back, or 10 years for owners,
    /// managers and API keys with the `history:import` scope.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Vouchers presented, applied in this order, each code once per basket; a voucher's
    /// minimum is checked on the basket before any loyalty payment. The part they pay earns
    /// no points.
    #[graphql(default)]
    pub voucher_codes: Vec<String>,
    /// Part paid from the member's stored value (prepaid balance), in minor units.
    #[graphql(default)]
    pub stored_value_minor: i64,
    /// Part paid from the member's cashback balance, in minor units (loyalty value: it earns
    /// nothing). Cashback earned by this purchase is spendable from the next one.
    #[graphql(default)]
    pub cashback_minor: i64,
    /// Tax of the whole purchase in minor units, when not given per line: spread over the lines
    /// by value (for NET_OF_TAX programs).
    #[graphql(default)]
    pub tax_minor: i64,
    /// Codes of offers applied by code (an unknown or expired code is refused); offers without
    /// a code apply by themselves.
    #[graphql(default)]
    pub offer_codes: Vec<String>,
    /// Old products brought back for a trade-in offer.
    #[graphql(default)]
    pub trade_ins: Vec<TradeInInput>,
    /// Makes the call safe to retry: a replay returns the first outcome and books nothing.
    pub idempotency_key: Option<String>,
}

/// An old product brought back at the till for a trade-in offer.
#[derive(InputObject)]
pub struct TradeInInput {
    /// Its category, as the trade-in offer names it.
    pub category: String,
    /// A proof: a serial number or a free text (at most 200 characters).
    pub reference: String,
}

#[derive(SimpleObject, Clone)]
pub struct PurchaseLine {
    pub line_no: i32,
    pub sku: String,
    pub category: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    /// This line's share of the points earned.
    pub points_earned: i64,
    pub returned_quantity: i32,
    /// The part of `discountMinor` the brand's offers gave.
    pub offer_discount_minor: i64,
    /// For a free line (gift, sample, free units, at a price of zero): the offer that gave it.
    pub offer_id: Option<ID>,
}

impl From<purchase_line::Model> for PurchaseLine {
    fn from(l: purchase_line::Model) -> Self {
        Self {
            line_no: l.line_no,
            sku: l.sku,
            category: l.category,
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            discount_minor: l.discount_minor,
            tax_minor: l.tax_minor,
            points_earned: l.points_earned,
            returned_quantity: l.returned_quantity,
            offer_discount_minor: l.offer_discount_minor,
            offer_id: l.offer_id.map(|id| ID(id.to_string())),
        }
    }
}

/// What one program gave.
#[derive(SimpleObject, Clone)]
pub struct ProgramEarning {
    pub program_id: ID,
    pub program_name: String,
    pub points: i64,
    pub expires_at: Option<DateTime<Utc>>,
    /// Cashback credited (CASHBACK programs), in minor units.
    pub cashback_minor: i64,
    /// Stamps given (STAMPS programs).
    pub stamps: i64,
    /// Codes of the reward vouchers issued because a stamp card filled up.
    pub reward_voucher_codes: Vec<String>,
    /// The tier the member moved up to with this purchase, if any.
    pub new_tier: Option<String>,
}

impl From<Earning> for ProgramEarning {
    fn from(e: Earning) -> Self {
        Self {
            program_id: ID(e.program_id.to_string()),
            program_name: e.program_name,
            points: e.points,
            expires_at: e.expires_at,
            cashback_minor: e.cashback_minor,
            stamps: e.stamps,
            reward_voucher_codes: e.rewards,
            new_tier: e.tier,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct Purchase {
    pub id: ID,
    pub member_id: Option<ID>,
    pub store: Option<String>,
    pub channel: Channel,
    /// What the customer owes for the basket, in minor units: the lines less their discounts,
    /// the offers' included.
    pub total_minor: i64,
    /// What the brand's offers took off the basket, in minor units (already out of
    /// `totalMinor`).
    pub offer_discount_minor: i64,
    pub currency: String,
    pub occurred_at: DateTime<Utc>,
    pub points_earned: i64,
    pub lines: Vec<PurchaseLine>,
}

fn purchase_view(p: purchase::Model, lines: Vec<purchase_line::Model>) -> Purchase {
    Purchase {
        id: ID(p.id.to_string()),
        member_id: p.member_id.map(|m| ID(m.to_string())),
        store: p.store,
        channel: p.channel.into(),
        total_minor: p.total_minor,
        offer_discount_minor: p.offer_discount_minor,
        currency: p.currency,
        occurred_at: p.occurred_at,
        points_earned: p.points_earned,
        lines: lines.into_iter().map(Into::into).collect(),
    }
}

/// A voucher used at the checkout.
#[derive(SimpleObject, Clone)]
pub struct AppliedVoucher {
    pub code: String,
    pub discount_minor: i64,
}

/// What an offer gave a purchase.
#[derive(SimpleObject, Clone)]
pub struct AppliedOffer {
    pub offer_id: ID,
    /// Discount on the lines, in minor units.
    pub discount_minor: i64,
    /// Value of the free goods given (gift, sample, free units) at their price, in minor units.
    pub value_minor: i64,
    /// The voucher a deferred coupon issued for a later visit.
    pub voucher_code: Option<String>,
    /// The points a premium credited (a premium in points, on its N-th proof; in a preview,
    /// what it would credit).
    pub premium_points: i64,
    /// The gift a premium gave with this purchase, for the till to hand over (in a preview,
    /// what it would give).
    pub premium_gift_sku: Option<String>,
}

/// The outcome of `recordPurchase` (and of `previewCheckout`, where nothing is recorded).
#[derive(SimpleObject)]
pub struct RecordPurchasePayload {
    pub purchase: Purchase,
    /// What the brand's offers took off the basket, in minor units.
    pub offer_discount_minor: i64,
    /// What each offer that applied gave; the explanation's OFFER steps say why the others
    /// did not.
    pub offers: Vec<AppliedOffer>,
    /// Vouchers used, with their discount.
    pub vouchers: Vec<AppliedVoucher>,
    /// Paid from stored value, in minor units.
    pub stored_value_minor: i64,
    /// Paid from cashback, in minor units.
    pub cashback_minor: i64,
    /// Discount given by the member's paid membership, in minor units.
    pub membership_discount_minor: i64,
    /// What remains to pay after vouchers, cashback and stored value, in minor units.
    pub amount_due_minor: i64,
    /// What each program gave.
    pub earnings: Vec<ProgramEarning>,
    /// How the checkout went, step by step: each step that applied, with its amounts, and each
    /// that did not, with the reason (what the till can show the customer).
    pub explanation: Vec<CheckoutStep>,
}

/// A step of the checkout, in the order they run.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::checkout::explanation::StepKind")]
pub enum CheckoutStepKind {
    /// An offer of the brand (coupon, multi-buy, bundle, free units, gift, trade-in, deferred
    /// coupon): its name as the label, its discount plus free goods' value as the amount.
    Offer,
    /// A paid membership's discount on the basket.
    MembershipDiscount,
    /// A voucher presented at the till.
    Voucher,
    /// Part of the basket paid from the member's cashback.
    CashbackPayment,
    /// Part of the basket paid from the member's stored value.
    StoredValuePayment,
    /// What a program gives: points, cashback or stamps.
    Earning,
    /// A tier move after the purchase.
    Tier,
}

/// Why a checkout step did not apply.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::loyalty::checkout::explanation::SkipReason")]
pub enum CheckoutSkipReason {
    /// No card or member: an anonymous checkout earns nothing.
    NoMember,
    /// No paid period of this membership at the purchase's date.
    NoPaidMembership,
    /// Loyalty value already paid the whole basket.
    NothingLeftToDiscount,
    /// The basket is below the program's minimum.
    MinimumBasketNotReached,
    /// Every line is in a category the program excludes (or not in the one it counts).
    CategoryExcluded,
    /// Loyalty value paid the whole earning base.
    PaidWithLoyaltyValue,
    /// Less than one point, cent or stamp after rounding.
    TooSmall,
    /// The member's tier did not change.
    NoTierChange,
    /// No line of the basket is one the offer is for.
    NotInBasket,
    /// Fewer units than the offer needs (a multi-buy, a bundle part).
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
    /// Another combination of offers (an exclusive one, or the stackable ones) gave more.
    NotBestCombination,
    /// The offer is for members of other tiers.
    NotForTier,
    /// The offer is for a saved segment the member is not in.
    NotInSegment,
    /// The offer is for the members of a club the member is not in.
    NotInClub,
    /// The member bought the offer's product in its "just bought" window.
    RecentlyBought,
    /// The brand's cap on offers per basket left nothing for the offer.
    Capped,
}

/// One line of a checkout's explanation.
#[derive(SimpleObject)]
pub struct CheckoutStep {
    pub step: CheckoutStepKind,
    pub applied: bool,
    /// The program the step is about (membership discount, earning, tier).
    pub program_id: Option<ID>,
    pub program_name: Option<String>,
    /// The voucher's code (VOUCHER), the tier reached (TIER), reward vouchers issued by full
    /// stamp cards (EARNING).
    pub label: Option<String>,
    /// Money the step moved, in minor units: a discount, a payment, cashback earned.
    pub amount_minor: i64,
    /// Points or stamps the step gave.
    pub points: i64,
    /// Why the step did not apply.
    pub reason: Option<CheckoutSkipReason>,
    /// The reason in the brand's language.
    pub note: Option<String>,
    /// The offer the step is about (OFFER).
    pub offer_id: Option<ID>,
    /// The offer was cut by the brand's cap on offers per basket.
    pub capped: bool,
    /// The SKU of the free line the offer gave (`points` holds its units).
    pub free_sku: Option<String>,
    /// The voucher a deferred coupon issued.
    pub voucher_code: Option<String>,
    /// The points a premium credited with this purchase (OFFER; in a preview, what it would
    /// credit). For a premium offer, `points` holds the proofs the purchase brought.
    pub premium_points: i64,
    /// The gift a premium gave with this purchase, for the till to hand over (OFFER; in a
    /// preview, what it would give).
    pub premium_gift_sku: Option<String>,
}

impl CheckoutStep {
    fn new(line: crate::loyalty::checkout::explanation::StepLine, lang: Lang) -> Self {
        Self {
            step: line.kind.into(),
            applied: line.applied,
            program_id: line.program_id.map(|id| ID(id.to_string())),
            program_name: line.program_name,
            label: line.label,
            amount_minor: line.amount_minor,
            points: line.points,
            reason: line.reason.map(Into::into),
            note: line.reason.map(|r| r.text(lang).to_owned()),
            offer_id: line.offer_id.map(|id| ID(id.to_string())),
            capped: line.capped,
            free_sku: line.free_sku,
            voucher_code: line.voucher_code,
            premium_points: line.premium_points,
            premium_gift_sku: line.premium_gift_sku,
        }
    }
}

impl RecordPurchasePayload {
    fn new(r: Recorded, lang: Lang) -> Self {
        let amount_due_minor =
            r.purchase.total_minor - r.purchase.loyalty_paid_minor - r.stored_value_minor;
        Self {
            offer_discount_minor: r.purchase.offer_discount_minor,
            offers: r
                .offers
                .into_iter()
                .map(|o| AppliedOffer {
                    offer_id: ID(o.offer_id.to_string()),
                    discount_minor: o.discount_minor,
                    value_minor: o.value_minor,
                    voucher_code: o.voucher_code,
                    premium_points: o.premium_points,
                    premium_gift_sku: o.premium_gift_sku,
                })
                .collect(),
            purchase: purchase_view(r.purchase, r.lines),
            vouchers: r
                .vouchers
                .into_iter()
                .map(|(code, discount_minor)| AppliedVoucher {
                    code,
                    discount_minor,
                })
                .collect(),
            amount_due_minor,
            stored_value_minor: r.stored_value_minor,
            cashback_minor: r.cashback_minor,
            membership_discount_minor: r.membership_discount_minor,
            earnings: r.earnings.into_iter().map(Into::into).collect(),
            explanation: r
                .explanation
                .into_iter()
                .map(|line| CheckoutStep::new(line, lang))
                .collect(),
        }
    }
}

#[derive(InputObject)]
pub struct ReturnLineInput {
    pub line_no: i32,
    pub quantity: i32,
}

#[derive(InputObject)]
pub struct RecordReturnInput {
    pub purchase_id: ID,
    /// Lines and quantities brought back; empty: everything not yet returned.
    #[graphql(default)]
    pub lines: Vec<ReturnLineInput>,
    /// Makes the call safe to retry: a replay returns the first outcome and reverses nothing.
    pub idempotency_key: Option<String>,
}

/// The outcome of `recordReturn`.
#[derive(SimpleObject)]
pub struct RecordReturnPayload {
    /// The purchase, with its returned quantities.
    pub purchase: Purchase,
    /// Points taken back from the member.
    pub points_reversed: i64,
    /// Points the member had already spent, now owed and repaid from the next earnings.
    pub points_to_debt: i64,
    /// Cashback taken back, in minor units.
    pub cashback_reversed_minor: i64,
    /// Cashback already spent, now owed and repaid from the next cashback.
    pub cashback_to_debt_minor: i64,
    /// Stamps taken back.
    pub stamps_reversed: i64,
    /// Stamps already turned into a reward, now owed and repaid from the next stamps.
    pub stamps_to_debt: i64,
    /// Paid-membership savings taken back (the discount on the returned part).
    pub savings_reversed_minor: i64,
    /// Cashback that paid for the returned part, given back to the member.
    pub cashback_refunded_minor: i64,
    /// Stored value that paid for the returned part, given back to the member.
    pub stored_value_refunded_minor: i64,
    /// What the returned units cost: their lines' net price after offers, in minor units (the
    /// money the till hands back is `refundDueMinor`).
    pub refund_minor: i64,
    /// The offers' discount on the returned units, given back to the offers' budgets.
    pub offer_discount_returned_minor: i64,
    /// What the member now owes for offers' advantages already used whose purchase this
    /// return took back: a deferred coupon's or a premium's voucher spent (what it took off),
    /// a premium gift handed over (its value). Unused vouchers are cancelled instead.
    pub offer_debt_minor: i64,
    /// The member's offer debt (this return's and earlier ones) kept from this refund, up to
    /// what the till hands back.
    pub offer_debt_withheld_minor: i64,
    /// Offer debt owed no more: the returned units were paid by a voucher whose value was owed
    /// (the purchase that earned it came back first). Taken off the debt, or handed back with
    /// the refund (in `refundDueMinor`) when it was already settled.
    pub offer_debt_given_back_minor: i64,
    /// The money the till hands back: the returned share of what the customer paid in money
    /// (the purchase's total less what vouchers, membership discount, cashback and stored
    /// value paid: cashback and stored value go back to their balances — cashback a program
    /// does not give back is handed back as money —, a voucher is not money), plus offer debt
    /// given back, less `offerDebtWithheldMinor`. Partial returns add up to what was paid,
    /// never more.
    pub refund_due_minor: i64,
}

/// A basket to preview in one program: what it would earn, nothing recorded.
#[derive(InputObject)]
pub struct PreviewEarningInput {
    pub program_id: ID,
    /// Rules not saved yet (the program's mechanic); the rules in force when absent.
    pub rules: Option<super::programs::RulesInput>,
    /// What the customer pays, in minor units of the brand's currency.
    pub total_minor: i64,
    #[graphql(default)]
    pub lines: Vec<PurchaseLineInput>,
    /// Tax of the whole basket, in minor units, when not given per line.
    #[graphql(default)]
    pub tax_minor: i64,
    /// When the basket would be bought (default now): it picks the rules' date-bound parts.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// What a basket would earn in a program, for a member at the base tier with no membership.
#[derive(SimpleObject)]
pub struct EarningPreview {
    /// Points, cashback or stamps it would give; null for programs that give nothing at a
    /// checkout (stored value, memberships).
    pub earning: Option<ProgramEarning>,
    /// The earning step as the till's explanation would show it (with the reason when it gives
    /// nothing).
    pub step: CheckoutStep,
}

#[derive(Default)]
pub struct PurchaseQuery;

#[Object]
impl PurchaseQuery {
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn purchase(&self, ctx: &Context<'_>, id: ID) -> Result<Purchase> {
        let (p, lines) =
            crate::loyalty::checkout::get(ctx.scope()?, crate::core::types::id("id", &id)?).await?;
        Ok(purchase_view(p, lines))
    }

    /// What the till shows before payment: the offers that would apply (and why the others
    /// would not), the membership discount, vouchers, payments and what each program would give,
    /// exactly as `recordPurchase` would record them now, with nothing written (no purchase, no
    /// offer limit or voucher used). `idempotencyKey` is ignored; the purchase's id is not kept.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn preview_checkout(
        &self,
        ctx: &Context<'_>,
        input: RecordPurchaseInput,
    ) -> Result<RecordPurchasePayload> {
        let command = command(ctx, input)?;
        let scope = ctx.scope()?;
        let previewed = crate::loyalty::checkout::preview(scope, command).await?;
        let lang = Lang::of_locale(&scope.brand().await?.locale);
        Ok(RecordPurchasePayload::new(previewed, lang))
    }

    /// What a basket would earn in one program, under its rules in force or under rules not
    /// saved yet: nothing is recorded. For "what would this basket earn" before saving rules.
    #[graphql(guard = "PermissionGuard(Permission::ViewPrograms)")]
    async fn preview_earning(
        &self,
        ctx: &Context<'_>,
        input: PreviewEarningInput,
    ) -> Result<EarningPreview> {
        let program = crate::core::types::id("input.programId", &input.program_id)?;
        let rules = input.rules.map(|r| r.into_rules()).transpose()?;
        let scope = ctx.scope()?;
        let brand = scope.brand().await?;
        let basket = RecordPurchase {
            buyer: Buyer::Anonymous,
            store: None,
            channel: purchase::Channel::InStore,
            total_minor: input.total_minor,
            currency: brand.currency.clone(),
            lines: input.lines.into_iter().map(line_input).collect(),
            occurred_at: input.occurred_at,
            max_backdate: chrono::Duration::days(3650),
            voucher_codes: Vec::new(),
            stored_value_minor: 0,
            cashback_minor: 0,
            tax_minor: input.tax_minor,
            offer_codes: Vec::new(),
            trade_ins: Vec::new(),
        };
        let (earned, step) =
            crate::loyalty::checkout::preview::earning(scope, program, rules, &basket).await?;
        Ok(EarningPreview {
            earning: earned.map(|e| e.earning.into()),
            step: CheckoutStep::new(step, Lang::of_locale(&brand.locale)),
        })
    }
}

fn line_input(l: PurchaseLineInput) -> LineInput {
    LineInput {
        sku: l.sku,
        category: l.category,
        quantity: l.quantity,
        unit_price_minor: l.unit_price_minor,
        discount_minor: l.discount_minor,
        tax_minor: l.tax_minor,
    }
}

#[derive(Default)]
pub struct PurchaseMutation;

#[Object]
impl PurchaseMutation {
    /// Records a purchase and credits what the programs give. Replaying the same
    /// `idempotencyKey` returns the first result and books nothing.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn record_purchase(
        &self,
        ctx: &Context<'_>,
        input: RecordPurchaseInput,
    ) -> Result<RecordPurchasePayload> {
        let key = input.idempotency_key.clone();
        let command = command(ctx, input)?;
        let scope = ctx.scope()?;
        let recorded = crate::loyalty::checkout::record(scope, command, key.as_deref()).await?;
        // The brand's row is read once per request (the checkout read it already); the purchase
        // is committed, so a failure here must not turn it into an error.
        let lang = scope
            .brand()
            .await
            .map(|b| Lang::of_locale(&b.locale))
            .unwrap_or_default();
        Ok(RecordPurchasePayload::new(recorded, lang))
    }

    /// Records the return of a whole purchase or of some lines: reverses exactly what the
    /// returned part earned, never more. A unit can be returned once; returns of one purchase
    /// are serialised, so however they interleave, once every unit is back the purchase's
    /// reversals add up to what it earned and its refunds to the loyalty money that paid.
    /// Points of the purchase that already expired are not taken back a second time: only what
    /// is still held from it, or was spent, is reversed (spent points become a debt).
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn record_return(
        &self,
        ctx: &Context<'_>,
        input: RecordReturnInput,
    ) -> Result<RecordReturnPayload> {
        let scope = ctx.scope()?;
        let purchase_id = crate::core::types::id("input.purchaseId", &input.purchase_id)?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| crate::loyalty::returns::ReturnLine {
                line_no: l.line_no,
                quantity: l.quantity,
            })
            .collect();
        let outcome = crate::loyalty::returns::record(
            scope,
            purchase_id,
            lines,
            input.idempotency_key.as_deref(),
        )
        .await?;
        let (p, lines) = crate::loyalty::checkout::get(scope, purchase_id).await?;
        Ok(RecordReturnPayload {
            purchase: purchase_view(p, lines),
            points_reversed: outcome.points_reversed,
            points_to_debt: outcome.points_to_debt,
            cashback_reversed_minor: outcome.cashback_reversed_minor,
            cashback_to_debt_minor: outcome.cashback_to_debt_minor,
            stamps_reversed: outcome.stamps_reversed,
            stamps_to_debt: outcome.stamps_to_debt,
            savings_reversed_minor: outcome.savings_reversed_minor,
            cashback_refunded_minor: outcome.cashback_refunded_minor,
            stored_value_refunded_minor: outcome.stored_value_refunded_minor,
            refund_minor: outcome.refund_minor,
            offer_debt_minor: outcome.offer_debt_minor,
            offer_debt_withheld_minor: outcome.offer_debt_withheld_minor,
            offer_debt_given_back_minor: outcome.offer_debt_given_back_minor,
            refund_due_minor: outcome
                .refund_due_minor
                .unwrap_or(outcome.refund_minor - outcome.offer_debt_withheld_minor),
            offer_discount_returned_minor: outcome.offer_discount_returned_minor,
        })
    }
}

/// The checkout command of a `recordPurchase` (or `previewCheckout`) input.
fn command(ctx: &Context<'_>, input: RecordPurchaseInput) -> Result<RecordPurchase, AppError> {
    let buyer = match (input.card_number, input.member_id) {
        (Some(_), Some(_)) => {
            return Err(AppError::validation(
                "input.cardNumber",
                "give a card or a member, not both",
            ));
        }
        (Some(number), None) => Buyer::CardNumber(number),
        (None, Some(id)) => Buyer::Member(crate::core::types::id("input.memberId", &id)?),
        (None, None) => Buyer::Anonymous,
    };
    let command = RecordPurchase {
        buyer,
        store: input.store,
        channel: input.channel.into(),
        total_minor: input.total_minor,
        currency: input.currency.trim().to_owned(),
        lines: input.lines.into_iter().map(line_input).collect(),
        occurred_at: input.occurred_at,
        max_backdate: backdate_limit(ctx)?,
        voucher_codes: input.voucher_codes,
        stored_value_minor: input.stored_value_minor,
        cashback_minor: input.cashback_minor,
        tax_minor: input.tax_minor,
        offer_codes: input.offer_codes,
        trade_ins: input
            .trade_ins
            .into_iter()
            .map(|t| {
                Ok(crate::loyalty::checkout::TradeIn {
                    category: crate::core::types::text("input.tradeIns.category", &t.category, 64)?,
                    reference: crate::core::types::text(
                        "input.tradeIns.reference",
                        &t.reference,
                        200,
                    )?,
                })
            })
            .collect::<Result<_, AppError>>()?,
    };
    if command.trade_ins.len() > 20 {
        return Err(AppError::validation(
            "input.tradeIns",
            "at most 20 per purchase",
        ));
    }
    if command.offer_codes.len() > 10 {
        return Err(AppError::validation(
            "input.offerCodes",
            "at most 10 per purchase",
        ));
    }
    Ok(command)
}

/// How far back the caller may date a purchase: `FIDELIS_MAX_BACKDATE_DAYS`, or 10 years with
/// the ImportHistory permission (owners, managers, `history:import` API keys).
pub(crate) fn backdate_limit(ctx: &Context<'_>) -> Result<chrono::Duration, AppError> {
    let request = ctx.request()?;
    Ok(if request.principal.can(Permission::ImportHistory) {
        let now = ctx.state()?.base.clock.now();
        now - now
            .checked_sub_months(chrono::Months::new(120))
            .unwrap_or(now)
    } else {
        chrono::Duration::days(i64::from(ctx.state()?.config.max_backdate_days))
    })
}
