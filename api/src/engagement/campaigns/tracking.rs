//! Campaign links: signed open/click tracking tokens, tracked HTML rewritten at send time,
//! and one-click unsubscribe. Invariant: a token only ever names the recipient it was made
//! for, under the tracking or unsubscribe purpose key.

use super::*;
use crate::core::deps::{Base, Links};

/// The open pixel's and the click redirect's token: the recipient, signed with the target
/// (so the redirect cannot be pointed elsewhere).
pub(super) fn tracking_token(links: &Links, recipient: Uuid, target: &str) -> String {
    links
        .signer
        .sign(Purpose::Tracking, recipient.as_bytes(), target.as_bytes())
}

pub(super) fn check_tracking_token(links: &Links, token: &str, target: &str) -> Option<Uuid> {
    let payload = links
        .signer
        .verify(Purpose::Tracking, token, 16, target.as_bytes())?;
    Uuid::from_slice(&payload).ok()
}

pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Undoes the HTML escaping MiniJinja applies to variables in attributes.
pub(super) fn unescape_html(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Tracking for brands that enabled it: links (`<a href="http…">`, except the unsubscribe
/// link) go through the click redirect, and an open pixel is added at the end of the body —
/// rewritten by an HTML rewriter (lol_html), so links are found as elements, not as text.
/// Attribute values arrive as written in the HTML (entities escaped by the template): they are
/// unescaped before signing.
pub(super) fn track_html(links: &Links, recipient: Uuid, html: &str, unsubscribe: &str) -> String {
    use lol_html::{RewriteStrSettings, element, html_content::ContentType, rewrite_str};
    let base = links.url("");
    let pixel = format!(
        "<img src=\"{base}/t/o/{}\" width=\"1\" height=\"1\" alt=\"\">",
        tracking_token(links, recipient, "open")
    );
    let has_body = std::cell::Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("a[href]", |el| {
            let url = unescape_html(&el.get_attribute("href").unwrap_or_default());
            if (url.starts_with("http://") || url.starts_with("https://")) && url != unsubscribe {
                let token = tracking_token(links, recipient, &url);
                el.set_attribute(
                    "href",
                    &format!("{base}/t/c/{token}?u={}", percent_encode(&url)),
                )?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            has_body.set(true);
            el.append(&pixel, ContentType::Html);
            Ok(())
        }));
    let rewritten = rewrite_str(html, settings);
    match rewritten {
        Ok(mut out) => {
            if !has_body.get() {
                out.push_str(&pixel);
            }
            out
        }
        // Not HTML the rewriter can read: sent as written, without tracking.
        Err(_) => html.to_owned(),
    }
}

/// Records an open (the pixel). Unknown or forged tokens are ignored.
pub async fn record_open(base: &Base, links: &Links, token: &str) -> Result<(), AppError> {
    if let Some(recipient) = check_tracking_token(links, token, "open") {
        mark(base, recipient, campaign_recipient::Column::OpenedAt).await?;
    }
    Ok(())
}

/// Records a click and returns where to send the reader; `None` for a forged link (no open
/// redirect).
pub async fn record_click(
    base: &Base,
    links: &Links,
    token: &str,
    url: &str,
) -> Result<Option<String>, AppError> {
    let Some(recipient) = check_tracking_token(links, token, url) else {
        return Ok(None);
    };
    mark(base, recipient, campaign_recipient::Column::ClickedAt).await?;
    // A click is also an open (images are often blocked).
    mark(base, recipient, campaign_recipient::Column::OpenedAt).await?;
    Ok(Some(url.to_owned()))
}

pub(super) async fn mark(
    base: &Base,
    recipient: Uuid,
    column: campaign_recipient::Column,
) -> Result<(), AppError> {
    let Some(row) = db::recipient(&base.db, recipient).await? else {
        return Ok(());
    };
    let scope = base.scope(row.tenant_id);
    let conn = scope.conn();
    conn.update_many::<campaign_recipient::Entity>()
        .col_expr(column, Expr::value(Some(base.clock.now())))
        .filter(campaign_recipient::Column::Id.eq(row.id))
        .filter(column.is_null())
        .exec(conn.db())
        .await?;
    Ok(())
}

/// A signed, expiring unsubscribe link for one recipient.
pub fn unsubscribe_url(links: &Links, recipient: Uuid, now: DateTime<Utc>) -> String {
    let expires = (now + Duration::days(UNSUBSCRIBE_VALID_DAYS)).timestamp();
    let mut payload = recipient.as_bytes().to_vec();
    payload.extend_from_slice(&expires.to_be_bytes());
    format!(
        "{}?token={}",
        links.url("/unsubscribe"),
        links.signer.sign(Purpose::Unsubscribe, &payload, &[])
    )
}

/// Records the opt-out a token proves: the address is suppressed, the member's e-mail consent
/// withdrawn, the recipient marked. Idempotent. Returns the brand's name and language for the
/// page.
pub async fn unsubscribe(
    base: &Base,
    links: &Links,
    token: &str,
) -> Result<(String, crate::core::i18n::Lang), AppError> {
    let bad = || AppError::validation("token", "is not a valid unsubscribe link");
    let payload = links
        .signer
        .verify(Purpose::Unsubscribe, token, 16 + 8, &[])
        .ok_or_else(bad)?;
    let recipient = Uuid::from_slice(&payload[..16]).map_err(|_| bad())?;
    let expires = i64::from_be_bytes(payload[16..24].try_into().map_err(|_| bad())?);
    if base.clock.now().timestamp() > expires {
        return Err(AppError::validation(
            "token",
            "this unsubscribe link has expired",
        ));
    }
    let recipient = db::recipient(&base.db, recipient).await?.ok_or_else(bad)?;
    let scope = base.scope(recipient.tenant_id);
    let tx = scope.begin().await?;
    let now = base.clock.now();
    audiences::suppress_in(
        &tx,
        &recipient.email,
        suppression::SuppressionReason::Unsubscribed,
    )
    .await?;
    tx.update_many::<member::Entity>()
        .col_expr(member::Column::EmailConsent, Expr::value(false))
        .col_expr(member::Column::EmailConsentAt, Expr::value(Some(now)))
        .col_expr(
            member::Column::EmailConsentSource,
            Expr::value(Some("unsubscribe link".to_owned())),
        )
        .col_expr(member::Column::UpdatedAt, Expr::value(now))
        .filter(member::Column::Id.eq(recipient.member_id))
        .filter(member::Column::EmailConsent.eq(true))
        .exec(tx.db())
        .await?;
    tx.update_many::<campaign_recipient::Entity>()
        .col_expr(
            campaign_recipient::Column::UnsubscribedAt,
            Expr::value(Some(now)),
        )
        .filter(campaign_recipient::Column::Id.eq(recipient.id))
        .filter(campaign_recipient::Column::UnsubscribedAt.is_null())
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    let brand = crate::identity::brands::by_id(&base.db, recipient.tenant_id)
        .await?
        .map(|b| (b.name, crate::core::i18n::Lang::of_locale(&b.locale)))
        .unwrap_or_default();
    tracing::info!(tenant.id = %recipient.tenant_id, "member unsubscribed by link");
    Ok(brand)
}
