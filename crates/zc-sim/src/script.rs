//! The fault script: JSON that says how each station behaves over time.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimScript {
    pub stations: Vec<StationScript>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationScript {
    pub name: String,
    /// The key clients must send in `X-Api-Key`.
    pub key: String,
    /// Fixed port, or 0 for any free port.
    #[serde(default)]
    pub port: u16,
    #[serde(default)]
    pub latency: Latency,
    #[serde(default = "default_points")]
    pub points: usize,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

fn default_points() -> usize {
    8
}

impl StationScript {
    pub fn new(name: &str, key: &str) -> Self {
        Self { name: name.into(), key: key.into(), port: 0, latency: Latency::default(), points: 8, faults: vec![] }
    }
}

/// Extra delay before each answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    Fixed {
        ms: f64,
    },
    Uniform {
        min_ms: f64,
        max_ms: f64,
    },
    Normal {
        mean_ms: f64,
        stddev_ms: f64,
    },
    /// Mostly `base_ms`, with a `p` chance of a `spike_ms` answer: the long tail of real links.
    Spiky {
        base_ms: f64,
        spike_ms: f64,
        p: f64,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed { ms: 0.0 }
    }
}

impl Latency {
    pub fn sample_ms(&self, rng: &mut impl rand::Rng) -> f64 {
        let v = match *self {
            Latency::Fixed { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => min_ms + rng.random::<f64>() * (max_ms - min_ms).max(0.0),
            Latency::Normal { mean_ms, stddev_ms } => {
                // Box-Muller: enough for a simulator, no extra dependency.
                let (u1, u2) = (rng.random::<f64>().max(1e-12), rng.random::<f64>());
                mean_ms + stddev_ms * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            }
            Latency::Spiky { base_ms, spike_ms, p } => {
                if rng.random::<f64>() < p {
                    spike_ms
                } else {
                    base_ms
                }
            }
        };
        v.max(0.0)
    }
}

// No deny_unknown_fields here: serde cannot combine it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default)]
    pub window: Window,
}

impl Fault {
    pub fn always(kind: FaultKind) -> Self {
        Self { kind, window: Window::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FaultKind {
    /// The port is closed: connections are refused.
    Outage,
    /// Answers 500-599 instead of data.
    Http5xx {
        #[serde(default = "default_5xx")]
        status: u16,
    },
    /// The station expects another key: every request gets 401.
    WrongKey,
    /// 200 with a body that is not valid JSON.
    MalformedJson,
    /// Sends the body at this many bytes per second.
    SlowBody { bytes_per_sec: u64 },
    /// A valid-looking answer of this many bytes.
    OversizedBody { bytes: u64 },
    /// A chunked body that never ends.
    EndlessBody,
    /// Accepts the request, then closes the connection without answering.
    DropConnection,
    /// Replaces the station's latency while active.
    Latency { latency: Latency },
}

fn default_5xx() -> u16 {
    503
}

/// When a fault is active, in seconds since the simulator started. With `every_s`, the window
/// repeats. `probability` makes an active fault hit only some requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(default)]
    pub start_s: f64,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub every_s: Option<f64>,
    #[serde(default = "one")]
    pub probability: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for Window {
    fn default() -> Self {
        Self { start_s: 0.0, duration_s: None, every_s: None, probability: 1.0 }
    }
}

impl Window {
    pub fn active_at(&self, t_s: f64) -> bool {
        if t_s < self.start_s {
            return false;
        }
        let mut rel = t_s - self.start_s;
        if let Some(every) = self.every_s.filter(|e| *e > 0.0) {
            rel %= every;
        }
        self.duration_s.is_none_or(|d| rel < d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_repeat() {
        let w = Window { start_s: 10.0, duration_s: Some(5.0), every_s: Some(60.0), probability: 1.0 };
        assert!(!w.active_at(9.0));
        assert!(w.active_at(12.0));
        assert!(!w.active_at(16.0));
        assert!(w.active_at(71.0));
    }

    #[test]
    fn script_parses() {
        let s: SimScript = serde_json::from_str(
            r#"{"stations":[{"name":"n","key":"k","latency":{"dist":"normal","mean_ms":20,"stddev_ms":5},
                "faults":[{"fault":"outage","window":{"start_s":30,"duration_s":20,"every_s":120}},{"fault":"http5xx"}]}]}"#,
        )
        .unwrap();
        assert_eq!(s.stations[0].faults.len(), 2);
        assert!(serde_json::from_str::<SimScript>(r#"{"stations":[{"name":"n","key":"k","bogus":1}]}"#).is_err());
    }
}
