//! The TypeScript types of everything that crosses IPC are generated from these Rust types and
//! committed in `ui/src/bindings/`. This test fails when they are stale; regenerate them with
//! `cargo xtask bindings` (which runs it with ZC_WRITE_BINDINGS=1).

use std::path::PathBuf;
use ts_rs::{Config, TS};

fn rendered() -> Vec<(String, String)> {
    let cfg = Config::new().with_large_int("number");
    macro_rules! all {
        ($($t:ty),* $(,)?) => {
            vec![$((format!("{}.ts", <$t as TS>::name(&cfg)), <$t as TS>::export_to_string(&cfg).expect("render"))),*]
        };
    }
    use zc_app::zc_domain as d;
    use zc_app::zc_store as s;
    all![
        d::ZcError,
        d::ErrorCode,
        d::Status,
        d::status::StatusSpan,
        d::ConnectionKind,
        d::ConnectionSpec,
        d::Quality,
        d::Freshness,
        d::PointSample,
        d::probe::RequestMetric,
        d::widget::WidgetBinding,
        d::widget::RangeState,
        s::ConnectionRow,
        s::HistoryRow,
        s::PointHistoryRow,
        zc_app::PointValue,
        zc_app::PointsReport,
        zc_app::SparkPoint,
        zc_app::WidgetView,
        zc_app::Tile,
        zc_app::ControlRoom,
        zc_app::PointTrend,
        zc_app::TrendSample,
        zc_app::ConsoleMode,
        zc_app::ConsoleState,
        zc_app::ConsoleEvent,
        zc_app::ConnectionDetail,
        zc_app::LatencyChart,
        zc_app::OutcomeCount,
        zc_app::MetricsPage,
        zc_app::HistoryReport,
        zc_app::KeyCheck,
        zc_app::KeyShare,
        zc_app::ConnectionRemoval,
        s::UnpushedHistory,
        zc_app::ActivityFilter,
        zc_app::ActivityView,
        d::activity::ActivityEntry,
        d::activity::VerifyReport,
        zc_app::ExportKind,
        zc_app::ExportReport,
        zc_app::ChartReport,
        d::CertificateInfo,
        zc_app::CertificateCheck,
        d::alarm::Priority,
        d::alarm::AlarmKind,
        d::alarm::AlarmState,
        d::alarm::AlarmAction,
        d::alarm::AlarmSettings,
        d::alarm::FloodStatus,
        s::AlarmRow,
        s::AlarmHistoryRow,
        s::AlarmFilter,
        s::AckReport,
        s::MaintenanceWindow,
        zc_app::AlarmsView,
        zc_app::AlarmCounts,
        zc_app::FloodView,
        zc_app::RepeatOffender,
        zc_app::AckTarget,
        zc_app::ConnectionAlarms,
        d::Role,
        d::Capability,
        d::user::Profile,
        s::UserRow,
        s::SessionRow,
        zc_app::SignInState,
        zc_app::Client,
        d::widget::WidgetSpec,
        d::widget::FieldError,
        d::widget::FieldChange,
        d::widget::WidgetKindInfo,
        d::widget_schema::SchemaField,
        d::widget_schema::FieldInput,
        s::WidgetRow,
        s::WidgetVersion,
        s::WidgetChange,
        zc_app::WidgetGroup,
        zc_app::WidgetDiff,
        d::user::Theme,
        d::notification::NotificationPreferences,
        d::notification::QuietHours,
        d::notification::NotifyDecision,
        s::DeviceInfo,
        s::RetentionPolicy,
        zc_app::Settings,
        zc_app::NotificationTally,
        zc_app::JudgedNotice,
        zc_app::QuitCheck,
        zc_app::ConsoleSummary,
        zc_app::SummaryLevel,
        d::update::UpdateSettings,
        d::update::UpdateCheck,
        d::update::UpdateOutcome,
        s::StreamStatus,
        s::QuarantineRow,
        zc_app::SyncStatus,
        zc_app::SyncReport,
        zc_app::StreamPush,
        zc_app::PullSummary,
        s::WidgetNotice,
        d::widget_merge::FieldConflict,
        d::widget_merge::Side,
    ]
}

/// Cases computed by the core's display rules, for the UI's test that its copy of them (used
/// between two events) agrees on every one.
fn rules_cases() -> String {
    use zc_app::zc_domain::point::freshness;
    use zc_app::zc_domain::widget::range_state;
    let mut fresh = Vec::new();
    for received in [None, Some(10_000i64)] {
        for fresh_for in [5_000i64, 30_000] {
            for now in [10_000i64, 14_999, 15_000, 15_001, 40_000, 40_001] {
                for online in [true, false] {
                    fresh.push(serde_json::json!({
                        "received_at": received,
                        "fresh_until": received.map(|r| r + fresh_for),
                        "now": now,
                        "online": online,
                        "expected": freshness(received, fresh_for, now, online),
                    }));
                }
            }
        }
    }
    let mut range = Vec::new();
    for (low, high) in [(None, None), (Some(3.0), None), (None, Some(5.0)), (Some(3.0), Some(5.0))] {
        for value in [2.9, 3.0, 4.0, 5.0, 5.1] {
            range.push(serde_json::json!({"value": value, "low": low, "high": high, "expected": range_state(value, low, high)}));
        }
    }
    serde_json::to_string_pretty(&serde_json::json!({"freshness": fresh, "range": range})).unwrap() + "\n"
}

#[test]
fn typescript_bindings_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    let write = std::env::var_os("ZC_WRITE_BINDINGS").is_some();
    let mut files = rendered();
    files.push(("rules-cases.json".into(), rules_cases()));
    if write {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "ts" || e == "json") {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        if write {
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    // A committed file no type renders any more is stale too.
    if !write && let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if (n.ends_with(".ts") || n.ends_with(".json")) && !files.iter().any(|(f, _)| *f == n) {
                stale.push(format!("{n} (no longer generated)"));
            }
        }
    }
    assert!(stale.is_empty(), "ui/src/bindings is stale ({}); run `cargo xtask bindings` and commit", stale.join(", "));
}
