//! Clubs and events in the portal. Clubs: the list with a form for owners and managers (joining
//! rule, segment, tiers, paid-membership program, up to three profile questions); a club's page
//! with its figures (members, joins, leaves, revenue of members against other members) and its
//! members with their answers. Staff join a member to a club from the member's page. Events:
//! the list with a form; an event's page with its figures, guests (waitlist in order), a form to
//! register or check a member in by card number at the door, invitations and cancellation.
//! Members join clubs and answer invitations in their space ([`super::member`]).

use super::view::View;

pub(super) static CLUBS: View = View {
    template: "clubs.html",
    queries: &[
        "{ clubs(archived: true) { id name description joinRule paid tierNames archivedAt runByCoalition
            questions { key label kind choices } } }",
        "{ segments { id name } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static CLUB: View = View {
    template: "club.html",
    queries: &[
        "query($id: ID!) { club(id: $id) { id name description joinRule segmentId tierNames paid
            membershipProgramId archivedAt createdAt runByCoalition questions { key label kind choices } } }",
        "query($id: ID!) { clubOtherBrandsMembers(clubId: $id) { notShared
            shared { brandName firstName lastName email joinedAt answers { key value } } } }",
        "query($id: ID!) { clubFigures(clubId: $id) { members invited joins leaves activeMembers
            membersRevenueMinor othersRevenueMinor revenuePerMemberMinor
            revenuePerOtherMemberMinor } }",
        "query($id: ID!) { clubMembers(clubId: $id) { id memberId memberName memberEmail status joinedAt leftAt
            invitedAt joins answers { key value } answersConsentAt } }",
    ],
    lookups: &[],
};

pub(super) static EVENTS: View = View {
    template: "events.html",
    queries: &[
        "{ events(pastToo: true) { id name kind startsAt endsAt place capacity seatsTaken
            seatsLeft invitationOnly clubId cancelledAt } }",
        "{ clubs { id name } }",
        "{ segments { id name } }",
        "{ programs(first: 50) { nodes { id name mechanic } } }",
    ],
    lookups: &[],
};

pub(super) static EVENT: View = View {
    template: "event.html",
    queries: &[
        "query($id: ID!) { event(id: $id) { id name description kind startsAt endsAt place
            capacity seatsTaken seatsLeft invitationOnly clubId segmentId tierNames rewardPoints
            rewardVoucherMinor voucherValidDays cancelledAt } }",
        "query($id: ID!) { eventGuests(eventId: $id) { id memberId memberName memberEmail status invitedAt respondedAt
            waitlistedAt checkedInAt rewardPoints rewardVoucherId } }",
        "query($id: ID!) { eventFigures(eventId: $id) { invited accepted waitlisted declined
            attended noShows seatsLeft pointsGiven vouchersGiven } }",
        "{ clubs { id name } }",
    ],
    lookups: &[],
};
