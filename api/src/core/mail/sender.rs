//! Who a brand's mail comes from: its saved sender (name, address, reply-to, DKIM key) or, until
//! it saves one, the platform's address under the brand's name. Read through the tenant scope,
//! so a brand's mail is never signed or sent under another brand's sender.

use entity::mail_settings;

use crate::core::{
    error::AppError,
    mail::{DkimKey, Post},
    tenancy::TenantScope,
};

/// The sender fields of a brand's mail.
#[derive(Debug, Clone)]
pub struct BrandSender {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub dkim: Option<DkimKey>,
}

/// The sender a saved settings row gives, or the platform's address under `brand_name`.
pub fn from_settings(
    post: &Post,
    brand_name: String,
    row: Option<&mail_settings::Model>,
) -> BrandSender {
    match row {
        Some(s) => BrandSender {
            from_name: s.from_name.clone(),
            from_address: s.from_address.clone(),
            reply_to: s.reply_to.clone(),
            dkim: match (
                &s.dkim_selector,
                &s.dkim_domain,
                &s.dkim_algorithm,
                &s.dkim_private_key,
            ) {
                (Some(selector), Some(domain), Some(algorithm), Some(private_key)) => {
                    Some(DkimKey {
                        selector: selector.clone(),
                        domain: domain.clone(),
                        algorithm: algorithm.clone(),
                        private_key: private_key.clone(),
                    })
                }
                _ => None,
            },
        },
        None => BrandSender {
            from_name: brand_name,
            // The platform's sender (`Name <address>`): its address, under the brand's name.
            from_address: crate::core::mail::sender_mailbox("", &post.default_from)
                .map(|m| m.email.to_string())
                .unwrap_or_else(|_| post.default_from.clone()),
            reply_to: None,
            dkim: None,
        },
    }
}

/// The scope's brand's sender.
pub async fn of_brand(post: &Post, scope: &TenantScope) -> Result<BrandSender, AppError> {
    let conn = scope.conn();
    let row = conn.find::<mail_settings::Entity>().one(conn.db()).await?;
    let name = match &row {
        Some(_) => String::new(),
        None => conn.brand().await?.name,
    };
    Ok(from_settings(post, name, row.as_ref()))
}
