//! Customer knowledge in the portal: the brand's scoring segments and how many members each
//! holds, the movements since a day, the scoring settings (owners and managers).

use super::view::View;

pub(super) static INSIGHTS: View = View {
    template: "insights.html",
    queries: &["{ scoring { windowDays customSegments lastRunOn membersScored
        thresholds { recencyDays frequency amountMinor categories }
        segments { key name minR maxR minF maxF minM maxM minT maxT enrolledWithinDays bought members } } }"],
    lookups: &[(
        "from",
        "query($from: NaiveDate!) { segmentMovements(from: $from) { from to members } }",
    )],
};
