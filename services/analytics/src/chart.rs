//! Bar charts laid out on the server as numbers an SVG template draws: no script, no
//! inline style (the console's CSP forbids both), only coordinates and CSS classes.

use serde::Serialize;

/// Drawing area, in SVG user units; the SVG scales to its container.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
/// Room below the bars for their labels, and above for the largest value.
const LABEL_ROOM: f64 = 28.0;
const TOP_ROOM: f64 = 16.0;

/// One drawn rectangle.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bar {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    /// Which series: `0` the first, `1` the second (drawn lighter).
    series: usize,
    value: i64,
}

/// A group of bars under one label (a day, a stage, a week).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Group {
    label: String,
    /// Where its label is centred; `None` when labels would collide and this one is skipped.
    label_x: Option<f64>,
    values: Vec<i64>,
}

/// A chart: its bars, group labels, and the same figures for its accessible table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Chart {
    id: &'static str,
    title: String,
    desc: String,
    width: f64,
    height: f64,
    baseline: f64,
    series: Vec<String>,
    bars: Vec<Bar>,
    groups: Vec<Group>,
    /// The largest value, for the axis note.
    max: i64,
}

/// Lays out `groups` (label, one value per series) as grouped bars scaled to the largest.
pub(crate) fn bars(
    id: &'static str,
    title: &str,
    desc: &str,
    series: &[&str],
    groups: Vec<(String, Vec<i64>)>,
) -> Chart {
    let max = groups.iter().flat_map(|(_, values)| values.iter().copied()).max().unwrap_or(0).max(0);
    let baseline = HEIGHT - LABEL_ROOM;
    let slot = if groups.is_empty() { WIDTH } else { WIDTH / groups.len() as f64 };
    let per_series = series.len().max(1) as f64;
    let bar_width = (slot * 0.8 / per_series).max(1.0);
    // Show at most about 15 labels, so that thirty days stay legible.
    let label_every = groups.len().div_ceil(15).max(1);
    let mut bars = Vec::new();
    let mut laid_out = Vec::with_capacity(groups.len());
    for (index, (label, values)) in groups.into_iter().enumerate() {
        let left = slot * index as f64 + slot * 0.1;
        for (series_index, value) in values.iter().copied().enumerate() {
            let height =
                if max == 0 { 0.0 } else { (baseline - TOP_ROOM) * value.max(0) as f64 / max as f64 };
            bars.push(Bar {
                x: round(left + bar_width * series_index as f64),
                y: round(baseline - height),
                width: round(bar_width),
                height: round(height),
                series: series_index,
                value,
            });
        }
        let label_x = (index % label_every == 0).then(|| round(slot * index as f64 + slot / 2.0));
        laid_out.push(Group { label, label_x, values });
    }
    Chart {
        id,
        title: title.to_owned(),
        desc: desc.to_owned(),
        width: WIDTH,
        height: HEIGHT,
        baseline,
        series: series.iter().map(|name| (*name).to_owned()).collect(),
        bars,
        groups: laid_out,
        max,
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let chart = bars(
            "c",
            "t",
            "d",
            &["a"],
            vec![("x".into(), vec![10]), ("y".into(), vec![5]), ("z".into(), vec![0])],
        );
        assert_eq!(chart.max, 10);
        let heights: Vec<f64> = chart.bars.iter().map(|bar| bar.height).collect();
        assert_eq!(heights[0], 2.0 * heights[1]);
        assert_eq!(heights[2], 0.0);
        assert!(chart.bars.iter().all(|bar| bar.y + bar.height <= chart.baseline + 0.1));
    }

    #[test]
    fn an_empty_chart_has_no_bars() {
        let chart = bars("c", "t", "d", &["a", "b"], Vec::new());
        assert!(chart.bars.is_empty() && chart.max == 0);
    }
}
