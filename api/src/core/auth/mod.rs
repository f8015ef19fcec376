//! Who is calling and what they may do.
//!
//! A [`Principal`] is resolved once per request from the bearer token (see `http::graphql`);
//! permissions are a pure function of the principal, checked by GraphQL field guards. Tenancy is
//! never a guard: it is the [`TenantScope`](crate::core::tenancy::TenantScope) the principal carries.

pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod secrets;

use std::fmt;

pub use entity::user_account::Role;
use uuid::Uuid;

/// The keys and limits of signing in: what a service that opens sessions or checks tokens needs.
pub struct Auth {
    pub jwt: jwt::JwtKeys,
    pub limits: rate_limit::RateLimits,
    /// How long a refresh token lives, in days.
    pub refresh_token_ttl_days: u32,
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// A person with a portal account (platform admin, coalition operator, brand owner/manager/staff).
    User {
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        role: Role,
    },
    /// A partner app (POS, e-shop, mobile app) holding an API key of one brand.
    PartnerApp {
        key_id: Uuid,
        tenant_id: Uuid,
        scopes: Vec<ApiScope>,
    },
    /// A consumer in a brand's app.
    Member {
        member_id: Uuid,
        tenant_id: Uuid,
    },
}

impl Principal {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::User { role, .. } => Some(*role),
            Self::PartnerApp { .. } => Some(Role::PartnerApp),
            Self::Member { .. } => Some(Role::Member),
        }
    }

    /// The brand the caller acts for, if any.
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::User { tenant_id, .. } => *tenant_id,
            Self::PartnerApp { tenant_id, .. } | Self::Member { tenant_id, .. } => Some(*tenant_id),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match self {
            Self::Anonymous => false,
            Self::PartnerApp { scopes, .. } => {
                permission == P::ViewOwnBrand || scopes.iter().any(|s| s.grants(permission))
            }
            Self::Member { .. } => matches!(
                permission,
                P::ViewOwnBrand | P::ViewPrograms | P::ViewOwnMembership
            ),
            Self::User { role, .. } => match permission {
                P::AdministerPlatform => *role == R::PlatformAdmin,
                P::ViewOwnMembership => false,
                P::ViewOwnBrand
                | P::ViewPrograms
                | P::EnrollMembers
                | P::ViewMembers
                | P::ManageCards
                | P::RecordPurchases
                | P::RedeemRewards
                | P::ViewOffers
                | P::GrantGestures => {
                    matches!(role, R::BrandOwner | R::BrandManager | R::BrandStaff)
                }
                P::ViewUsers
                | P::ManagePrograms
                | P::ManageMail
                | P::ManageMemberData
                | P::ImportHistory
                | P::ManageOffers
                | P::ManageCommunity
                | P::ManageInsights
                | P::ViewStatistics => {
                    matches!(role, R::BrandOwner | R::BrandManager)
                }
                P::ManageUsers | P::ManageApiKeys | P::JoinCoalitions | P::ManageBrand => {
                    *role == R::BrandOwner
                }
                P::ViewCoalitions => matches!(
                    role,
                    R::PlatformAdmin | R::CoalitionOperator | R::BrandOwner | R::BrandManager
                ),
                P::ManageCoalitions => *role == R::CoalitionOperator,
                P::ViewCoalitionCards => matches!(
                    role,
                    R::CoalitionOperator | R::BrandOwner | R::BrandManager | R::BrandStaff
                ),
            },
        }
    }
}

/// What a caller may do. Every guarded field names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the caller's own brand.
    ViewOwnBrand,
    /// List the brand's portal users and invitations.
    ViewUsers,
    /// Invite users, change roles, deactivate.
    ManageUsers,
    /// Create, list and revoke partner API keys.
    ManageApiKeys,
    /// List brands, suspend and reactivate them.
    AdministerPlatform,
    /// Create programs and change their rules.
    ManagePrograms,
    /// Read programs and their rules.
    ViewPrograms,
    /// Enrol members.
    EnrollMembers,
    /// Look up members, cards, balances and purchases.
    ViewMembers,
    /// Block, unblock and replace cards.
    ManageCards,
    /// Record purchases.
    RecordPurchases,
    /// Convert points into vouchers and redeem vouchers.
    RedeemRewards,
    /// Grant goodwill gestures (people only, within the brand's limits).
    GrantGestures,
    /// A member reading their own account.
    ViewOwnMembership,
    /// Read the coalitions the caller takes part in (all of them for a platform admin).
    ViewCoalitions,
    /// Run a coalition: invite brands (its operators only).
    ManageCoalitions,
    /// Accept or decline a coalition's invitation, leave a coalition (brand owners).
    JoinCoalitions,
    /// Look up a coalition card: its balance and movements (the operator: all movements and no
    /// personal data; a member brand: its own movements, the profile only with consent).
    ViewCoalitionCards,
    /// Mail settings, templates, previews, segments and audiences (owners and managers).
    ManageMail,
    /// Export or erase a member's personal data (owners and managers).
    ManageMemberData,
    /// Record purchases dated further back than the platform's limit (importing history):
    /// owners, managers, and partner apps with the `history:import` scope.
    ImportHistory,
    /// The brand's figures over a period: revenue, purchases, points (owners and managers).
    ViewStatistics,
    /// Change the brand's name, time zone, language and colour (owners).
    ManageBrand,
    /// Read the brand's offers (the till shows them): people of the brand, partner apps with
    /// `offers:read` or `purchases:write`.
    ViewOffers,
    /// Create, change, pause offers and read their figures (owners and managers).
    ManageOffers,
    /// Run the community features: create, change, cancel and draw contests (entries, winners,
    /// audit trail), set the referral policy and read referrals (owners and managers).
    ManageCommunity,
    /// Change how the brand's members are scored (RFM/FRAT window, cut points, segments) and
    /// score them now (owners and managers).
    ManageInsights,
}

/// Scopes a brand grants to a partner app's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum ApiScope {
    /// Look up members and cards.
    MembersRead,
    /// Enrol members and update their profile.
    MembersWrite,
    /// Record purchases and returns.
    PurchasesWrite,
    /// Redeem points, vouchers and rewards.
    RewardsRedeem,
    /// List offers and the reward catalog.
    OffersRead,
    /// Record purchases dated further back than the platform's limit (history imports).
    HistoryImport,
}

impl ApiScope {
    pub const ALL: [ApiScope; 6] = [
        Self::MembersRead,
        Self::MembersWrite,
        Self::PurchasesWrite,
        Self::RewardsRedeem,
        Self::OffersRead,
        Self::HistoryImport,
    ];

    /// The OAuth scope string, e.g. `purchases:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MembersRead => "members:read",
            Self::MembersWrite => "members:write",
            Self::PurchasesWrite => "purchases:write",
            Self::RewardsRedeem => "rewards:redeem",
            Self::OffersRead => "offers:read",
            Self::HistoryImport => "history:import",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Parses a space-separated scope list, ignoring unknown words (scopes of a newer server).
    pub fn parse_list(s: &str) -> Vec<Self> {
        s.split_whitespace().filter_map(Self::parse).collect()
    }

    pub fn join(scopes: &[Self]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether this scope covers a permission. Portal permissions (users, keys, platform) are
    /// never granted to a partner app, whatever its scopes.
    fn grants(self, permission: Permission) -> bool {
        use Permission as P;
        match permission {
            P::ViewOwnBrand => true,
            P::ViewPrograms => matches!(
                self,
                Self::OffersRead | Self::PurchasesWrite | Self::RewardsRedeem
            ),
            P::EnrollMembers | P::ManageCards => self == Self::MembersWrite,
            P::ViewMembers | P::ViewCoalitionCards => {
                matches!(self, Self::MembersRead | Self::MembersWrite)
            }
            P::RecordPurchases => self == Self::PurchasesWrite,
            P::ViewOffers => matches!(self, Self::OffersRead | Self::PurchasesWrite),
            P::RedeemRewards => self == Self::RewardsRedeem,
            P::ImportHistory => self == Self::HistoryImport,
            P::ViewUsers
            | P::ManageUsers
            | P::ManageApiKeys
            | P::AdministerPlatform
            | P::ManagePrograms
            | P::GrantGestures
            | P::ViewOwnMembership
            | P::ViewCoalitions
            | P::ManageCoalitions
            | P::JoinCoalitions
            | P::ManageMail
            | P::ManageMemberData
            | P::ViewStatistics
            | P::ManageOffers
            | P::ManageCommunity
            | P::ManageInsights
            | P::ManageBrand => false,
        }
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Principal {
        Principal::User {
            user_id: Uuid::nil(),
            tenant_id: Some(Uuid::nil()),
            role,
        }
    }

    #[test]
    fn only_owners_manage_users_and_keys() {
        assert!(user(Role::BrandOwner).can(Permission::ManageUsers));
        assert!(user(Role::BrandOwner).can(Permission::ManageApiKeys));
        for role in [
            Role::BrandManager,
            Role::BrandStaff,
            Role::PlatformAdmin,
            Role::CoalitionOperator,
        ] {
            assert!(!user(role).can(Permission::ManageUsers), "{role:?}");
            assert!(!user(role).can(Permission::ManageApiKeys), "{role:?}");
        }
    }

    #[test]
    fn anonymous_callers_can_do_nothing_guarded() {
        for p in [
            Permission::ViewOwnBrand,
            Permission::ViewUsers,
            Permission::ManageUsers,
            Permission::ManageApiKeys,
            Permission::AdministerPlatform,
        ] {
            assert!(!Principal::Anonymous.can(p));
        }
    }

    #[test]
    fn partner_apps_see_their_brand_and_nothing_of_the_portal() {
        let app = Principal::PartnerApp {
            key_id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            scopes: ApiScope::ALL.to_vec(),
        };
        assert!(app.can(Permission::ViewOwnBrand));
        assert!(!app.can(Permission::ViewUsers));
        assert!(!app.can(Permission::ManageApiKeys));
    }

    #[test]
    fn scope_lists_round_trip_and_skip_unknown_words() {
        let scopes = ApiScope::parse_list("purchases:write  nonsense members:read");
        assert_eq!(
            scopes,
            vec![ApiScope::PurchasesWrite, ApiScope::MembersRead]
        );
        assert_eq!(ApiScope::join(&scopes), "purchases:write members:read");
    }
}
