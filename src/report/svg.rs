//! The HTML report's charts, drawn as inline SVG by hand: each is a few hundred bytes, needs no
//! dependency and no script, and carries its numbers as `data-*` attributes (the JSON report's
//! figures, unrounded) so a test can compare a chart with the report it came from.
//!
//! Geometry (SPEC §3.1): a 640×220 view box; the plot spans x 64–624 and y 16–176; point `i` of
//! `n` sits at the middle of its slot, `x = 64 + (i + ½)·560/n`; values map linearly onto y over
//! the domain of every drawn number (points and band edges) widened by 8% of its span on each
//! side (by 1 when the span is 0), so `y = 16 + (hi − v)/(hi − lo)·160`.

use serde_json::Value;

use super::escape;
use super::Status;

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// A band a value is judged against; an edge is `None` when the report has none (not finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub lower: Option<f64>,
    pub center: Option<f64>,
    pub upper: Option<f64>,
}

impl Band {
    /// The band of an anomaly check's `details` (`lower`, `center`, `upper`), if it has one.
    pub fn of(details: &Value) -> Option<Band> {
        let band = Band {
            lower: details.get("lower").and_then(Value::as_f64),
            center: details.get("center").and_then(Value::as_f64),
            upper: details.get("upper").and_then(Value::as_f64),
        };
        (band.lower.is_some() || band.upper.is_some()).then_some(band)
    }

    fn edges(&self) -> impl Iterator<Item = f64> {
        [self.lower, self.center, self.upper].into_iter().flatten()
    }
}

/// One point of a series: its partition, its value, the band it was judged against when it has
/// its own (the history view), and its verdict when it was judged.
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub value: f64,
    pub band: Option<Band>,
    pub status: Option<Status>,
}

/// The linear map from values to the plot.
struct Scale {
    lo: f64,
    hi: f64,
    slots: usize,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>, slots: usize) -> Scale {
        let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        let (min, max) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let (min, max) = if finite.is_empty() { (0.0, 1.0) } else { (min, max) };
        let pad = if max > min { (max - min) * 0.08 } else { 1.0 };
        Scale { lo: min - pad, hi: max + pad, slots: slots.max(1) }
    }

    fn x(&self, i: usize) -> f64 {
        LEFT + (i as f64 + 0.5) * self.slot_width()
    }

    fn slot_width(&self) -> f64 {
        (WIDTH - LEFT - RIGHT) / self.slots as f64
    }

    fn y(&self, v: f64) -> f64 {
        let y = TOP + (self.hi - v) / (self.hi - self.lo) * (HEIGHT - TOP - BOTTOM);
        y.clamp(TOP, HEIGHT - BOTTOM)
    }
}

/// A coordinate, to a tenth of a unit (stable text, sub-pixel exact).
fn at(v: f64) -> String {
    format!("{v:.1}")
}

/// A number as the JSON report writes it.
fn exact(v: f64) -> String {
    Value::from(v).to_string()
}

/// An axis label: short, but never rounding a whole number.
fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{:.4}", v).trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn status_class(status: Option<Status>) -> &'static str {
    status.map(Status::name).unwrap_or("history")
}

fn open(title: &str, class: &str) -> String {
    format!(
        "<svg class=\"chart {class}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title)
    )
}

/// Axes, three value ticks and the partition labels (every k-th when they would crowd).
fn axes(scale: &Scale, labels: &[&str], out: &mut String) {
    let bottom = HEIGHT - BOTTOM;
    out.push_str(&format!(
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{bottom}\"/><line class=\"axis\" x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\"/>",
        WIDTH - RIGHT
    ));
    for v in [scale.lo, (scale.lo + scale.hi) / 2.0, scale.hi] {
        out.push_str(&format!(
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            at(scale.y(v) + 4.0),
            escape(&short(v))
        ));
    }
    let every = ((labels.len() as f64 * 72.0) / (WIDTH - LEFT - RIGHT)).ceil().max(1.0) as usize;
    let mut shown: Vec<usize> = (0..labels.len()).step_by(every).collect();
    // The last label (today, or the newest partition) is always shown, in place of a neighbour
    // it would overlap.
    if let (Some(last), Some(end)) = (shown.last_mut(), labels.len().checked_sub(1)) {
        *last = end;
    }
    for i in shown {
        out.push_str(&format!(
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            at(scale.x(i)),
            at(bottom + 16.0),
            escape(labels[i])
        ));
    }
}

/// A band across the whole plot: the lower-to-upper rectangle and the centre line.
fn band_across(scale: &Scale, band: Band, out: &mut String) {
    let top = band.upper.map_or(TOP, |u| scale.y(u));
    let bottom = band.lower.map_or(HEIGHT - BOTTOM, |l| scale.y(l));
    out.push_str(&format!(
        "<rect class=\"band\" x=\"{LEFT}\" y=\"{}\" width=\"{}\" height=\"{}\"{}{}/>",
        at(top),
        WIDTH - LEFT - RIGHT,
        at(bottom - top),
        band.lower.map(|l| format!(" data-lower=\"{}\"", exact(l))).unwrap_or_default(),
        band.upper.map(|u| format!(" data-upper=\"{}\"", exact(u))).unwrap_or_default(),
    ));
    if let Some(c) = band.center {
        out.push_str(&format!(
            "<line class=\"center\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" data-center=\"{}\"/>",
            WIDTH - RIGHT,
            exact(c),
            y = at(scale.y(c))
        ));
    }
}

/// The line through the points and the points themselves; the last is "today" when `today`.
fn line_and_points(scale: &Scale, points: &[Point], today: bool, out: &mut String) {
    let coords: Vec<String> =
        points.iter().enumerate().map(|(i, p)| format!("{},{}", at(scale.x(i)), at(scale.y(p.value)))).collect();
    out.push_str(&format!("<polyline class=\"line\" points=\"{}\"/>", coords.join(" ")));
    for (i, p) in points.iter().enumerate() {
        let is_today = today && i + 1 == points.len();
        out.push_str(&format!(
            "<circle class=\"point {}{}\" cx=\"{}\" cy=\"{}\" r=\"{}\" data-partition=\"{}\" data-value=\"{}\"><title>{}: {}{}</title></circle>",
            status_class(p.status),
            if is_today { " today" } else { "" },
            at(scale.x(i)),
            at(scale.y(p.value)),
            if is_today { 6 } else { 4 },
            escape(&p.label),
            exact(p.value),
            escape(&p.label),
            escape(&exact(p.value)),
            p.status.map(|s| format!(" ({})", s.name())).unwrap_or_default(),
        ));
    }
}

/// An anomaly check: its history window, the band today's value was judged against, and today's
/// point in its verdict's colour.
pub fn anomaly(title: &str, history: &[Point], today: Point, band: Option<Band>) -> String {
    let mut points = history.to_vec();
    points.push(today);
    let numbers = points.iter().map(|p| p.value).chain(band.iter().flat_map(Band::edges));
    let scale = Scale::new(numbers, points.len());
    let mut out = open(title, "anomaly");
    let labels: Vec<&str> = points.iter().map(|p| p.label.as_str()).collect();
    axes(&scale, &labels, &mut out);
    if let Some(band) = band {
        band_across(&scale, band, &mut out);
    }
    line_and_points(&scale, &points, true, &mut out);
    out.push_str("</svg>");
    out
}

/// A recorded series (`history --format html`): each point with the band it was judged
/// against, drawn as a bar of its slot's width, when it has one.
pub fn series(title: &str, points: &[Point]) -> String {
    let numbers = points.iter().flat_map(|p| std::iter::once(p.value).chain(p.band.iter().flat_map(Band::edges)));
    let scale = Scale::new(numbers, points.len());
    let mut out = open(title, "series");
    let labels: Vec<&str> = points.iter().map(|p| p.label.as_str()).collect();
    axes(&scale, &labels, &mut out);
    let width = scale.slot_width() * 0.6;
    for (i, p) in points.iter().enumerate() {
        let Some(band) = p.band else { continue };
        let top = band.upper.map_or(TOP, |u| scale.y(u));
        let bottom = band.lower.map_or(HEIGHT - BOTTOM, |l| scale.y(l));
        out.push_str(&format!(
            "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-partition=\"{}\"/>",
            at(scale.x(i) - width / 2.0),
            at(top),
            at(width),
            at(bottom - top),
            escape(&p.label)
        ));
    }
    line_and_points(&scale, points, false, &mut out);
    out.push_str("</svg>");
    out
}

/// Bars from zero, one per partition, coloured by the partition's status.
pub fn bars(title: &str, bars: &[(String, f64, Status)]) -> String {
    // Bars grow from zero (counts are never negative), not from a padded bottom.
    let scale = Scale { lo: 0.0, ..Scale::new(bars.iter().map(|b| b.1).chain([0.0]), bars.len()) };
    let mut out = open(title, "bars");
    let labels: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
    axes(&scale, &labels, &mut out);
    let width = scale.slot_width() * 0.7;
    let zero = scale.y(0.0);
    for (i, (label, value, status)) in bars.iter().enumerate() {
        let top = scale.y(*value);
        out.push_str(&format!(
            "<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-partition=\"{}\" data-value=\"{}\"><title>{}: {}</title></rect>",
            status.name(),
            at(scale.x(i) - width / 2.0),
            at(top),
            at(width),
            at(zero - top),
            escape(label),
            exact(*value),
            escape(label),
            escape(&exact(*value)),
        ));
    }
    out.push_str("</svg>");
    out
}

/// A strip of expected partitions, 31 to a row: present ones plain, missing ones marked.
pub fn calendar(title: &str, days: &[(String, bool)]) -> String {
    const CELL: f64 = 18.0;
    const PER_ROW: usize = 31;
    let rows = days.len().div_ceil(PER_ROW).max(1);
    let width = CELL * days.len().clamp(1, PER_ROW) as f64 + 2.0;
    let height = CELL * rows as f64 + 2.0;
    let mut out = format!(
        "<svg class=\"chart calendar\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title)
    );
    for (i, (day, present)) in days.iter().enumerate() {
        let state = if *present { "present" } else { "missing" };
        out.push_str(&format!(
            "<rect class=\"day {state}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-date=\"{}\"><title>{}: {state}</title></rect>",
            at(1.0 + CELL * (i % PER_ROW) as f64),
            at(1.0 + CELL * (i / PER_ROW) as f64),
            CELL - 3.0,
            CELL - 3.0,
            escape(day),
            escape(day),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, value: f64) -> Point {
        Point { label: label.into(), value, band: None, status: None }
    }

    #[test]
    fn geometry_follows_the_documented_formula() {
        // Values 100 ×3 and today 40, band [70, 130]: domain 40..130 widened by 7.2 each side.
        let history = [point("a", 100.0), point("b", 100.0), point("c", 100.0)];
        let today = Point { status: Some(Status::Fail), ..point("d", 40.0) };
        let band = Band { lower: Some(70.0), center: Some(100.0), upper: Some(130.0) };
        let svg = anomaly("rows", &history, today, Some(band));
        let (lo, hi) = (40.0 - 7.2, 130.0 + 7.2);
        let y = |v: f64| 16.0 + (hi - v) / (hi - lo) * 160.0;
        // Today is the 4th of 4 slots of 140 px: x = 64 + 3.5·140.
        assert!(svg.contains(&format!("class=\"point fail today\" cx=\"554.0\" cy=\"{:.1}\"", y(40.0))), "{svg}");
        assert!(svg.contains(&format!(
            "class=\"band\" x=\"64\" y=\"{:.1}\" width=\"560\" height=\"{:.1}\"",
            y(130.0),
            y(70.0) - y(130.0)
        )));
        assert!(svg.contains("data-lower=\"70.0\" data-upper=\"130.0\""));
        assert!(svg.contains(&format!("y1=\"{:.1}\"", y(100.0))));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars("<b>", &[("<script>alert(1)</script>".into(), 3.0, Status::Fail)]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("<title>&lt;b&gt;</title>"));
    }

    #[test]
    fn bars_start_at_zero() {
        let svg = bars("rows", &[("a".into(), 10.0, Status::Pass), ("b".into(), 5.0, Status::Fail)]);
        // Domain 0..10, its top widened by 0.8: 0 sits on the axis at y = 176.
        let zero = 176.0;
        let top_b = 16.0 + (10.8 - 5.0) / 10.8 * 160.0;
        assert!(
            svg.contains(&format!(
                "y=\"{:.1}\" width=\"196.0\" height=\"{:.1}\" data-partition=\"b\"",
                top_b,
                zero - top_b
            )),
            "{svg}"
        );
    }
}
