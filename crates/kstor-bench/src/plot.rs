//! `--plot FILE.svg`: one log-scale percentile plot per profile (SVG, plotters).
//!
//! The x axis is the percentile on the classic HDR scale, `-log10(1 - q)` (0 → 0 %,
//! 1 → 90 %, 2 → 99 %, 3 → 99.9 %…), so the tail gets as much room as the median; the
//! y axis is the latency on a log scale.

use std::path::Path;

use anyhow::{Context, anyhow};
use plotters::prelude::*;

use crate::histogram::CurvePoint;
use crate::report::{ProfileResult, Report};
use crate::units::format_ns;

/// Largest x drawn: 99.999 %.
const MAX_NINES: f64 = 5.0;

/// Writes the percentile plots of `report` to `path` as SVG. Uses each profile's full
/// curve when present, else the summary percentiles (a report read back from JSON).
pub fn write_svg(report: &Report, path: &Path) -> anyhow::Result<()> {
    draw(report, path).map_err(|e| anyhow!("cannot write plot {}: {e}", path.display()))
}

fn draw(report: &Report, path: &Path) -> anyhow::Result<()> {
    let n = report.profiles.len().max(1);
    let cols = if n > 1 { 2 } else { 1 };
    let rows = n.div_ceil(cols);
    let size = (560 * cols as u32, 340 * rows as u32 + 50);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!("kstor bench {} ({})", report.path.display(), report.filesystem.fs_type);
    let root = root.titled(&title, ("sans-serif", 22))?;
    for (r, area) in report.profiles.iter().zip(root.split_evenly((rows, cols))) {
        panel(r, &area).with_context(|| format!("profile {}", r.profile))?;
    }
    root.present()?;
    Ok(())
}

fn panel<DB: DrawingBackend>(
    r: &ProfileResult,
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let curve: Vec<CurvePoint> = if r.curve.is_empty() { r.latency_ns.as_curve() } else { r.curve.clone() };
    // y is log10 of the latency in ns, drawn on a linear axis with latency labels: this
    // keeps ticks on whole and half decades instead of plotters' crowded log mesh.
    let points: Vec<(f64, f64)> = curve
        .iter()
        .filter(|p| p.quantile < 1.0)
        .map(|p| (nines(p.quantile), (p.latency_ns.max(1) as f64).log10()))
        .filter(|(x, _)| *x <= MAX_NINES)
        .collect();
    let y_lo = (r.latency_ns.min.max(1) as f64).log10().floor();
    let y_hi = (r.latency_ns.max.max(1) as f64).log10().ceil().max(y_lo + 1.0);
    let x_max = points.iter().map(|p| p.0).fold(1.0f64, f64::max).ceil().min(MAX_NINES);
    let caption = format!(
        "{}: p50 {}, p99 {}, max {}",
        r.profile,
        format_ns(r.latency_ns.p50),
        format_ns(r.latency_ns.p99),
        format_ns(r.latency_ns.max)
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, y_lo..y_hi)
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(x_max as usize + 1)
        .y_labels(((y_hi - y_lo) * 2.0) as usize + 1)
        .x_label_formatter(&|x| percent_label(*x))
        .y_label_formatter(&|y| format_ns(10f64.powf(*y).round() as u64))
        .x_desc("percentile")
        .y_desc("latency")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    // The pattern table's boundaries that fall inside the plot.
    let band = RGBColor(200, 80, 80);
    for (ns, label) in BOUNDARIES {
        let y = (*ns as f64).log10();
        if y <= y_lo || y >= y_hi {
            continue;
        }
        chart
            .draw_series(LineSeries::new([(0.0, y), (x_max, y)], band.mix(0.5).stroke_width(1)))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(std::iter::once(Text::new(
                *label,
                (0.05, y),
                ("sans-serif", 11).into_font().color(&band),
            )))
            .map_err(|e| anyhow!("{e}"))?;
    }
    chart.draw_series(LineSeries::new(points, BLUE.stroke_width(2))).map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Upper bounds of the pattern table's bands, drawn as reference lines.
const BOUNDARIES: &[(u64, &str)] = &[
    (500_000, "memory < 0.5 ms"),
    (2_000_000, "RWO block from 2 ms"),
    (8_000_000, "RWO block up to 8 ms"),
    (15_000_000, "distributed up to 15 ms"),
    (40_000_000, "RWX file up to 40 ms"),
];

/// `-log10(1 - q)`: 0.9 → 1, 0.99 → 2, 0.999 → 3.
pub fn nines(quantile: f64) -> f64 {
    -(1.0 - quantile.clamp(0.0, 1.0 - 1e-12)).log10()
}

/// The percentile an x position stands for: 0 → `0%`, 2 → `99%`, 3 → `99.9%`.
fn percent_label(x: f64) -> String {
    let pct = 100.0 * (1.0 - 10f64.powf(-x));
    let decimals = (x.round() as i32 - 2).max(0) as usize;
    format!("{pct:.decimals$}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels() {
        assert_eq!(percent_label(0.0), "0%");
        assert_eq!(percent_label(1.0), "90%");
        assert_eq!(percent_label(2.0), "99%");
        assert_eq!(percent_label(3.0), "99.9%");
        assert_eq!(percent_label(4.0), "99.99%");
        assert!((nines(0.999) - 3.0).abs() < 1e-9);
    }
}
