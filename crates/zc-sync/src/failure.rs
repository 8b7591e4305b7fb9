//! Telling a failed push's kinds apart: worth retrying soon (the centre unreachable, restarting,
//! busy), the console's login refused (retry rarely, a person must act), or a refusal of the
//! rows themselves (quarantine).

use backon::BackoffBuilder;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Network, a restarting or overloaded server, a serialisation conflict.
    Transient,
    /// The login was refused or has lost its rights (wrong password, console removed).
    Login,
    /// The server refused the rows' content.
    Rows,
}

pub fn classify(e: &sqlx::Error) -> FailureKind {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            match code.get(..2).unwrap_or("") {
                // connection, transaction rollback, insufficient resources, operator
                // intervention (shutdown, starting up), system error
                "08" | "40" | "53" | "57" | "58" => FailureKind::Transient,
                // A statement missing on the server connection, or its name taken there: the
                // connection's doing (a pooler in between), never the rows'.
                "26" => FailureKind::Transient,
                _ if code == "42P05" => FailureKind::Transient,
                "28" => FailureKind::Login,
                // The same code says "no right" and "this row breaks a row-level policy": the
                // first is the login's (a removed console), the second the row's.
                _ if code == "42501" && db.message().contains("row-level security") => FailureKind::Rows,
                _ if code == "42501" => FailureKind::Login,
                _ => FailureKind::Rows,
            }
        }
        _ => FailureKind::Transient,
    }
}

/// What a person reads about a failure: what happened and what to do (never the URL's or the
/// login's secrets: sqlx's messages carry neither).
pub fn describe(e: &sqlx::Error) -> String {
    match classify(e) {
        FailureKind::Transient => format!("the central store could not be reached ({e}); retrying with backoff"),
        FailureKind::Login => {
            format!("the central store refused this console's login ({e}); connect it again with `zc central connect`")
        }
        FailureKind::Rows => format!("the central store refused the rows ({e})"),
    }
}

/// The wait before attempt `failures + 1`: exponential from 1 s, at most 5 minutes, with jitter
/// so that many consoles coming back at once do not push in step. A refused login waits the
/// longest: retrying it soon only fills the server's log.
pub fn delay(kind: FailureKind, failures: u32) -> Duration {
    let max = Duration::from_secs(300);
    if kind == FailureKind::Login {
        return max;
    }
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(failures.saturating_sub(1) as usize)
        .unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_to_five_minutes_and_is_jittered() {
        // Jitter adds up to the delay itself: attempt n waits between 2^(n-1) s and twice that.
        for (failures, lo) in [(1u32, 1u64), (2, 2), (3, 4), (6, 32)] {
            let d = delay(FailureKind::Transient, failures);
            assert!(d >= Duration::from_secs(lo) && d <= Duration::from_secs(lo * 2), "{failures}: {d:?}");
        }
        assert!(delay(FailureKind::Transient, 40) <= Duration::from_secs(600));
        assert_eq!(delay(FailureKind::Login, 1), Duration::from_secs(300));
        let spread: std::collections::HashSet<_> = (0..20).map(|_| delay(FailureKind::Transient, 5)).collect();
        assert!(spread.len() > 1, "jitter spreads consoles apart");
    }
}
