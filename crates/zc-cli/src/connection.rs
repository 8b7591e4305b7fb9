//! `zc connection add|list|show|edit|rm|depends|certificate|trust`.

use crate::output::{Format, Table, duration, emit, time_opt};
use clap::{Args, Subcommand};
use serde_json::json;
use zc_app::zc_domain::connection::ConnectionPatch;
use zc_app::zc_domain::timefmt::parse_duration_ms;
use zc_app::zc_domain::{ConnectionKind, ConnectionSpec, ZcResult};
use zc_app::zc_store::ConnectionRow;
use zc_app::{App, CertificateCheck, TrustChoice};

#[derive(Args, Default)]
pub struct SpecArgs {
    /// JSON object with free-form metadata.
    #[arg(long)]
    metadata: Option<String>,
    /// Probe interval, e.g. 10s.
    #[arg(long)]
    interval: Option<String>,
    /// Total deadline of one probe, e.g. 5s.
    #[arg(long)]
    timeout: Option<String>,
    /// Consecutive agreeing probes before a status change is declared.
    #[arg(long)]
    confirm: Option<i64>,
    /// Successful answers slower than this count as degraded, e.g. 1s.
    #[arg(long)]
    degraded_after: Option<String>,
    /// (http) Expected HTTP status.
    #[arg(long)]
    expect_status: Option<i64>,
    /// (http) Text the body must contain.
    #[arg(long)]
    expect_keyword: Option<String>,
    /// (http) JSON field the body must have (a.b.c or /a/b/c).
    #[arg(long)]
    expect_json_field: Option<String>,
}

#[derive(Subcommand)]
pub enum ConnectionCmd {
    Add {
        name: String,
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "http")]
        kind: String,
        #[command(flatten)]
        spec: SpecArgs,
    },
    List,
    Show {
        name: String,
    },
    Edit {
        name: String,
        /// New name.
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        spec: SpecArgs,
    },
    Rm {
        name: String,
        /// Remove it even when its history has not reached the central store (that history is
        /// deleted; the count is kept in the activity log).
        #[arg(long)]
        discard_unpushed: bool,
    },
    /// Make a connection depend on another (its gateway): while the gateway has lost contact,
    /// this connection's alarms wait under the gateway's alarm.
    Depends {
        name: String,
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        on: Option<String>,
        /// Depend on nothing.
        #[arg(long)]
        none: bool,
    },
    /// Show the certificate an https station presents now, its fingerprint and expiry, and
    /// whether this connection trusts it.
    Certificate {
        name: String,
    },
    /// Set how an https station's certificate is trusted: a private CA, one pinned certificate,
    /// or the operating system's roots. There is no option to ignore certificate errors.
    #[command(group = clap::ArgGroup::new("how").required(true).multiple(false))]
    Trust {
        name: String,
        /// Trust only certificates issued by the CA in this PEM file (copied into the data
        /// directory).
        #[arg(long, group = "how")]
        ca: Option<std::path::PathBuf>,
        /// Trust exactly the certificate with this SHA-256 fingerprint (as `zc connection
        /// certificate` shows it; compare it with the device's own display first).
        #[arg(long, group = "how")]
        pin: Option<String>,
        /// Trust the operating system's roots (the default).
        #[arg(long, group = "how")]
        system: bool,
    },
}

/// A certificate check for people: field and value.
fn certificate_table(c: &CertificateCheck, now: i64) -> Table {
    let mut t = Table::new(&["field", "value"]);
    let mut row = |k: &str, v: String| t.row(vec![k.to_owned(), v]);
    if let Some(n) = &c.note {
        row("changed", n.clone());
    }
    row("trust", c.trust.clone());
    if let Some(p) = &c.pinned_sha256 {
        row("pinned_sha256", p.clone());
    }
    if let Some(f) = &c.ca_file {
        row("ca_file", f.clone());
    }
    for ca in &c.ca {
        row("ca", format!("{} (until {})", ca.subject, zc_app::zc_domain::timefmt::date(ca.not_after_ms)));
    }
    match &c.presented {
        Some(p) => {
            row("presented_sha256", p.sha256.clone());
            row("subject", p.subject.clone());
            row("issuer", p.issuer.clone());
            row("valid_from", crate::output::time(p.not_before_ms));
            row("expires", expiry(p.not_after_ms, now));
        }
        None => row("presented", "-".into()),
    }
    row("trusted", if c.trusted { "yes".into() } else { "no".into() });
    if let Some(r) = &c.refusal {
        row("refused_because", r.clone());
    }
    if let Some(e) = &c.error {
        row("unreachable", e.clone());
    }
    t
}

/// An expiry date with the days left (or since).
fn expiry(not_after: i64, now: i64) -> String {
    // As the alarm counts: a part of a day left is a day left.
    let days = (not_after - now + 86_400_000 - 1).div_euclid(86_400_000);
    let when = if not_after <= now {
        format!("expired {} days ago", (now - not_after) / 86_400_000)
    } else {
        format!("in {days} days")
    };
    format!("{} ({when})", crate::output::time(not_after))
}

pub fn ms_arg(v: &Option<String>) -> ZcResult<Option<i64>> {
    v.as_deref().map(parse_duration_ms).transpose()
}

/// The settings given on the command line, as a patch (absent options change nothing; an
/// empty `--expect-keyword ""` or `--expect-json-field ""` clears the check).
fn patch_from_args(a: &SpecArgs) -> ZcResult<ConnectionPatch> {
    let clearable = |v: &Option<String>| v.as_ref().map(|v| (!v.is_empty()).then(|| v.clone()));
    Ok(ConnectionPatch {
        metadata: a.metadata.clone(),
        interval_ms: ms_arg(&a.interval)?,
        timeout_ms: ms_arg(&a.timeout)?,
        confirm: a.confirm,
        degraded_ms: ms_arg(&a.degraded_after)?,
        expect_status: a.expect_status,
        expect_keyword: clearable(&a.expect_keyword),
        expect_json_field: clearable(&a.expect_json_field),
        ..Default::default()
    })
}

pub fn connection_table(rows: &[ConnectionRow]) -> Table {
    let mut t = Table::new(&["name", "kind", "url", "status", "since", "last_contact", "key", "interval"]);
    for r in rows {
        let key = match (r.spec.kind, r.key_validated) {
            (ConnectionKind::Http, _) => "-".into(),
            (_, None) => "unchecked".into(),
            (_, Some(true)) => "valid".into(),
            (_, Some(false)) => "invalid".into(),
        };
        t.row(vec![
            r.spec.name.clone(),
            r.spec.kind.as_str().into(),
            r.spec.url.clone(),
            r.status.as_str().into(),
            crate::output::time(r.status_since),
            time_opt(r.last_contact_at),
            key,
            duration(r.spec.interval_ms),
        ]);
    }
    t
}

pub async fn run(app: &App, cmd: &ConnectionCmd, f: Format) -> ZcResult<()> {
    match cmd {
        ConnectionCmd::Add { name, url, kind, spec } => {
            let s = patch_from_args(spec)?.apply(ConnectionSpec::new(name, url, ConnectionKind::parse(kind)?))?;
            let row = app.add_connection(s).await?;
            emit(f, &connection_table(std::slice::from_ref(&row)), &row);
            // Shown at once for the engineer to confirm: what the station presents, and how to
            // trust it if the console does not.
            if f == Format::Table && row.spec.url.starts_with("https://") {
                match app.inspect_certificate(name).await {
                    Ok(c) => {
                        println!();
                        emit(f, &certificate_table(&c, app.store().now()), &c);
                        if let (false, Some(p)) = (c.trusted, &c.presented) {
                            println!(
                                "\nIf this is the device's own certificate (compare the fingerprint with its display), pin it:\n  zc connection trust {name} --pin {}",
                                p.sha256
                            );
                        }
                    }
                    Err(e) => eprintln!("the certificate could not be checked: {}", e.message),
                }
            }
        }
        ConnectionCmd::List => {
            let rows = app.list_connections().await?;
            emit(f, &connection_table(&rows), &rows);
        }
        ConnectionCmd::Show { name } => {
            let r = app.show_connection(name).await?;
            let mut t = Table::new(&["field", "value"]);
            let v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(obj) = v.as_object() {
                for (k, val) in obj {
                    let shown = match (k.as_str(), val.as_i64()) {
                        (k, Some(ms)) if k.ends_with("_at") || k == "status_since" || k == "tls_not_after" => {
                            crate::output::time(ms)
                        }
                        _ => val.as_str().map(str::to_owned).unwrap_or_else(|| val.to_string()),
                    };
                    t.row(vec![k.clone(), shown]);
                }
            }
            if let Some(na) = r.tls_not_after {
                t.row(vec!["certificate_expires".into(), expiry(na, app.store().now())]);
            }
            emit(f, &t, &r);
        }
        ConnectionCmd::Edit { name, rename, url, spec } => {
            let patch = ConnectionPatch { name: rename.clone(), url: url.clone(), ..patch_from_args(spec)? };
            let row = app.edit_connection(name, patch).await?;
            emit(f, &connection_table(std::slice::from_ref(&row)), &row);
        }
        ConnectionCmd::Depends { name, on, .. } => {
            let row = app.set_dependency(name, on.as_deref()).await?;
            let mut t = Table::new(&["connection", "depends_on"]);
            t.row(vec![name.clone(), on.clone().unwrap_or_else(|| "-".into())]);
            emit(f, &t, &row);
        }
        ConnectionCmd::Certificate { name } => {
            let c = app.inspect_certificate(name).await?;
            emit(f, &certificate_table(&c, app.store().now()), &c);
        }
        ConnectionCmd::Trust { name, ca, pin, system: _ } => {
            let choice = match (ca, pin) {
                (Some(p), _) => TrustChoice::Ca(p.clone()),
                (_, Some(p)) => TrustChoice::Pin(p.clone()),
                _ => TrustChoice::System,
            };
            let c = app.trust_certificate(name, choice).await?;
            emit(f, &certificate_table(&c, app.store().now()), &c);
        }
        ConnectionCmd::Rm { name, discard_unpushed } => {
            let r = app.remove_connection(name, *discard_unpushed).await?;
            let mut t = Table::new(&["removed", "history discarded before reaching the centre"]);
            t.row(vec![r.name.clone(), if r.discarded.total() > 0 { r.discarded.describe() } else { "none".into() }]);
            emit(f, &t, &json!({"removed": r.name, "discarded": r.discarded, "key_left": r.key_left}));
            if let Some(note) = &r.key_left {
                eprintln!("warning: {} was removed. {note}", r.name);
            }
        }
    }
    Ok(())
}
