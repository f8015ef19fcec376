//! The rewards catalog (points programs' rewards: add, switch on and off, add stock) and the
//! vouchers desk (issue a promo code or a member's voucher, look one up by code, use it).

use super::view::View;

pub(super) static REWARDS: View = View {
    template: "rewards.html",
    queries: &[
        "{ rewards(activeOnly: false, first: 100) { nodes { id programId name description kind
            pointsCost amountMinor percent stockRemaining perMemberLimit perMemberPeriodDays
            voucherValidDays active } } }",
        "{ programs(first: 100) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static VOUCHERS: View = View {
    template: "vouchers.html",
    queries: &[],
    lookups: &[(
        "code",
        "query($code: String!) { voucher(code: $code) { id code kind amountMinor percent currency
            minimumBasketMinor validFrom validUntil maxUses uses status memberId label source } }",
    )],
};

/// The brand's settings (owners): name, time zone, language, colour.
pub(super) static SETTINGS: View = View {
    template: "settings.html",
    queries: &[],
    lookups: &[],
};
