//! Offers in the portal: the list with each offer's figures (owners and managers) and a form
//! per kind, an offer's page with its settings, pause and resume, and for refund offers the
//! claims to approve, reject and mark paid. Members see the offers running now and follow and
//! submit their refund claims in their space ([`super::member`]).

use super::view::View;

pub(super) static OFFERS: View = View {
    template: "offers.html",
    queries: &[
        "{ offers { id name description kind code status startsAt endsAt priority exclusive
            cardHoldersOnly tierNames maxPerMember maxRedemptions budgetMinor stock } }",
        "{ offerFigures: offers { id figures { redemptions discountGivenMinor valueGivenMinor
            revenueMinor budgetLeftMinor } } }",
        "{ segments { id name } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static OFFER: View = View {
    template: "offer.html",
    queries: &[
        "query($id: ID!) { offer(id: $id) { id name description kind code status startsAt endsAt
            priority exclusive cardHoldersOnly tierNames segmentId excludeRecentBuyersDays maxPerMember
            memberPeriodDays maxRedemptions maxPerHousehold budgetMinor stock skus categories amountMinor percent
            minimumBasketMinor buyQuantity payQuantity nth bundleParts { skus categories quantity }
            bundlePriceMinor perQuantity freeQuantity giftSku giftValueMinor tradeInCategory
            voucherAmountMinor voucherPercent voucherValidFromDays voucherValidDays
            claimDeadlineDays proofsNeeded countUnits periodDays premiumPoints premiumProgramId
            figures { redemptions discountGivenMinor valueGivenMinor revenueMinor budgetLeftMinor }
            claims { submitted approved rejected paid owedMinor paidMinor } } }",
        "{ segments { id name } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
        "query($id: ID!) { refundClaims(offerId: $id) { id memberId purchaseId receiptReference
            receiptDate receiptAmountMinor amountMinor status reason payoutReference paidOn } }",
    ],
    lookups: &[],
};
