//! Offers: `offers`, `offer`, `createOffer`, `updateOffer`, `setOfferStatus`. The checkout side
//! (`previewCheckout`, `recordPurchase`'s `offerCodes` and `tradeIns`) is in `purchases`.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::offer;

use crate::{
    core::{
        auth::Permission,
        error::AppError,
        graphql::{ContextExt, guards::PermissionGuard},
    },
    loyalty::offers::{self, BundlePart, DeferredVoucher, OfferRules, OfferSpec, Selector},
};

/// What an offer does.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OfferKind {
    /// Immediate coupon: `amountMinor` or `percent` off the selected lines (none selected: the
    /// basket), from `minimumBasketMinor`.
    Discount,
    /// N for the price of M (`buyQuantity` for `payQuantity`): in each group of N selected
    /// units, dearest first, the cheapest are free.
    MultiBuy,
    /// Every `nth` selected unit (the cheapest of each group) at `percent` off.
    NthAtPercent,
    /// `bundleParts` together at `bundlePriceMinor`.
    Bundle,
    /// Per `perQuantity` selected units bought, `freeQuantity` more free (`giftSku`, default
    /// the cheapest selected SKU), on a free line.
    ExtraQuantity,
    /// A gift or sample (`giftSku`, worth `giftValueMinor`) when the selected lines reach
    /// `minimumBasketMinor`; `stock` gifts at most.
    Gift,
    /// Each old product of `tradeInCategory` brought back takes `amountMinor` off one
    /// selected unit.
    TradeIn,
    /// A purchase whose selected lines reach `minimumBasketMinor` issues a voucher
    /// (`voucherAmountMinor` or `voucherPercent`) usable from `voucherValidFromDays` days after
    /// the purchase for `voucherValidDays` days.
    Deferred,
    /// Refund offer (ODR): claims against a purchase of the selected products (or a receipt)
    /// within `claimDeadlineDays` pay back `amountMinor` or `percent` of what the products cost.
    /// Never applied at the till.
    Refund,
    /// Premium against proofs: each purchase of the selected products (each unit with
    /// `countUnits`) is a proof; the `proofsNeeded`-th within the period (`periodDays` from the
    /// start, or the whole offer) issues the premium voucher (`voucher…` fields).
    Premium,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::offer::OfferStatus")]
pub enum OfferStatus {
    Active,
    Paused,
}

/// One part of a bundle.
#[derive(InputObject, SimpleObject, Clone)]
#[graphql(input_name = "BundlePartInput")]
pub struct BundlePartView {
    #[graphql(default)]
    pub skus: Vec<String>,
    #[graphql(default)]
    pub categories: Vec<String>,
    pub quantity: i32,
}

/// An offer as the brand sets it. Which fields count depends on `kind` (see `OfferKind`).
#[derive(InputObject)]
pub struct OfferInput {
    pub name: String,
    pub description: Option<String>,
    pub kind: OfferKind,
    /// Applied only when the till gives this code; none: applied by itself.
    pub code: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Lower runs first (default 100).
    #[graphql(default = 100)]
    pub priority: i32,
    /// Applies alone: the engine keeps it only if it gives more than the stackable offers.
    #[graphql(default)]
    pub exclusive: bool,
    /// Only for buyers with a card or a member.
    #[graphql(default)]
    pub card_holders_only: bool,
    /// Only for members holding one of these tiers (in any program); empty: everyone.
    #[graphql(default)]
    pub tier_names: Vec<String>,
    /// Only for members in this saved segment (`saveSegment`) when they buy; another brand's
    /// segment is NOT_FOUND.
    pub segment_id: Option<ID>,
    /// Only for the active members of this club; another brand's club is NOT_FOUND.
    pub club_id: Option<ID>,
    /// "Just bought" suppression: members who bought one of the offer's products in the last
    /// N days do not get it.
    pub exclude_recent_buyers_days: Option<i32>,
    pub max_per_member: Option<i32>,
    /// The period of `maxPerMember` in days from `startsAt` (none: the whole offer).
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    /// REFUND: claims allowed per household (members linked with `setMemberHousehold`; a member
    /// in none is a household of one) over the offer; rejected claims do not count.
    pub max_per_household: Option<i32>,
    /// Money the offer may give in all (discounts plus free goods), in minor units.
    pub budget_minor: Option<i64>,
    /// Gifts available (GIFT, and PREMIUM with a gift); none: no limit.
    pub stock: Option<i32>,
    /// The lines the offer is for (by SKU or category; none: every line).
    #[graphql(default)]
    pub skus: Vec<String>,
    #[graphql(default)]
    pub categories: Vec<String>,
    #[graphql(default)]
    pub amount_minor: i64,
    #[graphql(default)]
    pub percent: i32,
    #[graphql(default)]
    pub minimum_basket_minor: i64,
    #[graphql(default)]
    pub buy_quantity: i32,
    #[graphql(default)]
    pub pay_quantity: i32,
    #[graphql(default)]
    pub nth: i32,
    #[graphql(default)]
    pub bundle_parts: Vec<BundlePartView>,
    #[graphql(default)]
    pub bundle_price_minor: i64,
    #[graphql(default)]
    pub per_quantity: i32,
    #[graphql(default)]
    pub free_quantity: i32,
    /// GIFT, PREMIUM: the gift's SKU (EXTRA_QUANTITY: the free units' SKU).
    pub gift_sku: Option<String>,
    /// GIFT, PREMIUM: the gift's value, in minor units (what the brand gives, and what a member
    /// owes when a premium gift's proofs are returned).
    #[graphql(default)]
    pub gift_value_minor: i64,
    pub trade_in_category: Option<String>,
    #[graphql(default)]
    pub voucher_amount_minor: i64,
    #[graphql(default)]
    pub voucher_percent: i32,
    #[graphql(default = 1)]
    pub voucher_valid_from_days: i32,
    #[graphql(default = 30)]
    pub voucher_valid_days: i32,
    #[graphql(default)]
    pub voucher_minimum_basket_minor: i64,
    /// REFUND: days after the purchase within which a claim is accepted.
    #[graphql(default = 30)]
    pub claim_deadline_days: i32,
    /// PREMIUM: proofs that earn the premium.
    #[graphql(default)]
    pub proofs_needed: i32,
    /// PREMIUM: count each unit as a proof (default: each purchase).
    #[graphql(default)]
    pub count_units: bool,
    /// PREMIUM: the period proofs are collected in, in days from the offer's start (none: the
    /// whole offer).
    pub period_days: Option<i32>,
    /// PREMIUM: points the premium credits (with the voucher, or alone when the voucher has
    /// neither amount nor percent); a return that takes its proofs back takes them back (what
    /// was spent since is owed, repaid from later earnings).
    #[graphql(default)]
    pub premium_points: i64,
    /// PREMIUM: the points program `premiumPoints` are credited to.
    pub premium_program_id: Option<ID>,
}

impl OfferInput {
    fn into_spec(self) -> Result<OfferSpec, AppError> {
        let voucher = DeferredVoucher {
            amount_minor: self.voucher_amount_minor,
            percent: self.voucher_percent,
            valid_from_days: i64::from(self.voucher_valid_from_days),
            valid_days: i64::from(self.voucher_valid_days),
            minimum_basket_minor: self.voucher_minimum_basket_minor,
        };
        let selector = Selector {
            skus: self.skus,
            categories: self.categories,
        };
        let rules = match self.kind {
            OfferKind::Discount => OfferRules::Discount {
                selector,
                amount_minor: self.amount_minor,
                percent: self.percent,
                minimum_basket_minor: self.minimum_basket_minor,
            },
            OfferKind::MultiBuy => OfferRules::MultiBuy {
                selector,
                buy: i64::from(self.buy_quantity),
                pay: i64::from(self.pay_quantity),
            },
            OfferKind::NthAtPercent => OfferRules::NthAtPercent {
                selector,
                nth: i64::from(self.nth),
                percent: self.percent,
            },
            OfferKind::Bundle => OfferRules::Bundle {
                parts: self
                    .bundle_parts
                    .into_iter()
                    .map(|p| BundlePart {
                        selector: Selector {
                            skus: p.skus,
                            categories: p.categories,
                        },
                        quantity: i64::from(p.quantity),
                    })
                    .collect(),
                price_minor: self.bundle_price_minor,
            },
            OfferKind::ExtraQuantity => OfferRules::ExtraQuantity {
                selector,
                per: i64::from(self.per_quantity),
                free: i64::from(self.free_quantity),
                free_sku: self.gift_sku.filter(|s| !s.trim().is_empty()),
            },
            OfferKind::Gift => OfferRules::Gift {
                selector,
                minimum_basket_minor: self.minimum_basket_minor,
                gift_sku: self
                    .gift_sku
                    .ok_or_else(|| AppError::validation("input.giftSku", "a gift needs its SKU"))?,
                gift_value_minor: self.gift_value_minor,
            },
            OfferKind::TradeIn => OfferRules::TradeIn {
                traded_category: self.trade_in_category.ok_or_else(|| {
                    AppError::validation(
                        "input.tradeInCategory",
                        "a trade-in names the category of the old product",
                    )
                })?,
                selector,
                amount_minor: self.amount_minor,
            },
            OfferKind::Deferred => OfferRules::Deferred {
                selector,
                minimum_basket_minor: self.minimum_basket_minor,
                voucher,
            },
            OfferKind::Refund => OfferRules::Refund {
                selector,
                amount_minor: self.amount_minor,
                percent: self.percent,
                deadline_days: i64::from(self.claim_deadline_days),
            },
            OfferKind::Premium => OfferRules::Premium {
                selector,
                proofs: i64::from(self.proofs_needed),
                count_units: self.count_units,
                period_days: self.period_days.map(i64::from),
                voucher,
                premium_points: self.premium_points,
                premium_program_id: self
                    .premium_program_id
                    .as_deref()
                    .map(|p| crate::core::types::id("input.premiumProgramId", p))
                    .transpose()?,
                gift_sku: self
                    .gift_sku
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                gift_value_minor: self.gift_value_minor,
            },
        };
        Ok(OfferSpec {
            name: self.name,
            description: self.description,
            code: self.code,
            rules,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            priority: self.priority,
            exclusive: self.exclusive,
            card_holders_only: self.card_holders_only,
            tier_names: self.tier_names,
            segment_id: self
                .segment_id
                .as_deref()
                .map(|s| crate::core::types::id("input.segmentId", s))
                .transpose()?,
            club_id: self
                .club_id
                .as_deref()
                .map(|s| crate::core::types::id("input.clubId", s))
                .transpose()?,
            exclude_recent_buyers_days: self.exclude_recent_buyers_days,
            max_per_member: self.max_per_member,
            member_period_days: self.member_period_days,
            max_redemptions: self.max_redemptions,
            max_per_household: self.max_per_household,
            budget_minor: self.budget_minor,
            stock: self.stock,
        })
    }
}

/// An offer of the brand.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Offer {
    pub id: ID,
    pub name: String,
    pub description: Option<String>,
    pub kind: OfferKind,
    pub code: Option<String>,
    pub status: OfferStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub priority: i32,
    pub exclusive: bool,
    pub card_holders_only: bool,
    pub tier_names: Vec<String>,
    pub segment_id: Option<ID>,
    pub club_id: Option<ID>,
    pub exclude_recent_buyers_days: Option<i32>,
    pub max_per_member: Option<i32>,
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    /// Claims allowed per household (REFUND).
    pub max_per_household: Option<i32>,
    pub budget_minor: Option<i64>,
    /// Gifts left (GIFT offers and PREMIUM offers with a gift, when stocked).
    pub stock: Option<i32>,
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub amount_minor: i64,
    pub percent: i32,
    pub minimum_basket_minor: i64,
    pub buy_quantity: i32,
    pub pay_quantity: i32,
    pub nth: i32,
    pub bundle_parts: Vec<BundlePartView>,
    pub bundle_price_minor: i64,
    pub per_quantity: i32,
    pub free_quantity: i32,
    pub gift_sku: Option<String>,
    pub gift_value_minor: i64,
    pub trade_in_category: Option<String>,
    pub voucher_amount_minor: i64,
    pub voucher_percent: i32,
    pub voucher_valid_from_days: i32,
    pub voucher_valid_days: i32,
    pub voucher_minimum_basket_minor: i64,
    pub claim_deadline_days: i32,
    pub proofs_needed: i32,
    pub count_units: bool,
    pub period_days: Option<i32>,
    /// PREMIUM: points the premium credits, and their program.
    pub premium_points: i64,
    pub premium_program_id: Option<ID>,
    #[graphql(skip)]
    figures: OfferFigures,
    #[graphql(skip)]
    uuid: uuid::Uuid,
}

/// What an offer did so far.
#[derive(SimpleObject, Clone)]
pub struct OfferFigures {
    /// Purchases it applied to.
    pub redemptions: i32,
    /// Discount given, net of returns, in minor units.
    pub discount_given_minor: i64,
    /// Value of the free goods given, in minor units.
    pub value_given_minor: i64,
    /// Revenue of the baskets it applied to (after offers), in minor units.
    pub revenue_minor: i64,
    /// What is left of its budget, in minor units (none: no budget).
    pub budget_left_minor: Option<i64>,
}

#[ComplexObject]
impl Offer {
    /// What the offer did so far (owners and managers).
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn figures(&self) -> OfferFigures {
        self.figures.clone()
    }

    /// Refund offers: claims by status, and what was owed and paid (owners and managers).
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn claims(&self, ctx: &Context<'_>) -> Result<ClaimFigures> {
        let f = offers::claims::figures(ctx.scope()?, self.uuid).await?;
        Ok(ClaimFigures {
            submitted: f.submitted,
            approved: f.approved,
            rejected: f.rejected,
            paid: f.paid,
            owed_minor: f.owed_minor,
            paid_minor: f.paid_minor,
        })
    }
}

/// Refund claims of an offer by status.
#[derive(SimpleObject)]
pub struct ClaimFigures {
    /// Waiting for review.
    pub submitted: i64,
    /// Approved, not paid yet.
    pub approved: i64,
    pub rejected: i64,
    pub paid: i64,
    /// Approved and not yet paid, in minor units.
    pub owed_minor: i64,
    /// Paid out, in minor units.
    pub paid_minor: i64,
}

impl Offer {
    fn voucher(&mut self, voucher: &DeferredVoucher) {
        self.voucher_amount_minor = voucher.amount_minor;
        self.voucher_percent = voucher.percent;
        self.voucher_valid_from_days = small(voucher.valid_from_days);
        self.voucher_valid_days = small(voucher.valid_days);
        self.voucher_minimum_basket_minor = voucher.minimum_basket_minor;
    }
}

fn small(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl TryFrom<offer::Model> for Offer {
    type Error = AppError;

    fn try_from(o: offer::Model) -> Result<Self, AppError> {
        let rules = offers::rules_of(&o)?;
        let tier_names = offers::tiers_of(&o);
        let mut view = Self {
            uuid: o.id,
            tier_names,
            segment_id: o.segment_id.map(|s| ID(s.to_string())),
            club_id: o.club_id.map(|s| ID(s.to_string())),
            exclude_recent_buyers_days: o.exclude_recent_buyers_days,
            claim_deadline_days: 0,
            proofs_needed: 0,
            count_units: false,
            period_days: None,
            premium_points: 0,
            premium_program_id: None,
            id: ID(o.id.to_string()),
            name: o.name,
            description: o.description,
            kind: OfferKind::Discount,
            code: o.code,
            status: o.status.into(),
            starts_at: o.starts_at,
            ends_at: o.ends_at,
            priority: o.priority,
            exclusive: o.exclusive,
            card_holders_only: o.card_holders_only,
            max_per_member: o.max_per_member,
            member_period_days: o.member_period_days,
            max_redemptions: o.max_redemptions,
            max_per_household: o.max_per_household,
            budget_minor: o.budget_minor,
            stock: o.stock,
            skus: Vec::new(),
            categories: Vec::new(),
            amount_minor: 0,
            percent: 0,
            minimum_basket_minor: 0,
            buy_quantity: 0,
            pay_quantity: 0,
            nth: 0,
            bundle_parts: Vec::new(),
            bundle_price_minor: 0,
            per_quantity: 0,
            free_quantity: 0,
            gift_sku: None,
            gift_value_minor: 0,
            trade_in_category: None,
            voucher_amount_minor: 0,
            voucher_percent: 0,
            voucher_valid_from_days: 0,
            voucher_valid_days: 0,
            voucher_minimum_basket_minor: 0,
            figures: OfferFigures {
                redemptions: o.redemptions,
                discount_given_minor: o.discount_given_minor,
                value_given_minor: o.value_given_minor,
                revenue_minor: o.revenue_minor,
                budget_left_minor: o
                    .budget_minor
                    .map(|b| b - o.discount_given_minor - o.value_given_minor),
            },
        };
        let mut selected = |s: Selector| {
            view.skus = s.skus;
            view.categories = s.categories;
        };
        match rules {
            OfferRules::Discount {
                selector,
                amount_minor,
                percent,
                minimum_basket_minor,
            } => {
                selected(selector);
                view.kind = OfferKind::Discount;
                view.amount_minor = amount_minor;
                view.percent = percent;
                view.minimum_basket_minor = minimum_basket_minor;
            }
            OfferRules::MultiBuy { selector, buy, pay } => {
                selected(selector);
                view.kind = OfferKind::MultiBuy;
                view.buy_quantity = small(buy);
                view.pay_quantity = small(pay);
            }
            OfferRules::NthAtPercent {
                selector,
                nth,
                percent,
            } => {
                selected(selector);
                view.kind = OfferKind::NthAtPercent;
                view.nth = small(nth);
                view.percent = percent;
            }
            OfferRules::Bundle { parts, price_minor } => {
                view.kind = OfferKind::Bundle;
                view.bundle_parts = parts
                    .into_iter()
                    .map(|p| BundlePartView {
                        skus: p.selector.skus,
                        categories: p.selector.categories,
                        quantity: small(p.quantity),
                    })
                    .collect();
                view.bundle_price_minor = price_minor;
            }
            OfferRules::ExtraQuantity {
                selector,
                per,
                free,
                free_sku,
            } => {
                selected(selector);
                view.kind = OfferKind::ExtraQuantity;
                view.per_quantity = small(per);
                view.free_quantity = small(free);
                view.gift_sku = free_sku;
            }
            OfferRules::Gift {
                selector,
                minimum_basket_minor,
                gift_sku,
                gift_value_minor,
            } => {
                selected(selector);
                view.kind = OfferKind::Gift;
                view.minimum_basket_minor = minimum_basket_minor;
                view.gift_sku = Some(gift_sku);
                view.gift_value_minor = gift_value_minor;
            }
            OfferRules::TradeIn {
                traded_category,
                selector,
                amount_minor,
            } => {
                selected(selector);
                view.kind = OfferKind::TradeIn;
                view.trade_in_category = Some(traded_category);
                view.amount_minor = amount_minor;
            }
            OfferRules::Deferred {
                selector,
                minimum_basket_minor,
                voucher,
            } => {
                selected(selector);
                view.kind = OfferKind::Deferred;
                view.minimum_basket_minor = minimum_basket_minor;
                view.voucher(&voucher);
            }
            OfferRules::Refund {
                selector,
                amount_minor,
                percent,
                deadline_days,
            } => {
                selected(selector);
                view.kind = OfferKind::Refund;
                view.amount_minor = amount_minor;
                view.percent = percent;
                view.claim_deadline_days = small(deadline_days);
            }
            OfferRules::Premium {
                selector,
                proofs,
                count_units,
                period_days,
                voucher,
                premium_points,
                premium_program_id,
                gift_sku,
                gift_value_minor,
            } => {
                selected(selector);
                view.kind = OfferKind::Premium;
                view.gift_sku = gift_sku;
                view.gift_value_minor = gift_value_minor;
                view.proofs_needed = small(proofs);
                view.count_units = count_units;
                view.period_days = period_days.map(small);
                view.voucher(&voucher);
                view.premium_points = premium_points;
                view.premium_program_id = premium_program_id.map(|p| ID(p.to_string()));
            }
        }
        Ok(view)
    }
}

#[derive(Default)]
pub struct OfferQuery;

#[Object]
impl OfferQuery {
    /// The brand's offers by priority (at most 1000); `current`: only those running now.
    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn offers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] current: bool,
    ) -> Result<Vec<Offer>> {
        Ok(offers::list(ctx.scope()?, current)
            .await?
            .into_iter()
            .map(Offer::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// For the signed-in member: the brand's offers running now (codes left out: a code is
    /// given at the till).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn current_offers(&self, ctx: &Context<'_>) -> Result<Vec<Offer>> {
        Ok(offers::list(ctx.scope()?, true)
            .await?
            .into_iter()
            .filter(|o| o.code.is_none())
            .map(Offer::try_from)
            .collect::<Result<_, _>>()?)
    }

    #[graphql(guard = "PermissionGuard(Permission::ViewOffers)")]
    async fn offer(&self, ctx: &Context<'_>, id: ID) -> Result<Offer> {
        let offer = offers::get(ctx.scope()?, crate::core::types::id("id", &id)?).await?;
        Ok(Offer::try_from(offer)?)
    }
}

#[derive(Default)]
pub struct OfferMutation;

#[Object]
impl OfferMutation {
    /// Creates an offer, running from `startsAt` to `endsAt`. Replaying the same
    /// `idempotencyKey` returns the first offer and creates nothing.
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn create_offer(
        &self,
        ctx: &Context<'_>,
        input: OfferInput,
        idempotency_key: Option<String>,
    ) -> Result<Offer> {
        let offer =
            offers::create(ctx.scope()?, input.into_spec()?, idempotency_key.as_deref()).await?;
        Ok(Offer::try_from(offer)?)
    }

    /// Changes an offer's settings (its figures stay; `stock` replaces the gifts left).
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn update_offer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OfferInput,
        idempotency_key: Option<String>,
    ) -> Result<Offer> {
        let offer = offers::update(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            input.into_spec()?,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(Offer::try_from(offer)?)
    }

    /// Pauses (never evaluated) or resumes an offer. Setting the status it has changes nothing.
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn set_offer_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OfferStatus,
    ) -> Result<Offer> {
        let offer = offers::set_status(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            status.into(),
        )
        .await?;
        Ok(Offer::try_from(offer)?)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::offer_claim::ClaimStatus")]
pub enum ClaimStatus {
    /// Waiting for the brand's review.
    Submitted,
    /// Approved: the refund is owed.
    Approved,
    /// Rejected, with its reason.
    Rejected,
    /// Paid out (reference and date recorded).
    Paid,
}

/// A refund claim (ODR) against a purchase or a receipt.
#[derive(SimpleObject)]
pub struct RefundClaim {
    pub id: ID,
    pub offer_id: ID,
    pub member_id: ID,
    pub purchase_id: Option<ID>,
    pub receipt_reference: Option<String>,
    pub receipt_date: DateTime<Utc>,
    /// What the offer's products cost on the receipt, in minor units.
    pub receipt_amount_minor: i64,
    /// What the claim pays back, in minor units.
    pub amount_minor: i64,
    pub status: ClaimStatus,
    /// Why it was rejected (or a note on approval).
    pub reason: Option<String>,
    pub payout_reference: Option<String>,
    pub paid_on: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::offer_claim::Model> for RefundClaim {
    fn from(c: entity::offer_claim::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            offer_id: ID(c.offer_id.to_string()),
            member_id: ID(c.member_id.to_string()),
            purchase_id: c.purchase_id.map(|p| ID(p.to_string())),
            receipt_reference: c.receipt_reference,
            receipt_date: c.receipt_date,
            receipt_amount_minor: c.receipt_amount_minor,
            amount_minor: c.amount_minor,
            status: c.status.into(),
            reason: c.reason,
            payout_reference: c.payout_reference,
            paid_on: c.paid_on,
            decided_at: c.decided_at,
            created_at: c.created_at,
        }
    }
}

/// A claim against a refund offer: a purchase recorded in Fidelis (`purchaseId`), or a receipt
/// (`receiptReference`, `receiptAmountMinor` for the offer's products, `receiptDate`).
#[derive(InputObject)]
pub struct RefundClaimInput {
    pub offer_id: ID,
    /// The member claiming (staff only; a member claims for themselves).
    pub member_id: Option<ID>,
    pub purchase_id: Option<ID>,
    pub receipt_reference: Option<String>,
    pub receipt_amount_minor: Option<i64>,
    pub receipt_date: Option<DateTime<Utc>>,
    /// Makes the call safe to retry: a replay returns the first claim.
    pub idempotency_key: Option<String>,
}

impl RefundClaimInput {
    fn spec(self, member: uuid::Uuid) -> Result<offers::claims::ClaimSpec, AppError> {
        Ok(offers::claims::ClaimSpec {
            offer_id: crate::core::types::id("input.offerId", &self.offer_id)?,
            member_id: member,
            purchase_id: self
                .purchase_id
                .map(|p| crate::core::types::id("input.purchaseId", &p))
                .transpose()?,
            receipt_reference: self.receipt_reference,
            receipt_amount_minor: self.receipt_amount_minor,
            receipt_date: self.receipt_date,
        })
    }
}

#[derive(Default)]
pub struct ClaimQuery;

#[Object]
impl ClaimQuery {
    /// Refund claims, newest first (at most 500): of an offer, of a member, in a status.
    #[graphql(guard = "PermissionGuard(Permission::ViewMembers)")]
    async fn refund_claims(
        &self,
        ctx: &Context<'_>,
        offer_id: Option<ID>,
        member_id: Option<ID>,
        status: Option<ClaimStatus>,
    ) -> Result<Vec<RefundClaim>> {
        let offer = offer_id
            .map(|o| crate::core::types::id("offerId", &o))
            .transpose()?;
        let member = member_id
            .map(|m| crate::core::types::id("memberId", &m))
            .transpose()?;
        Ok(
            offers::claims::list(ctx.scope()?, offer, member, status.map(Into::into))
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// The signed-in member's refund claims and where each stands.
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn my_refund_claims(&self, ctx: &Context<'_>) -> Result<Vec<RefundClaim>> {
        let member = ctx.member_id()?;
        Ok(offers::claims::list(ctx.scope()?, None, Some(member), None)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// How staff settle a member's offer debt by hand.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OfferDebtSettlement {
    /// The member paid it at the till.
    Paid,
    /// The brand gives it up (owners and managers).
    Waived,
}

#[derive(InputObject)]
pub struct SettleOfferDebtInput {
    pub member_id: ID,
    /// At most what the member owes (`Member.offerDebtMinor`), in minor units.
    pub amount_minor: i64,
    pub how: OfferDebtSettlement,
    /// Why, as staff tell it (kept with the ledger entry).
    pub reason: String,
    /// Makes the call safe to retry: a replay returns the first outcome and settles nothing more.
    pub idempotency_key: Option<String>,
}

/// The outcome of `settleOfferDebt`.
#[derive(SimpleObject)]
pub struct OfferDebtSettled {
    /// What was settled now, in minor units.
    pub settled_minor: i64,
    /// What the member still owes for offers.
    pub owed_minor: i64,
}

#[derive(Default)]
pub struct ClaimMutation;

#[Object]
impl ClaimMutation {
    /// Records that a member paid their offer debt at the till (`PAID`: staff and POS apps), or
    /// waives it (`WAIVED`: owners and managers, FORBIDDEN otherwise). More than is owed:
    /// VALIDATION.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn settle_offer_debt(
        &self,
        ctx: &Context<'_>,
        input: SettleOfferDebtInput,
    ) -> Result<OfferDebtSettled> {
        let member = crate::core::types::id("input.memberId", &input.member_id)?;
        let how = match input.how {
            OfferDebtSettlement::Paid => offers::debts::Settlement::Paid,
            OfferDebtSettlement::Waived => {
                if !ctx.request()?.principal.can(Permission::ManageOffers) {
                    return Err(AppError::Forbidden(
                        "only owners and managers waive a member's offer debt",
                    )
                    .into());
                }
                offers::debts::Settlement::Waived
            }
        };
        let settled = offers::debts::settle_by_hand(
            ctx.scope()?,
            member,
            input.amount_minor,
            how,
            &input.reason,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(OfferDebtSettled {
            settled_minor: settled.settled_minor,
            owed_minor: settled.owed_minor,
        })
    }

    /// Staff submit a refund claim for a member. One claim per receipt and offer: the same
    /// receipt twice is refused (VALIDATION); beyond the offer's limit per member, CONFLICT.
    #[graphql(guard = "PermissionGuard(Permission::RecordPurchases)")]
    async fn submit_refund_claim(
        &self,
        ctx: &Context<'_>,
        input: RefundClaimInput,
    ) -> Result<RefundClaim> {
        let Some(member) = &input.member_id else {
            return Err(AppError::validation("input.memberId", "name the member claiming").into());
        };
        let member = crate::core::types::id("input.memberId", member)?;
        let key = input.idempotency_key.clone();
        let claim =
            offers::claims::submit(ctx.scope()?, input.spec(member)?, key.as_deref()).await?;
        Ok(claim.into())
    }

    /// The signed-in member submits a refund claim for themselves (`memberId` is ignored).
    #[graphql(guard = "PermissionGuard(Permission::ViewOwnMembership)")]
    async fn submit_my_refund_claim(
        &self,
        ctx: &Context<'_>,
        input: RefundClaimInput,
    ) -> Result<RefundClaim> {
        let member = ctx.member_id()?;
        let key = input.idempotency_key.clone();
        let claim =
            offers::claims::submit(ctx.scope()?, input.spec(member)?, key.as_deref()).await?;
        Ok(claim.into())
    }

    /// Approves a submitted claim (the refund is booked as owed) or rejects it (`reason`
    /// needed). A claim is reviewed once (CONFLICT otherwise).
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn review_refund_claim(
        &self,
        ctx: &Context<'_>,
        id: ID,
        approve: bool,
        reason: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<RefundClaim> {
        let claim = offers::claims::review(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            approve,
            reason,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(claim.into())
    }

    /// Records that an approved claim was paid: the payment's reference and date (default
    /// now). Fidelis records the payout; it moves no money.
    #[graphql(guard = "PermissionGuard(Permission::ManageOffers)")]
    async fn pay_refund_claim(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reference: String,
        paid_on: Option<DateTime<Utc>>,
        idempotency_key: Option<String>,
    ) -> Result<RefundClaim> {
        let claim = offers::claims::pay(
            ctx.scope()?,
            crate::core::types::id("id", &id)?,
            &reference,
            paid_on,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(claim.into())
    }
}
