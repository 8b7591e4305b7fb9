//! The central store as the console sees it: connecting (the login's password into the OS
//! keyring, the link into SQLite), the sync queue's state, pushing now, retrying what the centre
//! refused, and the background push that a running monitor does ([docs/central.md]).

use crate::App;
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use zc_domain::{Capability, ErrorCode, Sensitive, ZcError, ZcResult};
use zc_secrets::Keyring;
use zc_store::{CentralLink, QuarantineRow, StreamStatus, WidgetNotice};
use zc_sync::failure::{self, FailureKind};
use zc_sync::{Finish, StreamReport};

/// How often a running monitor looks for something to push when the last push went well.
pub const SYNC_EVERY: Duration = Duration::from_secs(5);
/// How often a connected console with nothing to push asks the centre what moved (a push asks
/// every time).
pub const PULL_EVERY: Duration = Duration::from_secs(30);

/// The sync state: where the console pushes, each stream's queue, what is held.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The central store's address (no credentials), or None when not connected.
    pub central: Option<String>,
    pub login: Option<String>,
    pub console_id: Option<String>,
    pub streams: Vec<StreamStatus>,
    pub quarantine: Vec<QuarantineRow>,
    /// Widget conflicts to resolve and merges to hear of, oldest first.
    pub notices: Vec<WidgetNotice>,
}

/// What the pull after a push took from the centre: people, connection definitions and widget
/// configurations (the widget counts are `added`, `updated` and `removed`).
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct PullSummary {
    #[ts(type = "number")]
    pub added: u64,
    #[ts(type = "number")]
    pub updated: u64,
    #[ts(type = "number")]
    pub removed: u64,
    /// Kept because this console has an edit the centre lacks (the push merges it or raises a
    /// conflict).
    #[ts(type = "number")]
    pub kept_local: u64,
    /// Waiting: their connection is not on this console, or a widget here has their name.
    #[ts(type = "number")]
    pub waiting: u64,
    /// People new here or changed at the centre (roles, disables, profiles).
    #[ts(type = "number")]
    pub people: u64,
    /// Connection definitions another console added, changed or removed.
    #[ts(type = "number")]
    pub connections: u64,
}

/// What one push did to one stream.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StreamPush {
    pub stream: String,
    #[ts(type = "number")]
    pub accepted: u64,
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub batches: u64,
    /// `drained`, `held` (behind a quarantined row) or `failed`.
    pub outcome: String,
    /// Why it was held or failed, and what to do.
    pub message: Option<String>,
}

/// What one push did: totals over the streams, the worst outcome, and each stream's part.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncReport {
    #[ts(type = "number")]
    pub accepted: u64,
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub batches: u64,
    /// `drained` (everything pushed), `held` (a stream waits behind a quarantined row) or
    /// `failed` (the centre could not be reached or refused the login).
    pub outcome: String,
    /// Why it was held or failed, and what to do.
    pub message: Option<String>,
    pub streams: Vec<StreamPush>,
    /// What the pull took; None when it did not run (the push failed) or failed (`pull_error`).
    pub pulled: Option<PullSummary>,
    pub pull_error: Option<String>,
    pub status: SyncStatus,
}

/// Two pushes of one `zc sync now` as one report: counts add up, the later finish speaks.
fn merge_reports(mut first: Vec<StreamReport>, again: Vec<StreamReport>) -> Vec<StreamReport> {
    for r in again {
        match first.iter_mut().find(|f| f.stream == r.stream) {
            Some(f) => {
                f.accepted += r.accepted;
                f.duplicates += r.duplicates;
                f.batches += r.batches;
                f.finish = r.finish;
            }
            None => first.push(r),
        }
    }
    first
}

fn stream_push(r: &StreamReport) -> StreamPush {
    let (outcome, message) = match &r.finish {
        Finish::Drained => ("drained", None),
        Finish::Held { seq } => {
            let what = match r.stream {
                zc_store::ACTIVITY_STREAM => format!("activity entry {seq}"),
                zc_store::CONNECTIONS_STREAM => format!("connection #{seq}"),
                zc_store::WIDGETS_STREAM => format!("widget #{seq}"),
                zc_store::PEOPLE_STREAM => format!("person #{seq}"),
                _ => format!("the batch from {}", zc_domain::timefmt::rfc3339(*seq)),
            };
            (
                "held",
                Some(format!(
                    "{} of {} was refused by the central store and waits; see `zc sync status`, then `zc sync retry ID`",
                    what, r.stream
                )),
            )
        }
        Finish::Failed { message, .. } => ("failed", Some(message.clone())),
    };
    StreamPush {
        stream: r.stream.into(),
        accepted: r.accepted,
        duplicates: r.duplicates,
        batches: r.batches,
        outcome: outcome.into(),
        message,
    }
}

/// Checks a central store's URL before anything else is asked for (the CLI asks for the
/// password only after this).
pub fn check_central_url(raw: &str) -> ZcResult<()> {
    parse_central_url(raw).map(|_| ())
}

/// The query settings a central URL may carry (TLS and where to connect; none secret).
const URL_SETTINGS: [&str; 8] = ["sslmode", "sslrootcert", "sslcert", "sslkey", "host", "hostaddr", "port", "dbname"];

/// The address to keep: a PostgreSQL URL with no password (a login in it is taken out and
/// returned), so nothing secret reaches SQLite, a log or the shell's history.
fn parse_central_url(raw: &str) -> ZcResult<(String, Option<String>)> {
    // The text is not echoed back: a mistyped URL may still hold a password.
    let mut u = url::Url::parse(raw.trim()).map_err(|e| {
        ZcError::new(
            ErrorCode::InvalidUrl,
            format!("the central store's address is not a URL ({e}); give one like postgres://central.example:5432/zeroclient"),
        )
    })?;
    if !matches!(u.scheme(), "postgres" | "postgresql") {
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            "the central store's URL must start with postgres:// (e.g. postgres://central.example:5432/zeroclient)",
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            "the central store's URL has no host; give one like postgres://central.example:5432/zeroclient",
        ));
    }
    if u.password().is_some() {
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            "the URL holds a password: leave it out and give the password on stdin (or at the prompt), so it stays out of files and the shell's history",
        ));
    }
    // Only settings known to hold nothing secret stay in the address that SQLite keeps and the
    // console shows; a password or anything unknown in the query is refused, not kept.
    if let Some((key, _)) = u.query_pairs().find(|(k, _)| !URL_SETTINGS.contains(&k.as_ref())) {
        let hint = if key.contains("password") || key == "passfile" {
            "leave it out and give the password on stdin (or at the prompt), so it stays out of files and the shell's history".to_string()
        } else if key == "user" {
            "give the login with --login instead".to_string()
        } else {
            format!("the address may carry only {}", URL_SETTINGS.join(", "))
        };
        return Err(ZcError::new(
            ErrorCode::InvalidUrl,
            format!("the central store's URL sets '{key}', which ZeroClient does not keep: {hint}"),
        ));
    }
    let login = (!u.username().is_empty()).then(|| u.username().to_string());
    let _ = u.set_username("");
    Ok((u.to_string(), login))
}

fn where_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{h}:{}", u.port().unwrap_or(5432))))
        .unwrap_or_default()
}

/// A failure reaching or using the centre, as a person reads it.
pub(crate) fn central_error(url: &str, login: &str, e: &sqlx::Error) -> ZcError {
    match failure::classify(e) {
        FailureKind::Login => ZcError::new(
            ErrorCode::CentralRefused,
            format!(
                "the central store at {} refused the login '{login}' ({e}); check the password, or ask its admin whether the console was removed; nothing was changed",
                where_of(url)
            ),
        ),
        _ => ZcError::new(
            ErrorCode::CentralUnreachable,
            format!(
                "cannot reach the central store at {} ({e}); check the address and that the server is up; nothing was changed",
                where_of(url)
            ),
        ),
    }
}

impl App {
    fn central_account(&self) -> String {
        Keyring::central_account(&self.install_id)
    }

    /// Connects this console to the central store as `login` (or the login in the URL): checks
    /// that the centre answers and knows the login as a console of a site, then keeps the
    /// password in the keyring and the link (without it) in SQLite. Reconnecting the same
    /// console (a new password) is allowed; another console's login is refused.
    pub async fn connect_central(
        &self,
        url: &str,
        login: Option<&str>,
        password: Sensitive<String>,
    ) -> ZcResult<SyncStatus> {
        let audit = self.authorize(Capability::Central).await?;
        let (url, url_login) = parse_central_url(url)?;
        let Some(login) = login.map(str::to_string).or(url_login) else {
            return Err(ZcError::invalid("give the console's login with --login (its provisioning file names it)"));
        };
        let keyring = self.keyring()?;
        keyring.check_available().await?;
        let pool = zc_central::console_pool(&url, &login, &password).map_err(|e| central_error(&url, &login, &e))?;
        let found = zc_central::console_identity(&pool).await;
        pool.close().await;
        let (console_id, organisation_id, site_id) = match found {
            Ok(Some(ids)) => ids,
            Ok(None) => {
                return Err(ZcError::new(
                    ErrorCode::CentralRefused,
                    format!(
                        "'{login}' is not a console of any site at {}: provision it first (docs/central.md)",
                        where_of(&url)
                    ),
                ));
            }
            Err(sqlx::Error::Database(db))
                if db.code().as_deref() == Some("42P01") || db.code().as_deref() == Some("3F000") =>
            {
                return Err(ZcError::new(
                    ErrorCode::CentralRefused,
                    format!(
                        "the server at {} has no ZeroClient schema: run `zc central migrate` there first",
                        where_of(&url)
                    ),
                ));
            }
            Err(e) => return Err(central_error(&url, &login, &e)),
        };
        if let Some(old) = self.store.central_link().await?
            && old.console_id != console_id
        {
            return Err(ZcError::new(
                ErrorCode::InvalidInput,
                format!(
                    "this data directory is already console {} at {}; a data directory pushes as one console only (start a new one for another login)",
                    old.console_id,
                    where_of(&old.url)
                ),
            ));
        }
        keyring.set(&self.central_account(), &password).await?;
        let link = CentralLink {
            url: url.clone(),
            login: login.clone(),
            console_id: console_id.clone(),
            organisation_id,
            site_id,
            connected_at: self.now(),
        };
        let meta = json!({"central": where_of(&url), "login": login, "console_id": console_id});
        self.store.set_central_link(&link, &audit, meta).await?;
        self.sync_status_unchecked().await
    }

    /// Whether the person signed in may connect the console (asked before any password is read;
    /// a refusal is recorded like any other).
    pub async fn may_connect_central(&self) -> ZcResult<()> {
        self.authorize(Capability::Central).await.map(|_| ())
    }

    pub async fn sync_status(&self) -> ZcResult<SyncStatus> {
        self.authorize(Capability::View).await?;
        self.sync_status_unchecked().await
    }

    async fn sync_status_unchecked(&self) -> ZcResult<SyncStatus> {
        let link = self.store.central_link().await?;
        Ok(SyncStatus {
            central: link.as_ref().map(|l| l.url.clone()),
            login: link.as_ref().map(|l| l.login.clone()),
            console_id: link.map(|l| l.console_id),
            streams: self.stream_statuses().await?,
            quarantine: self.store.quarantined().await?,
            notices: self.store.widget_notices().await?,
        })
    }

    async fn stream_statuses(&self) -> ZcResult<Vec<StreamStatus>> {
        let mut streams = vec![
            self.store.connections_sync_status().await?,
            self.store.people_sync_status().await?,
            self.store.widgets_sync_status().await?,
            self.store.activity_sync_status().await?,
        ];
        for s in zc_store::Series::ALL {
            streams.push(self.store.series_status(s).await?);
        }
        Ok(streams)
    }

    /// Pushes everything pending now (any signed-in person may: it changes nothing but the
    /// queue's length).
    pub async fn sync_now(&self) -> ZcResult<SyncReport> {
        self.authorize(Capability::View).await?;
        self.push_pending().await
    }

    /// Closes a quarantine entry and pushes again at once; refused again, it comes back with
    /// one more attempt.
    pub async fn retry_quarantined(&self, id: i64) -> ZcResult<SyncReport> {
        let audit = self.authorize(Capability::Central).await?;
        if self.store.retry_quarantined(id, &audit).await?.is_none() {
            return Err(ZcError::new(
                ErrorCode::NotFound,
                format!("no held entry {id}; `zc sync status` lists what is held"),
            ));
        }
        self.push_pending().await
    }

    /// Gives up on a held connection definition (admins); see `Store::discard_quarantined`.
    /// Answers the queue's state afterwards.
    pub async fn discard_quarantined(&self, id: i64) -> ZcResult<SyncStatus> {
        let audit = self.authorize(Capability::Central).await?;
        if self.store.discard_quarantined(id, &audit).await?.is_none() {
            return Err(ZcError::new(
                ErrorCode::NotFound,
                format!("no held entry {id}; `zc sync status` lists what is held"),
            ));
        }
        self.sync_status_unchecked().await
    }

    /// The link and a pool to the centre as this console's own login, or why not (lazy: nothing is asked of
    /// the centre yet).
    pub(crate) async fn linked_pool(&self) -> ZcResult<(zc_store::CentralLink, sqlx::PgPool)> {
        let Some(link) = self.store.central_link().await? else {
            return Err(ZcError::new(
                ErrorCode::NotConnected,
                "this console is not connected to a central store: connect it with `zc central connect URL --login LOGIN`",
            ));
        };
        let Some(password) = self.keyring()?.get(&self.central_account()).await? else {
            return Err(ZcError::new(
                ErrorCode::KeyMissing,
                "the central login's password is not in this account's keyring: connect again with `zc central connect`",
            ));
        };
        let pool = zc_central::console_pool(&link.url, &link.login, &password)
            .map_err(|e| central_error(&link.url, &link.login, &e))?;
        Ok((link, pool))
    }

    pub(crate) async fn push_pending(&self) -> ZcResult<SyncReport> {
        let (link, pool) = self.linked_pool().await?;
        let console = uuid::Uuid::parse_str(&link.console_id).map_err(|_| {
            ZcError::new(
                ErrorCode::NotConnected,
                "the central link names no valid console id: connect again with `zc central connect`",
            )
        })?;
        let audit = self.console_audit();
        let pushed = zc_sync::push_all(&self.store, &pool, console, &link.login, &audit).await;
        // Then what moved at the centre; a pull that fails is retried at the next round (the
        // push has told the person whether the centre can be reached).
        let (pulled, pull_error) = match &pushed {
            Ok(r) if !r.iter().any(|s| matches!(s.finish, Finish::Failed { .. })) => {
                // People first: a role or a disable the centre changed counts before anything else.
                // Connections before widgets: a widget comes only with its connection.
                let pulled = async {
                    let people = zc_sync::people::pull(&self.store, &pool, &audit).await?;
                    let connections = zc_sync::connections::pull(&self.store, &pool, &audit).await?;
                    let widgets = zc_sync::widgets::pull(&self.store, &pool, &audit).await?;
                    Ok::<_, zc_sync::PullError>((people, connections, widgets))
                };
                match pulled.await {
                    Ok((people, c, w)) => {
                        self.forget_keys_of(&c.removed).await;
                        // Keys shared to this console, now that their connections are here.
                        if let Err(e) = self.receive_sealed_keys(&link, &pool).await {
                            tracing::warn!("sealed keys not taken this round: {e}");
                        }
                        (
                            Some(PullSummary {
                                added: w.added,
                                updated: w.updated,
                                removed: w.removed,
                                kept_local: w.kept_local + c.kept_local,
                                waiting: w.waiting + c.waiting,
                                people: people.added + people.updated,
                                connections: c.added + c.updated + c.removed.len() as u64,
                            }),
                            None,
                        )
                    }
                    Err(zc_sync::PullError::Central(e)) => {
                        let message = format!(
                            "could not read what changed at the central store ({}); it is asked again at the next sync",
                            failure::describe(&e)
                        );
                        tracing::warn!("{message}");
                        (None, Some(message))
                    }
                    Err(zc_sync::PullError::Local(e)) => {
                        pool.close().await;
                        return Err(e);
                    }
                }
            }
            _ => (None, None),
        };
        // A pull that changed something (a person, a definition, a widget, a key opened here)
        // recorded it in the activity log after the log was pushed: push again, so `zc sync now`
        // ends with nothing waiting (the soak's sync rounds check it). Asked of the log's queue,
        // not of the pull's counts, so no entry a pull writes is missed; the log is the only
        // queue a pull writes to, and the cheap one to count (the series can hold millions of
        // rows). Not when the log did not drain the first time (held, failed).
        let log_drained = pushed.as_ref().is_ok_and(|first| {
            first.iter().any(|r| r.stream == zc_store::ACTIVITY_STREAM && r.finish == Finish::Drained)
        });
        let again = pulled.is_some() && log_drained && self.store.activity_sync_status().await?.pending > 0;
        let pushed = match pushed {
            Ok(first) if again => {
                let again = zc_sync::push_all(&self.store, &pool, console, &link.login, &audit).await;
                again.map(|again| merge_reports(first, again))
            }
            other => other,
        };
        pool.close().await;
        let streams: Vec<StreamPush> = pushed?.iter().map(stream_push).collect();
        // The worst outcome speaks for the run: a failure, else a held stream.
        let worst =
            streams.iter().find(|s| s.outcome == "failed").or_else(|| streams.iter().find(|s| s.outcome == "held"));
        Ok(SyncReport {
            accepted: streams.iter().map(|s| s.accepted).sum(),
            duplicates: streams.iter().map(|s| s.duplicates).sum(),
            batches: streams.iter().map(|s| s.batches).sum(),
            outcome: worst.map_or("drained", |s| s.outcome.as_str()).into(),
            message: worst.and_then(|s| s.message.clone()),
            streams,
            pulled,
            pull_error,
            status: self.sync_status_unchecked().await?,
        })
    }

    /// The keys of connections the pull removed (the centre removed them). A key the keyring
    /// keeps names a connection that no longer exists (ids are never reused): said, not fatal.
    async fn forget_keys_of(&self, removed: &[i64]) {
        let Ok(keyring) = self.keyring() else { return };
        for id in removed {
            if let Err(e) = keyring.delete(&self.account(*id)).await {
                tracing::warn!(connection = id, "a removed connection's key stayed in the keyring: {e}");
            }
        }
    }

    /// The monitor's companion while it runs: pushes when something is pending and the
    /// stream's backoff allows, acting as the console itself, until `stop`. `stop` is looked at
    /// only between looks, so the first look (with the monitor's start entry pending) happens
    /// even when the monitor is stopped at once.
    pub(crate) async fn sync_loop(&self, stop: CancellationToken) {
        // When the centre was last asked what moved (a push asks too).
        let mut asked_at: Option<i64> = None;
        loop {
            let due = match self.sync_due().await {
                // Nothing to push: still ask the centre now and then what moved there.
                Ok(None) if self.pull_due(asked_at).await => Ok(Some(0)),
                due => due,
            };
            let wait = match due {
                Ok(None) => SYNC_EVERY,
                Ok(Some(0)) => {
                    asked_at = Some(self.now());
                    match self.push_pending().await {
                        Ok(r) if r.outcome == "failed" => tracing::warn!(message = ?r.message, "central push failed"),
                        Ok(r) => tracing::debug!(accepted = r.accepted, outcome = %r.outcome, "central push"),
                        Err(e) => tracing::warn!("central push: {e}"),
                    }
                    SYNC_EVERY
                }
                Ok(Some(ms)) => Duration::from_millis(ms as u64).min(SYNC_EVERY),
                Err(e) => {
                    tracing::warn!("sync state unreadable: {e}");
                    SYNC_EVERY
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Whether a connected console should ask the centre what moved: never asked since it
    /// started, or not for [`PULL_EVERY`], and no stream backing off after a failure.
    async fn pull_due(&self, asked_at: Option<i64>) -> bool {
        let Ok(Some(_)) = self.store.central_link().await else { return false };
        let now = self.now();
        if asked_at.is_some_and(|at| now - at < PULL_EVERY.as_millis() as i64) {
            return false;
        }
        let Ok(streams) = self.stream_statuses().await else { return false };
        streams.iter().all(|s| s.next_attempt_at.is_none_or(|at| at <= now))
    }

    /// None: nothing to do (not connected, nothing pending, or held); Some(ms): due in ms (0: now).
    async fn sync_due(&self) -> ZcResult<Option<i64>> {
        if self.store.central_link().await?.is_none() {
            return Ok(None);
        }
        // The soonest stream with something to push and not held behind a quarantined row (a
        // held connection holds only itself).
        let now = self.now();
        let due =
            self.store.streams_due().await?.into_iter().map(|(_, next)| next.map_or(0, |at| (at - now).max(0))).min();
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_no_credentials() {
        let (url, login) =
            parse_central_url("postgres://zc_console_1@central.example:6543/zc?sslmode=require").unwrap();
        assert_eq!(url, "postgres://central.example:6543/zc?sslmode=require");
        assert_eq!(login.as_deref(), Some("zc_console_1"));
        let e = parse_central_url("postgres://u:hunter2@central.example/zc").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUrl);
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert_eq!(parse_central_url("https://central.example").unwrap_err().code, ErrorCode::InvalidUrl);
        assert_eq!(parse_central_url("not a url").unwrap_err().code, ErrorCode::InvalidUrl);
        // Not in the query either, and not echoed when the URL is broken elsewhere.
        for bad in [
            "postgres://central.example/zc?sslmode=require&password=hunter2",
            "postgres://central.example/zc?sslpassword=hunter2",
            "postgres://u:hunter2@central.example:99999/zc",
        ] {
            let e = parse_central_url(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidUrl, "{bad}");
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
        let e = parse_central_url("postgres://central.example/zc?password=hunter2").unwrap_err();
        assert!(e.message.contains("stdin"), "{}", e.message);
        let e = parse_central_url("postgres://central.example/zc?target_session_attrs=any").unwrap_err();
        assert!(e.message.contains("may carry only sslmode"), "{}", e.message);
    }
}

/// A console made at the centre: what `zc central connect --from FILE` reads. It holds the
/// login's password, so it has no `Debug` (nothing prints it by accident).
#[derive(Serialize, serde::Deserialize)]
pub struct ProvisionedConsole {
    pub url: String,
    pub login: String,
    pub password: String,
    pub console_id: String,
    pub organisation: String,
    pub site: String,
}

fn admin_pool_options(url: &str, password: &Sensitive<String>) -> ZcResult<(String, sqlx::postgres::PgConnectOptions)> {
    let (url, login) = parse_central_url(url)?;
    let Some(login) = login else {
        return Err(ZcError::invalid(
            "put the schema owner's login in the URL, e.g. postgres://postgres@central.example/zeroclient",
        ));
    };
    let options: sqlx::postgres::PgConnectOptions =
        url.parse().map_err(|e| ZcError::new(ErrorCode::InvalidUrl, format!("{e}")))?;
    Ok((login.clone(), options.username(&login).password(password.expose()).application_name("zeroclient-admin")))
}

async fn admin_pool(url: &str, password: &Sensitive<String>) -> ZcResult<sqlx::PgPool> {
    let (login, options) = admin_pool_options(url, password)?;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(zc_central::CONNECT_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| central_error(url, &login, &e))
}

/// Applies the central schema's migrations (`zc central migrate`), as the schema's owner.
/// Answers how many were applied now.
pub async fn migrate_central(url: &str, password: &Sensitive<String>) -> ZcResult<usize> {
    let pool = admin_pool(url, password).await?;
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = '_sqlx_migrations'")
            .fetch_one(&pool)
            .await
            .map_err(|e| ZcError::new(ErrorCode::Database, e.to_string()))?;
    let applied_before: i64 = if before > 0 {
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap_or(0)
    } else {
        0
    };
    let r = zc_central::schema::migrate(&pool).await;
    pool.close().await;
    r.map_err(|e| {
        ZcError::new(
            ErrorCode::Database,
            format!("the central schema's migrations failed ({e}); nothing of the failed one was kept"),
        )
    })?;
    Ok(zc_central::schema::MIGRATOR.iter().count().saturating_sub(applied_before as usize))
}

/// Makes a console of `site` (and the organisation and site, when missing) with a login of its
/// own (`zc central provision`); the answer holds the login's password, once.
pub async fn provision_console(
    url: &str,
    password: &Sensitive<String>,
    organisation: &str,
    site: &str,
    console: &str,
) -> ZcResult<ProvisionedConsole> {
    for (what, v) in [("organisation", organisation), ("site", site), ("console", console)] {
        if v.trim().is_empty() || v.len() > 200 {
            return Err(ZcError::invalid(format!("the {what}'s name must be 1 to 200 characters")));
        }
    }
    let pool = admin_pool(url, password).await?;
    let db = |e: sqlx::Error| {
        ZcError::new(
            ErrorCode::Database,
            format!("provisioning failed ({e}); is the schema there (`zc central migrate`)?"),
        )
    };
    let made = async {
        let (_, site_id) = zc_central::provision::ensure_site(&pool, organisation, site).await.map_err(db)?;
        zc_central::provision::provision_console(&pool, site_id, console).await.map_err(db)
    }
    .await;
    pool.close().await;
    let made = made?;
    let (console_url, _) = parse_central_url(url)?;
    Ok(ProvisionedConsole {
        url: console_url,
        login: made.login,
        password: made.password.expose().clone(),
        console_id: made.console_id.to_string(),
        organisation: organisation.into(),
        site: site.into(),
    })
}
