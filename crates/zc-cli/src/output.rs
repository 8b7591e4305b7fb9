//! Output for people (aligned tables) and for scripts (`--format json|csv`).

use clap::ValueEnum;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self { headers: headers.to_vec(), rows: Vec::new() }
    }
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// Prints `table` for people or CSV, or `json` for `--format json`.
pub fn emit<T: Serialize>(format: Format, table: &Table, json: &T) {
    let mut out = std::io::stdout().lock();
    let _ = match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(json).unwrap_or_default()),
        Format::Csv => {
            let _ = writeln!(out, "{}", table.headers.join(","));
            for r in &table.rows {
                let _ = writeln!(out, "{}", r.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            }
            Ok(())
        }
        Format::Table => {
            if table.rows.is_empty() {
                writeln!(out, "(none)")
            } else {
                let mut widths: Vec<usize> = table.headers.iter().map(|h| h.len()).collect();
                for r in &table.rows {
                    for (i, c) in r.iter().enumerate() {
                        widths[i] = widths[i].max(c.chars().count());
                    }
                }
                let line = |cells: Vec<String>| {
                    cells
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                        .collect::<Vec<_>>()
                        .join("  ")
                        .trim_end()
                        .to_owned()
                };
                let _ = writeln!(out, "{}", line(table.headers.iter().map(|h| h.to_uppercase()).collect()));
                for r in &table.rows {
                    let _ = writeln!(out, "{}", line(r.clone()));
                }
                Ok(())
            }
        }
    };
}

/// The zone every time in a table is shown in: `--tz`, else the signed-in person's profile,
/// else the device's (set once, before the command runs). JSON and CSV keep UTC milliseconds.
static ZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

pub fn set_zone(tz: chrono_tz::Tz) {
    let _ = ZONE.set(tz);
}

/// A stored time in the display zone, with its offset (`2026-12-02T15:04:05+01:00`).
pub fn time(ms: i64) -> String {
    zc_app::zc_domain::timezone::format_in(ms, ZONE.get().copied().unwrap_or(chrono_tz::Tz::UTC))
}

pub fn time_opt(ms: Option<i64>) -> String {
    ms.map(time).unwrap_or_else(|| "-".into())
}

pub fn duration(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        _ if ms < 1000 => format!("{ms}ms"),
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

pub fn bytes(n: i64) -> String {
    match n {
        i64::MIN..0 => "?".into(),
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", n as f64 / 1_048_576.0),
        _ => format!("{:.2} GiB", n as f64 / 1_073_741_824.0),
    }
}
