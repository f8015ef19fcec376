//! A brand's mail: sender identity and marketing settings, templates (saved only when they
//! parse and name known variables) and previews rendered for a member or with sample data.
//!
//! Size: over 500 lines on purpose: the sender, DKIM keys and template variables of a brand's mail.

use entity::{
    card, email_template,
    email_template::TemplatePurpose,
    ledger_account::{self, AccountKind},
    mail_settings, member, member_tier, point_lot, voucher,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    core::{
        deps::Links,
        error::AppError,
        mail::Post,
        tenancy::{Scoped, TenantScope},
        types::{Currency, Email, text},
    },
    engagement::{
        mail_templates as templates,
        mail_templates::{BrandData, Data, Parts, Rendered},
    },
};

/// A brand's mail settings (defaults until the brand saves its own).
#[derive(Debug, Clone)]
pub struct Settings {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub marketing_cap_per_week: i32,
    pub send_rate_per_minute: i32,
    pub tracking: bool,
    /// Transactional messages switched off.
    pub transactional_disabled: Vec<TemplatePurpose>,
    pub notice_days: i32,
    /// The brand's DKIM key (never shown through the API: selector, domain and algorithm only).
    pub dkim: Option<crate::core::mail::DkimKey>,
    pub saved: bool,
}

pub async fn settings(post: &Post, scope: &TenantScope) -> Result<Settings, AppError> {
    let conn = scope.conn();
    let row = conn.find::<mail_settings::Entity>().one(conn.db()).await?;
    let brand_name = match &row {
        Some(_) => String::new(),
        None => conn.brand().await?.name,
    };
    let sender = crate::core::mail::sender::from_settings(post, brand_name, row.as_ref());
    Ok(match row {
        Some(s) => Settings {
            from_name: sender.from_name,
            from_address: sender.from_address,
            reply_to: sender.reply_to,
            marketing_cap_per_week: s.marketing_cap_per_week,
            send_rate_per_minute: s.send_rate_per_minute,
            tracking: s.tracking,
            transactional_disabled: crate::engagement::transactional::parse_list(
                &s.transactional_disabled,
            ),
            notice_days: s.notice_days,
            dkim: sender.dkim,
            saved: true,
        },
        None => Settings {
            from_name: sender.from_name,
            from_address: sender.from_address,
            reply_to: None,
            marketing_cap_per_week: 3,
            send_rate_per_minute: 600,
            tracking: false,
            transactional_disabled: Vec::new(),
            notice_days: 14,
            dkim: None,
            saved: false,
        },
    })
}

impl Settings {
    /// Why nothing can be sent with these settings (sender, reply-to or DKIM key that does not
    /// parse), or `None` when they can send.
    pub fn sending_problem(&self) -> Option<String> {
        if let Err(e) = crate::core::mail::sender_mailbox(&self.from_name, &self.from_address) {
            return Some(e);
        }
        if let Some(r) = &self.reply_to
            && r.parse::<lettre::message::Mailbox>().is_err()
        {
            return Some(format!("the reply-to address {r:?} does not parse"));
        }
        if let Some(dkim) = &self.dkim
            && let Err(e) = dkim.check()
        {
            return Some(e);
        }
        None
    }
}

/// Mail held because the brand's configuration could not send goes on once it is fixed:
/// campaigns the platform paused for it resume, transactional mails held for it are due now.
pub async fn release_config_holds(scope: &TenantScope) -> Result<(), AppError> {
    use entity::{
        campaign::{self, CampaignStatus},
        campaign_recipient::RecipientStatus,
        transactional_mail,
    };
    let tx = scope.begin().await?;
    let now = scope.now();
    for (started, to) in [
        (true, CampaignStatus::Sending),
        (false, CampaignStatus::Scheduled),
    ] {
        let mut update = tx
            .update_many::<campaign::Entity>()
            .col_expr(campaign::Column::Status, Expr::value(to))
            .col_expr(
                campaign::Column::StatusReason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
            .filter(campaign::Column::Status.eq(CampaignStatus::Paused))
            .filter(campaign::Column::StatusReason.like("CONFIG:%"));
        update = if started {
            update.filter(campaign::Column::StartedAt.is_not_null())
        } else {
            update.filter(campaign::Column::StartedAt.is_null())
        };
        update.exec(tx.db()).await?;
    }
    tx.update_many::<transactional_mail::Entity>()
        .col_expr(transactional_mail::Column::NextAttemptAt, Expr::value(now))
        .filter(transactional_mail::Column::Status.eq(RecipientStatus::Queued))
        .filter(transactional_mail::Column::Reason.like("CONFIG:%"))
        .exec(tx.db())
        .await?;
    tx.commit().await
}

/// What a brand may change.
#[derive(Debug, Clone)]
pub struct SettingsInput {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub marketing_cap_per_week: i32,
    pub send_rate_per_minute: i32,
    pub tracking: bool,
    pub transactional_disabled: Vec<TemplatePurpose>,
    pub notice_days: i32,
}

pub async fn update_settings(
    post: &Post,
    scope: &TenantScope,
    input: SettingsInput,
) -> Result<Settings, AppError> {
    let from_name = text("input.fromName", &input.from_name, 100)?;
    if from_name.contains(['"', '<', '>', '\\']) {
        return Err(AppError::validation(
            "input.fromName",
            "must not contain quotes, angle brackets or backslashes",
        ));
    }
    let from_address = Email::parse("input.fromAddress", &input.from_address)?;
    let reply_to = input
        .reply_to
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| Email::parse("input.replyTo", r))
        .transpose()?;
    if !(0..=50).contains(&input.marketing_cap_per_week) {
        return Err(AppError::validation(
            "input.marketingCapPerWeek",
            "must be between 0 and 50",
        ));
    }
    if !(1..=100_000).contains(&input.send_rate_per_minute) {
        return Err(AppError::validation(
            "input.sendRatePerMinute",
            "must be between 1 and 100000",
        ));
    }
    if !(1..=90).contains(&input.notice_days) {
        return Err(AppError::validation(
            "input.noticeDays",
            "must be between 1 and 90",
        ));
    }
    if input
        .transactional_disabled
        .contains(&TemplatePurpose::Marketing)
    {
        return Err(AppError::validation(
            "input.transactionalDisabled",
            "lists transactional messages only",
        ));
    }
    let disabled = crate::engagement::transactional::join_list(&input.transactional_disabled);
    let tx = scope.begin().await?;
    let now = scope.now();
    let model = mail_settings::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        from_name: Set(from_name.clone()),
        from_address: Set(from_address.as_str().to_owned()),
        reply_to: Set(reply_to.as_ref().map(|r| r.as_str().to_owned())),
        marketing_cap_per_week: Set(input.marketing_cap_per_week),
        send_rate_per_minute: Set(input.send_rate_per_minute),
        tracking: Set(input.tracking),
        updated_at: Set(now),
        transactional_disabled: Set(disabled.clone()),
        notice_days: Set(input.notice_days),
        dkim_selector: Set(None),
        dkim_domain: Set(None),
        dkim_algorithm: Set(None),
        dkim_private_key: Set(None),
    };
    if !tx
        .insert_if_absent(model, vec![mail_settings::Column::TenantId])
        .await?
    {
        use mail_settings::Column as C;
        tx.update_many::<mail_settings::Entity>()
            .col_expr(C::FromName, Expr::value(from_name))
            .col_expr(C::FromAddress, Expr::value(from_address.as_str()))
            .col_expr(
                C::ReplyTo,
                Expr::value(reply_to.as_ref().map(|r| r.as_str().to_owned())),
            )
            .col_expr(
                C::MarketingCapPerWeek,
                Expr::value(input.marketing_cap_per_week),
            )
            .col_expr(
                C::SendRatePerMinute,
                Expr::value(input.send_rate_per_minute),
            )
            .col_expr(C::Tracking, Expr::value(input.tracking))
            .col_expr(C::TransactionalDisabled, Expr::value(disabled))
            .col_expr(C::NoticeDays, Expr::value(input.notice_days))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .exec(tx.db())
            .await?;
    }
    tx.commit().await?;
    release_config_holds(scope).await?;
    post.work.notify_one();
    settings(post, scope).await
}

/// Sets (or, with `None`, removes) the brand's DKIM key. The key must parse and the domain must
/// be the sender address's domain or a parent of it (DMARC alignment). Needs saved settings.
pub async fn set_dkim(
    post: &Post,
    scope: &TenantScope,
    key: Option<crate::core::mail::DkimKey>,
) -> Result<Settings, AppError> {
    let current = settings(post, scope).await?;
    if !current.saved {
        return Err(AppError::conflict(
            "save the brand's mail settings (sender address) first",
        ));
    }
    if let Some(key) = &key {
        let label = |s: &str| {
            !s.is_empty()
                && s.len() <= 63
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !label(&key.selector) {
            return Err(AppError::validation(
                "input.selector",
                "must be one DNS label",
            ));
        }
        let domain = key.domain.trim().to_ascii_lowercase();
        if domain.len() > 253 || !domain.split('.').all(label) || !domain.contains('.') {
            return Err(AppError::validation("input.domain", "is not a domain name"));
        }
        let from_domain = current.from_address.rsplit('@').next().unwrap_or_default();
        if from_domain != domain && !from_domain.ends_with(&format!(".{domain}")) {
            return Err(AppError::validation(
                "input.domain",
                format!("must be the sender's domain ({from_domain}) or a parent of it"),
            ));
        }
        key.check()
            .map_err(|e| AppError::validation("input.privateKey", e))?;
    }
    // Stored in the form the signer takes (PKCS#8 keys converted once).
    let key = match key {
        Some(mut k) => {
            k.private_key = crate::core::mail::normalize_dkim_key(&k.algorithm, &k.private_key)
                .map_err(|e| AppError::validation("input.privateKey", e))?;
            Some(k)
        }
        None => None,
    };
    let tx = scope.begin().await?;
    use mail_settings::Column as C;
    let k = key.as_ref();
    tx.update_many::<mail_settings::Entity>()
        .col_expr(C::DkimSelector, Expr::value(k.map(|k| k.selector.clone())))
        .col_expr(
            C::DkimDomain,
            Expr::value(k.map(|k| k.domain.trim().to_ascii_lowercase())),
        )
        .col_expr(
            C::DkimAlgorithm,
            Expr::value(k.map(|k| k.algorithm.clone())),
        )
        .col_expr(
            C::DkimPrivateKey,
            Expr::value(k.map(|k| k.private_key.trim().to_owned())),
        )
        .col_expr(C::UpdatedAt, Expr::value(scope.now()))
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    release_config_holds(scope).await?;
    post.work.notify_one();
    settings(post, scope).await
}

/// A template to save.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub purpose: TemplatePurpose,
    pub parts: Parts,
}

pub async fn create_template(
    scope: &TenantScope,
    input: TemplateInput,
) -> Result<email_template::Model, AppError> {
    let name = text("input.name", &input.name, 100)?;
    templates::check(&input.parts)?;
    let tx = scope.begin().await?;
    let now = scope.now();
    let id = Uuid::now_v7();
    let inserted = tx
        .insert_if_absent(
            email_template::ActiveModel {
                id: Set(id),
                tenant_id: Set(scope.tenant_id()),
                name: Set(name),
                purpose: Set(input.purpose),
                subject: Set(input.parts.subject.trim().to_owned()),
                html: Set(input.parts.html),
                text: Set(input.parts.text),
                created_at: Set(now),
                updated_at: Set(now),
            },
            vec![
                email_template::Column::TenantId,
                email_template::Column::Name,
            ],
        )
        .await?;
    if !inserted {
        return Err(AppError::conflict("a template of this brand has this name"));
    }
    let saved = tx.get::<email_template::Entity>(id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Replaces a template's parts (and name).
pub async fn update_template(
    scope: &TenantScope,
    id: Uuid,
    input: TemplateInput,
) -> Result<email_template::Model, AppError> {
    let name = text("input.name", &input.name, 100)?;
    let tx = scope.begin().await?;
    let existing = tx.get::<email_template::Entity>(id).await?;
    templates::check(&input.parts)?;
    if name != existing.name
        && tx
            .find::<email_template::Entity>()
            .filter(email_template::Column::Name.eq(&name))
            .one(tx.db())
            .await?
            .is_some()
    {
        return Err(AppError::conflict("a template of this brand has this name"));
    }
    use email_template::Column as C;
    tx.update_many::<email_template::Entity>()
        .col_expr(C::Name, Expr::value(name))
        .col_expr(C::Purpose, Expr::value(input.purpose))
        .col_expr(
            C::Subject,
            Expr::value(input.parts.subject.trim().to_owned()),
        )
        .col_expr(C::Html, Expr::value(input.parts.html))
        .col_expr(C::Text, Expr::value(input.parts.text))
        .col_expr(C::UpdatedAt, Expr::value(scope.now()))
        .filter(C::Id.eq(existing.id))
        .exec(tx.db())
        .await?;
    let saved = tx.get::<email_template::Entity>(id).await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn templates(scope: &TenantScope) -> Result<Vec<email_template::Model>, AppError> {
    let conn = scope.conn();
    Ok(conn
        .find::<email_template::Entity>()
        .order_by_asc(email_template::Column::Name)
        .all(conn.db())
        .await?)
}

/// One template of the brand (another brand's reads as not found).
pub async fn template(scope: &TenantScope, id: Uuid) -> Result<email_template::Model, AppError> {
    scope.conn().get::<email_template::Entity>(id).await
}

/// What to preview: a saved template, or parts not saved yet.
#[derive(Debug, Clone)]
pub enum Source {
    Saved(Uuid),
    Draft(Parts),
}

/// Renders a template for a member of the brand (NOT_FOUND for another brand's), or with sample
/// data. Unknown variables are a VALIDATION error naming them.
pub async fn preview(
    links: &Links,
    scope: &TenantScope,
    source: Source,
    member: Option<Uuid>,
) -> Result<Rendered, AppError> {
    let conn = scope.conn();
    let parts = match source {
        Source::Saved(id) => {
            let t = conn.get::<email_template::Entity>(id).await?;
            Parts {
                subject: t.subject,
                html: t.html,
                text: t.text,
            }
        }
        Source::Draft(parts) => parts,
    };
    let data = match member {
        Some(member) => data_for(links, &conn, member).await?,
        None => sample_for(links, &conn).await?,
    };
    templates::render(&parts, &data)
}

/// The brand's name, slug and currency, as templates show them (read once per batch of mails).
pub async fn brand_and_currency<C: ConnectionTrait>(
    conn: &Scoped<C>,
) -> Result<(BrandData, Currency), AppError> {
    let brand = conn.brand().await?;
    let currency = Currency::parse("currency", &brand.currency)?;
    Ok((
        BrandData {
            lang: crate::core::i18n::Lang::of_locale(&brand.locale),
            name: brand.name,
            slug: brand.slug,
        },
        currency,
    ))
}

async fn sample_for<C: ConnectionTrait>(links: &Links, conn: &Scoped<C>) -> Result<Data, AppError> {
    let (brand, currency) = brand_and_currency(conn).await?;
    Ok(Data::sample(
        brand,
        currency.code(),
        currency.minor_units(),
        &links.url(""),
    ))
}

/// Everything a template may show about one member of the brand.
pub async fn data_for<C: ConnectionTrait>(
    links: &Links,
    conn: &Scoped<C>,
    member_id: Uuid,
) -> Result<Data, AppError> {
    let member = conn.get::<member::Entity>(member_id).await?;
    let (brand, currency) = brand_and_currency(conn).await?;
    data_of(links, conn, member, brand, &currency).await
}

/// The member space of a brand (`links.app` in templates): `<public URL>/m/<slug>`.
pub fn member_space_url(links: &Links, slug: &str) -> String {
    links.url(&format!("/m/{slug}"))
}

/// [`data_for`] with the member and the brand already read (the senders' hot path).
pub async fn data_of<C: ConnectionTrait>(
    links: &Links,
    conn: &Scoped<C>,
    member: member::Model,
    brand: BrandData,
    currency: &Currency,
) -> Result<Data, AppError> {
    let now = conn.now();
    let brand_lang = brand.lang;
    let app_link = member_space_url(links, &brand.slug);
    let card = conn
        .find::<card::Entity>()
        .filter(card::Column::MemberId.eq(member.id))
        .filter(card::Column::Status.eq(card::CardStatus::Active))
        .one(conn.db())
        .await?;
    let balance: i64 = conn
        .find::<ledger_account::Entity>()
        .filter(ledger_account::Column::MemberId.eq(member.id))
        .filter(ledger_account::Column::Kind.eq(AccountKind::MemberPoints))
        .all(conn.db())
        .await?
        .iter()
        .map(|a| a.balance)
        .sum();
    let soon = conn
        .find::<point_lot::Entity>()
        .filter(point_lot::Column::MemberId.eq(member.id))
        .filter(point_lot::Column::Remaining.gt(0))
        .filter(point_lot::Column::ExpiresAt.gt(now))
        .filter(point_lot::Column::ExpiresAt.lte(now + chrono::Duration::days(30)))
        .order_by_asc(point_lot::Column::ExpiresAt)
        .all(conn.db())
        .await?;
    let tier = conn
        .find::<member_tier::Entity>()
        .filter(member_tier::Column::MemberId.eq(member.id))
        .order_by_desc(member_tier::Column::CreatedAt)
        .order_by_desc(member_tier::Column::Id)
        .one(conn.db())
        .await?;
    let vouchers = conn
        .find::<voucher::Entity>()
        .filter(voucher::Column::MemberId.eq(member.id))
        .filter(voucher::Column::ValidUntil.gt(now))
        .filter(Expr::col(voucher::Column::Uses).lt(Expr::col(voucher::Column::MaxUses)))
        .order_by_asc(voucher::Column::ValidUntil)
        .all(conn.db())
        .await?;
    Ok(Data {
        member: templates::MemberData {
            first_name: member.first_name,
            last_name: member.last_name,
            email: member.email,
            card_number: card.map(|c| c.number),
            member_since: Some(member.created_at),
        },
        brand,
        points: templates::PointsData {
            balance,
            expiring: soon.iter().map(|l| l.remaining).sum(),
            expiring_at: soon.first().map(|l| l.expires_at),
        },
        tier: tier.map(|t| templates::TierData {
            name: t.name,
            qualified_until: t.qualified_until,
        }),
        vouchers: vouchers
            .into_iter()
            .map(|v| templates::VoucherData {
                code: v.code,
                label: v.label,
                amount_minor: v.amount_minor,
                percent: v.percent,
                valid_until: v.valid_until,
            })
            .collect(),
        links: templates::LinksData {
            unsubscribe: format!("{}?token=preview", links.url("/unsubscribe")),
            app: app_link,
        },
        campaign: None,
        voucher: None,
        membership: None,
        contest: None,
        club: None,
        event: None,
        currency_exponent: currency.minor_units(),
        currency: currency.code().to_owned(),
        lang: brand_lang,
    })
}
