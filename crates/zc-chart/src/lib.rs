//! Latency over time with the status history as coloured bands, to PNG or SVG.
//!
//! The font is embedded (DejaVu Sans, see assets/DejaVu-LICENSE.txt), so charts render the same
//! on a headless server with no fonts installed. Input arrives already downsampled to one
//! min/max pair per pixel column, so drawing cost does not depend on how many samples exist.

use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;
use zc_domain::chart::ChartInput;
use zc_domain::{ErrorCode, Status, ZcError, ZcResult};

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Left label area plus margins, in pixels: the plot area is `width - CHROME_X` wide.
const LABEL_AREA_Y: u32 = 70;
const MARGIN: u32 = 16;
const CHROME_X: u32 = LABEL_AREA_Y + 2 * MARGIN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// From the output file's extension.
    pub fn from_path(path: &Path) -> ZcResult<Format> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(ZcError::invalid(format!(
                "cannot tell the chart format from '{}'; name the file .png or .svg",
                path.display()
            ))),
        }
    }
}

/// How many pixel columns the plot area of a `width`-pixel chart has: ask the store for this
/// many buckets.
pub fn plot_columns(width: u32) -> i64 {
    width.saturating_sub(CHROME_X).max(1) as i64
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the embedded font is not a valid TTF: the build is broken");
        }
    });
}

pub fn band_color(status: Status, observer_offline: bool) -> RGBColor {
    match status {
        // Calm grey when all is well (ISA-101): colour is for abnormal states only.
        Status::Online => RGBColor(120, 126, 132),
        Status::Degraded => RGBColor(230, 150, 0),
        Status::Offline => RGBColor(214, 39, 40),
        Status::Unauthorized => RGBColor(148, 103, 189),
        Status::Untrusted => RGBColor(170, 60, 130),
        Status::Unknown if observer_offline => RGBColor(60, 60, 60),
        Status::Unknown => RGBColor(150, 150, 150),
    }
}

fn time_label(ms: i64, span_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    if span_ms <= 2 * 86_400_000 {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    } else {
        format!("{:02}-{:02} {:02}:{:02}", u8::from(t.month()), t.day(), t.hour(), t.minute())
    }
}

fn draw_err<E: std::fmt::Display>(e: E) -> ZcError {
    ZcError::new(ErrorCode::Io, format!("cannot draw the chart: {e}"))
}

/// Renders to `path` (format from its extension), `width` x `height` pixels. The file appears
/// whole or not at all: it is drawn into a temporary file beside it and renamed into place, so a
/// failure or a stop half-way never leaves a truncated chart (or clobbers an older one).
pub fn render(input: &ChartInput, path: &Path, width: u32, height: u32) -> ZcResult<()> {
    register_font();
    let format = Format::from_path(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    // Same directory (a rename across filesystems is not atomic), same extension (it picks the format).
    let partial = path.with_file_name(format!(".{name}.partial-{}.{ext}", std::process::id()));
    let drawn = match format {
        Format::Png => draw(input, BitMapBackend::new(&partial, (width, height)).into_drawing_area()),
        Format::Svg => draw(input, SVGBackend::new(&partial, (width, height)).into_drawing_area()),
    };
    let placed = drawn.and_then(|()| {
        std::fs::rename(&partial, path)
            .map_err(|e| ZcError::new(ErrorCode::Io, format!("cannot write the chart to {} ({e})", path.display())))
    });
    if placed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    placed
}

/// Renders to an SVG document in memory, for a page to show (the console's detail view).
pub fn render_svg(input: &ChartInput, width: u32, height: u32) -> ZcResult<String> {
    register_font();
    let mut out = String::new();
    draw(input, SVGBackend::with_string(&mut out, (width, height)).into_drawing_area())?;
    Ok(out)
}

/// Runs of buckets that a latency line may join: adjacent pixel columns, all inside time the
/// connection was up (online or degraded). A line never crosses a gap with no answers, an
/// outage or unknown time: it breaks there, so it cannot suggest the station answered.
pub fn line_runs(input: &ChartInput) -> Vec<Vec<&zc_domain::chart::ChartBucket>> {
    let s = &input.series;
    let col_ms = (s.to_ms - s.from_ms).max(1) as f64 / s.columns.max(1) as f64;
    let up_at = |col: i64| {
        let (lo, hi) = (s.from_ms + (col as f64 * col_ms) as i64, s.from_ms + ((col + 1) as f64 * col_ms) as i64);
        // Up for the whole column: any non-up band overlapping it breaks the line there.
        !input
            .bands
            .iter()
            .any(|b| b.from_ms < hi && b.to_ms > lo && !matches!(b.status, Status::Online | Status::Degraded))
    };
    let mut runs: Vec<Vec<&zc_domain::chart::ChartBucket>> = Vec::new();
    let mut last: Option<i64> = None;
    for b in s.buckets.iter().filter(|b| b.count > 0) {
        let joins = last == Some(b.column - 1) && up_at(b.column);
        if !joins || runs.is_empty() {
            runs.push(Vec::new());
        }
        if up_at(b.column) {
            runs.last_mut().expect("a run was pushed").push(b);
            last = Some(b.column);
        } else {
            last = None;
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

fn draw<DB: DrawingBackend>(input: &ChartInput, root: DrawingArea<DB, plotters::coord::Shift>) -> ZcResult<()>
where
    DB::ErrorType: 'static,
{
    let s = &input.series;
    root.fill(&WHITE).map_err(draw_err)?;
    let (from, to) = (s.from_ms, s.to_ms.max(s.from_ms + 1));
    let span = to - from;
    // The y axis comes from the full data (every sample is inside some bucket's min/max).
    let max_ms = s.buckets.iter().map(|b| b.max_latency_us).max().unwrap_or(1000) as f64 / 1000.0;
    let y_top = (max_ms * 1.1).max(1.0);
    let caption = format!("{} ({} samples)", input.title, s.samples);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FAMILY, 18))
        .margin(MARGIN)
        .x_label_area_size(36)
        .y_label_area_size(LABEL_AREA_Y)
        .build_cartesian_2d(from..to, 0f64..y_top)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| time_label(*x, span))
        .y_desc("latency (ms)")
        .label_style((FAMILY, 12))
        .draw()
        .map_err(draw_err)?;

    let mut legend_done = std::collections::HashSet::new();
    for band in &input.bands {
        let color = band_color(band.status, band.observer_offline);
        let label = if band.observer_offline {
            "unknown (observer offline)".to_owned()
        } else {
            band.status.as_str().to_owned()
        };
        let series = chart
            .draw_series(std::iter::once(Rectangle::new(
                [(band.from_ms.max(from), 0.0), (band.to_ms.min(to), y_top)],
                color.mix(0.18).filled(),
            )))
            .map_err(draw_err)?;
        if legend_done.insert(label.clone()) {
            series
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.mix(0.5).filled()));
        }
    }

    let col_ms = span as f64 / s.columns.max(1) as f64;
    let x_of = |col: i64| from + ((col as f64 + 0.5) * col_ms) as i64;
    let line = RGBColor(31, 90, 180);
    chart
        .draw_series(s.buckets.iter().filter(|b| b.count > 0).map(|b| {
            let x = x_of(b.column);
            let (lo, hi) = (b.min_latency_us as f64 / 1000.0, b.max_latency_us as f64 / 1000.0);
            // A min/max segment per pixel column: spikes stay visible however many samples share it.
            PathElement::new(vec![(x, lo), (x, hi.max(lo + y_top / 400.0))], line.stroke_width(1))
        }))
        .map_err(draw_err)?
        .label("latency (min/max per pixel)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], line.stroke_width(2)));
    // The trend through the column midpoints, broken at every gap, outage and unknown time.
    for run in line_runs(input) {
        chart
            .draw_series(LineSeries::new(
                run.iter().map(|b| (x_of(b.column), (b.min_latency_us + b.max_latency_us) as f64 / 2000.0)),
                line.mix(0.6),
            ))
            .map_err(draw_err)?;
    }
    let fail = RGBColor(214, 39, 40);
    chart
        .draw_series(s.buckets.iter().filter(|b| b.failures > 0).map(|b| {
            Rectangle::new(
                [(x_of(b.column) - col_ms as i64 / 2, 0.0), (x_of(b.column) + col_ms as i64 / 2 + 1, y_top / 60.0)],
                fail.filled(),
            )
        }))
        .map_err(draw_err)?
        .label("failed requests")
        .legend(move |(x, y)| Rectangle::new([(x, y - 3), (x + 12, y + 3)], fail.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FAMILY, 12))
        .draw()
        .map_err(draw_err)?;
    root.present().map_err(|e| {
        ZcError::new(
            ErrorCode::Io,
            format!("cannot write the chart: {e}; check that the output directory exists and is writable"),
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zc_domain::chart::{ChartBucket, ChartSeries};
    use zc_domain::status::StatusSpan;

    fn input() -> ChartInput {
        let columns = plot_columns(800);
        let buckets = (0..columns)
            .map(|c| ChartBucket {
                column: c,
                min_latency_us: 10_000 + c * 50,
                max_latency_us: 20_000 + c * 90,
                count: 3,
                failures: (c % 97 == 0) as i64,
            })
            .collect();
        ChartInput {
            title: "north-1".into(),
            series: ChartSeries { from_ms: 0, to_ms: 3_600_000, columns, buckets, samples: 3 * columns },
            bands: vec![
                StatusSpan { status: Status::Online, from_ms: 0, to_ms: 1_000_000, observer_offline: false },
                StatusSpan { status: Status::Offline, from_ms: 1_000_000, to_ms: 2_000_000, observer_offline: false },
                StatusSpan { status: Status::Unknown, from_ms: 2_000_000, to_ms: 3_600_000, observer_offline: true },
            ],
        }
    }

    #[test]
    fn renders_png_and_svg_with_the_embedded_font() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("c.png");
        render(&input(), &png, 800, 400).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        if let Ok(keep) = std::env::var("ZC_KEEP_CHART") {
            std::fs::copy(&png, keep).unwrap();
        }
        let svg = dir.path().join("c.svg");
        render(&input(), &svg, 800, 400).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg") && text.contains("observer offline") && text.contains("north-1"));
    }

    #[test]
    fn the_latency_line_breaks_at_gaps_and_outside_up_time() {
        let mut i = input();
        // Columns 10..20 have no answers at all.
        i.series.buckets.retain(|b| !(10..20).contains(&b.column));
        let runs = line_runs(&i);
        let cols = i.series.columns;
        let offline_from = (1_000_000 * cols) / 3_600_000;
        assert!(runs.iter().all(|r| r.windows(2).all(|w| w[1].column == w[0].column + 1)), "runs are contiguous");
        assert!(!runs.iter().any(|r| r.iter().any(|b| (10..20).contains(&b.column))));
        assert!(
            !runs.iter().flatten().any(|b| b.column >= offline_from),
            "no line through the outage or the unknown time after it"
        );
        assert_eq!(runs.len(), 2, "one run before the gap, one after it");
        let svg = render_svg(&i, 800, 400).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("failed requests"));
    }

    #[test]
    fn unknown_format_is_refused() {
        assert!(render(&input(), Path::new("/tmp/x.jpg"), 800, 400).is_err());
    }
}
