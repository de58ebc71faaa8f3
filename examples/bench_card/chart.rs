//! The bench card as an SVG chart: the generated map / zip / reduce kernels against the naive,
//! plain and hand-written pulp baselines (GB/s, with each row's bandwidth roof), and the
//! convolutions against the peak FMA rate measured in the same run (GFLOP/s).

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use simdgrad_workspace::cases::Impl;

use crate::card::{Line, Unit};
use crate::kernels::KernelRow;
use crate::nn::ConvBaselines;

/// One horizontal group of bars: a label, one value per series (NaN: not measured) and an
/// optional roof marker.
struct Group {
    label: String,
    values: Vec<f64>,
    roof: Option<f64>,
}

struct Panel<'a> {
    title: String,
    x_desc: &'static str,
    series: &'a [(&'static str, RGBColor)],
    groups: Vec<Group>,
    roof_label: &'static str,
    /// Vertical lines over the whole panel: `(value, label, colour)`.
    lines: Vec<(f64, String, RGBColor)>,
}

const BLUE_: RGBColor = RGBColor(31, 119, 180);
const NAVY: RGBColor = RGBColor(10, 50, 110);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN_: RGBColor = RGBColor(44, 160, 44);
const RED_: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(90, 90, 90);

const GROUP_PX: u32 = 34;
const WIDTH: u32 = 1100;

/// Writes the chart to `path`.
pub fn write(
    path: &Path,
    rows: &[KernelRow],
    lines: &[Line],
    baselines: &[ConvBaselines],
    subtitle: &str,
) -> Result<(), String> {
    let kernel_series = [
        ("generated", BLUE_),
        ("hand-written pulp", GREEN_),
        ("plain Rust loop", ORANGE),
        ("naive index loop", RED_),
    ];
    let kernels = Panel {
        title: format!("generated map / zip / reduce kernels, 1 thread (GB/s) - {subtitle}"),
        x_desc: "GB/s (bytes: inputs read once + output written once)",
        series: &kernel_series,
        groups: rows
            .iter()
            .filter(|r| r.card)
            .map(|r| Group {
                label: format!("{} {}", r.op(), r.shape()),
                values: [Impl::Generated, Impl::PulpHand, Impl::Plain, Impl::Naive]
                    .into_iter()
                    .map(|i| r.gbps(i))
                    .collect(),
                roof: Some(r.line.roof.value),
            })
            .collect(),
        roof_label: "roof: same-size STREAM kernel, 1 thread",
        lines: Vec::new(),
    };
    let conv_series = [
        ("simdgrad, 1 thread", BLUE_),
        ("simdgrad, 2 threads", NAVY),
        ("im2col + GEMM, 1 thread", ORANGE),
        ("naive loop, 1 thread", RED_),
    ];
    let conv_lines: Vec<&Line> = lines
        .iter()
        .filter(|l| l.unit == Unit::GFLOPs && l.threads == 1)
        .collect();
    let value = |op: &str, t: usize| {
        lines
            .iter()
            .find(|l| l.op == op && l.threads == t)
            .map_or(f64::NAN, Line::value)
    };
    let peak = |t: usize| {
        lines
            .iter()
            .find(|l| l.unit == Unit::GFLOPs && l.threads == t)
            .map(|l| l.roof.value)
    };
    let mut peaks = Vec::new();
    for (t, what, colour) in [(1, "1 thread", BLUE_), (2, "2 threads", NAVY)] {
        if let Some(p) = peak(t) {
            peaks.push((p, format!("peak FMA, {what}: {p:.0} GFLOP/s"), colour));
        }
    }
    let convs = Panel {
        title:
            "convolutions and matmul (GFLOP/s) against the peak FMA rate measured in the same run"
                .into(),
        x_desc: "GFLOP/s (2·B·O·C·KH·KW·OH·OW per forward; fwdbwd 3x; matmul 2·M·N·K)",
        series: &conv_series,
        groups: conv_lines
            .iter()
            .map(|l| {
                let b = baselines.iter().find(|b| b.op == l.op);
                let flops_at = |ms: Option<f64>| ms.map_or(f64::NAN, |m| l.amount / (m * 1e6));
                Group {
                    label: l.op.clone(),
                    values: vec![
                        l.value(),
                        value(&l.op, 2),
                        flops_at(b.and_then(|b| b.im2col_ms)),
                        flops_at(b.and_then(|b| b.naive_ms)),
                    ],
                    roof: None,
                }
            })
            .collect(),
        roof_label: "",
        lines: peaks,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let h1 = panel_height(&kernels);
    let h2 = panel_height(&convs);
    let root = SVGBackend::new(path, (WIDTH, h1 + h2)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, bottom) = root.split_vertically(h1);
    draw(&top, &kernels)?;
    draw(&bottom, &convs)?;
    root.present().map_err(|e| e.to_string())
}

fn panel_height(p: &Panel<'_>) -> u32 {
    p.groups.len() as u32 * GROUP_PX + 130
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    p: &Panel<'_>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let n = p.groups.len();
    let max = p
        .groups
        .iter()
        .flat_map(|g| g.values.iter().copied().chain(g.roof))
        .chain(p.lines.iter().map(|l| l.0))
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max)
        // Room on the right for the legend, clear of the longest bar.
        * 1.65;
    // Group i (from the top) spans y in [n - i - 1, n - i].
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(0.0..max, 0.0..n as f64)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(p.x_desc)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    // The group names, right-aligned left of the axis at each group's centre (the mesh's
    // labels sit at round values, not at the centres).
    let (bx, by) = area.get_base_pixel();
    let style =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, g) in p.groups.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(0.0, n as f64 - i as f64 - 0.5));
        area.draw(&Text::new(g.label.as_str(), (px - bx - 8, py - by), &style))
            .map_err(|e| err(&e))?;
    }
    let k = p.series.len() as f64;
    let bar = 0.8 / k;
    for (j, &(name, colour)) in p.series.iter().enumerate() {
        let rects = p.groups.iter().enumerate().filter_map(|(i, g)| {
            let v = g.values[j];
            let top = n as f64 - i as f64 - 0.1 - j as f64 * bar;
            v.is_finite()
                .then(|| Rectangle::new([(0.0, top - bar * 0.92), (v, top)], colour.filled()))
        });
        chart
            .draw_series(rects)
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    if p.groups.iter().any(|g| g.roof.is_some()) {
        let marks = p.groups.iter().enumerate().filter_map(|(i, g)| {
            let r = g.roof?;
            let y = n as f64 - i as f64;
            Some(PathElement::new(
                vec![(r, y - 0.05), (r, y - 0.95)],
                GREY.stroke_width(3),
            ))
        });
        chart
            .draw_series(marks)
            .map_err(|e| err(&e))?
            .label(p.roof_label)
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 6, y - 6), (x + 6, y + 6)], GREY.stroke_width(3))
            });
    }
    for (v, label, colour) in &p.lines {
        let colour = *colour;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*v, 0.0), (*v, n as f64)],
                colour.stroke_width(2),
            )))
            .map_err(|e| err(&e))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 12, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))
}
