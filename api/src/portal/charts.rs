//! The dashboard's charts: daily series drawn as SVG by `plotters` (its SVG backend, no fonts
//! or bitmaps), inlined in the page. Presentation attributes only (no `style`), so the page's
//! Content-Security-Policy needs nothing more.

use plotters::prelude::*;

/// One line of a chart: its name (for the legend) and one value per day.
pub(super) struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<i64>,
    pub color: RGBColor,
}

pub(super) const BLUE: RGBColor = RGBColor(11, 92, 173);
pub(super) const ORANGE: RGBColor = RGBColor(214, 110, 20);
pub(super) const GREEN: RGBColor = RGBColor(27, 127, 59);

/// A line chart of `series` over `labels` (one per day), values shown through `y_label`
/// (amounts in the currency, counts as they are). `None` when there is nothing to draw.
pub(super) fn lines(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    y_label: &dyn Fn(i64) -> String,
) -> Option<String> {
    let n = labels.len();
    if n == 0 {
        return None;
    }
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let min = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .min()
        .unwrap_or(0)
        .min(0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(70)
            .build_cartesian_2d(0..(n.saturating_sub(1)).max(1), min..max + max / 10 + 1)
            .ok()?;
        let every = (n / 6).max(1);
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(228, 231, 238))
            .label_style(("sans-serif", 13))
            .x_labels(n.min(7))
            .x_label_formatter(&|i| {
                if i % every == 0 {
                    labels.get(*i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_labels(5)
            .y_label_formatter(&|v| y_label(*v))
            .draw()
            .ok()?;
        for s in series {
            let color = s.color;
            chart
                .draw_series(LineSeries::new(
                    s.values.iter().copied().enumerate(),
                    color.stroke_width(2),
                ))
                .ok()?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(200, 204, 214))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    // Inline in HTML: from the <svg> element on, with a role and a name for screen readers
    // (the figures are also in the table under the charts).
    let at = svg.find("<svg")?;
    Some(svg[at..].replacen(
        "<svg",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\"",
            crate::core::mail::templates::escape_html(title)
        ),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_svg_with_its_series_and_no_inline_style() {
        let labels: Vec<String> = (1..=5).map(|d| format!("0{d}/12")).collect();
        let svg = lines(
            "Revenue",
            &labels,
            &[
                Series {
                    name: "Members",
                    values: vec![10, 20, 15, 30, 25],
                    color: BLUE,
                },
                Series {
                    name: "Anonymous",
                    values: vec![5, 5, 8, 2, 0],
                    color: ORANGE,
                },
            ],
            &|v| format!("{v} €"),
        )
        .unwrap_or_default();
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"Revenue\""),
            "{svg}"
        );
        assert!(svg.contains("Members") && svg.contains("Anonymous"));
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{svg}");
        assert!(!svg.contains("style="), "no inline style under the CSP");
        assert!(lines("Empty", &[], &[], &|v| v.to_string()).is_none());
    }
}
