//! The embedded default: three simulated stations on loopback, their connections and keys, and
//! widgets bound to their points, so a console shows live values from the first second with no
//! server. `zc demo` and the desktop app's demo both start it here, so they show the same plant.

use crate::App;
use zc_domain::Capability;
use zc_domain::connection::ConnectionPatch;
use zc_domain::widget::WidgetSpec;
use zc_domain::{ConnectionKind, ConnectionSpec, ErrorCode, Sensitive, ZcError, ZcResult};
use zc_sim::{Fault, FaultKind, Latency, Simulator, StationScript, Window};

/// The three demo stations: one healthy, one that slows down and throws 5xx bursts, one with
/// a recurring outage, so every status shows up within a couple of minutes.
pub fn demo_stations(key: &str) -> Vec<StationScript> {
    let w = |start_s: f64, duration_s: f64, every_s: f64| Window {
        start_s,
        duration_s: Some(duration_s),
        every_s: Some(every_s),
        probability: 1.0,
    };
    let mut north = StationScript::new("demo-north", key);
    north.latency = Latency::Normal { mean_ms: 25.0, stddev_ms: 6.0 };
    let mut east = StationScript::new("demo-east", key);
    east.latency = Latency::Spiky { base_ms: 60.0, spike_ms: 400.0, p: 0.1 };
    east.faults = vec![
        Fault { kind: FaultKind::Latency { latency: Latency::Fixed { ms: 1300.0 } }, window: w(15.0, 12.0, 90.0) },
        Fault { kind: FaultKind::Http5xx { status: 503 }, window: w(50.0, 8.0, 90.0) },
    ];
    let mut west = StationScript::new("demo-west", key);
    west.latency = Latency::Uniform { min_ms: 10.0, max_ms: 80.0 };
    west.faults = vec![Fault { kind: FaultKind::Outage, window: w(30.0, 20.0, 60.0) }];
    vec![north, east, west]
}

/// The widgets each demo station gets: one of every kind the console displays, bound to its
/// points, with the normal ranges an operator reads values against.
fn demo_widgets(station: &str) -> Vec<WidgetSpec> {
    let w = |name: &str, kind: &str, config: serde_json::Value, url: Option<&str>| WidgetSpec {
        name: name.into(),
        kind: kind.into(),
        url: url.map(str::to_owned),
        active: true,
        config: config.to_string(),
    };
    let p = |k: &str| format!("{station}.{k}");
    vec![
        w(
            "pressure",
            "gauge",
            serde_json::json!({"point": p("pressure-1"), "min": 0, "max": 8, "low": 3.0, "high": 5.0}),
            None,
        ),
        w(
            "temperature",
            "value",
            serde_json::json!({"point": p("temperature-1"), "min": 0, "max": 120, "low": 50, "high": 70}),
            None,
        ),
        w(
            "level",
            "trend",
            serde_json::json!({"point": p("level-1"), "min": 0, "max": 100, "low": 40, "high": 90, "window": "10m"}),
            None,
        ),
        w("flow-ok", "lamp", serde_json::json!({"point": p("flow-1"), "low": 100, "high": 140}), None),
    ]
}

/// A running demo: the stations stop when it is dropped.
pub struct Demo {
    pub simulator: Simulator,
}

impl App {
    /// Starts the demo stations and makes sure the data directory has their connections (pointing
    /// at this run's ports), a fresh key each in the OS keyring, and their widgets.
    /// Signs the demo's admin in first when nobody is (in this process only: `zc demo` leaves no
    /// session behind).
    pub async fn start_demo(&self, client: crate::Client) -> ZcResult<Demo> {
        if self.signed_in().is_none() {
            self.sign_in_demo(client).await?;
        }
        // A fresh random key per run, set in the real keyring exactly as an admin would.
        let key: String =
            rand::Rng::sample_iter(rand::rng(), rand::distr::Alphanumeric).take(32).map(char::from).collect();
        let simulator = Simulator::start(demo_stations(&key))
            .await
            .map_err(|e| ZcError::new(ErrorCode::Io, format!("cannot start the simulated stations: {e}")))?;
        let stations: Vec<(String, String)> = simulator.stations.iter().map(|s| (s.name(), s.url())).collect();
        self.seed_demo(&stations, &key).await?;
        Ok(Demo { simulator })
    }

    /// Makes sure the data directory has a connection for each demo station `(name, url)`
    /// (pointing at `url`), `key` for each in the OS keyring, and their widgets.
    pub async fn seed_demo(&self, stations: &[(String, String)], key: &str) -> ZcResult<()> {
        self.authorize(Capability::EditConnections).await?;
        for (name, url) in stations {
            match self.connection(name).await {
                Ok(_) => {
                    self.edit_connection(name, ConnectionPatch { url: Some(url.clone()), ..Default::default() })
                        .await?;
                }
                Err(e) if e.code == ErrorCode::NotFound => {
                    let mut spec = ConnectionSpec::new(name, url, ConnectionKind::Station);
                    spec.interval_ms = 1000;
                    spec.timeout_ms = 2000;
                    spec.confirm = 3;
                    spec.metadata = r#"{"site":"demo","simulated":true}"#.into();
                    self.add_connection(spec).await?;
                }
                Err(e) => return Err(e),
            }
            self.set_key(name, Sensitive::new(key.to_owned())).await?;
            let existing = self.list_widgets(Some(name)).await?;
            for w in demo_widgets(name) {
                if !existing.iter().any(|e| e.spec.name == w.name) {
                    self.add_widget(name, w).await?;
                }
            }
        }
        Ok(())
    }
}
