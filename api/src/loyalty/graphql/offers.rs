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
    pub max_per_member: Option<i32>,
    /// The period of `maxPerMember` in days from `startsAt` (none: the whole offer).
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    /// Money the offer may give in all (discounts plus free goods), in minor units.
    pub budget_minor: Option<i64>,
    /// Gifts available (GIFT).
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
    pub gift_sku: Option<String>,
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
}

impl OfferInput {
    fn into_spec(self) -> Result<OfferSpec, AppError> {
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
                voucher: DeferredVoucher {
                    amount_minor: self.voucher_amount_minor,
                    percent: self.voucher_percent,
                    valid_from_days: i64::from(self.voucher_valid_from_days),
                    valid_days: i64::from(self.voucher_valid_days),
                    minimum_basket_minor: self.voucher_minimum_basket_minor,
                },
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
            max_per_member: self.max_per_member,
            member_period_days: self.member_period_days,
            max_redemptions: self.max_redemptions,
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
    pub max_per_member: Option<i32>,
    pub member_period_days: Option<i32>,
    pub max_redemptions: Option<i32>,
    pub budget_minor: Option<i64>,
    /// Gifts left (GIFT offers with a stock).
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
    #[graphql(skip)]
    figures: OfferFigures,
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
}

fn small(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl TryFrom<offer::Model> for Offer {
    type Error = AppError;

    fn try_from(o: offer::Model) -> Result<Self, AppError> {
        let rules = offers::rules_of(&o)?;
        let mut view = Self {
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
                view.voucher_amount_minor = voucher.amount_minor;
                view.voucher_percent = voucher.percent;
                view.voucher_valid_from_days = small(voucher.valid_from_days);
                view.voucher_valid_days = small(voucher.valid_days);
                view.voucher_minimum_basket_minor = voucher.minimum_basket_minor;
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
