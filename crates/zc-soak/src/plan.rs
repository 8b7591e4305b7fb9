//! A round's plan, drawn from the round's seed: how the stations behave, which faults are
//! injected, and when (milliseconds after the monitor said it is monitoring).

use rand::Rng;
use rand::rngs::StdRng;
use std::fmt;

pub const STATIONS: usize = 5;
/// The connection removed in some rounds: an http one (no key), on the last station.
pub const REMOVABLE: usize = STATIONS - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// SIGTERM at a random moment.
    Term,
    /// SIGINT (Ctrl-C) at a random moment.
    Int,
    /// `zc monitor --for` whole seconds: the timer fires with the writer's tick, the moment the
    /// old code lost a whole batch every time.
    Timed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Steady,
    /// Answers take 50-400 ms: probes are in flight at every moment.
    Slow,
    /// 503 for 0.5 s every 1.2 s: status changes (and history rows) keep coming.
    Flapping,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Interval(usize, u32),
    Timeout(usize, u32),
    Rename(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Free {
    /// Freed this long after it filled, before the stop.
    After(u64),
    /// Still full at the stop; freed this long after the stop signal, inside the stop's grace.
    InGrace(u64),
    /// Still full when the monitor has exited: the loss must be reported, exactly.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    Write,
    Fsync,
    Short,
}

impl IoKind {
    pub fn name(self) -> &'static str {
        match self {
            IoKind::Write => "write",
            IoKind::Fsync => "fsync",
            IoKind::Short => "short",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub modes: [Mode; STATIONS],
    pub stop: StopKind,
    pub stop_at: u64,
    pub edit: Option<(u64, Edit)>,
    pub remove_at: Option<u64>,
    pub disk: Option<(u64, Free)>,
    pub kill_at: Option<u64>,
    /// An I/O fault in the monitor process running at that moment: kind, moment, count.
    pub io: Option<(IoKind, u64, u64)>,
}

impl Plan {
    pub fn draw(rng: &mut StdRng, disk_possible: bool) -> Plan {
        let modes = std::array::from_fn(|_| match rng.random_range(0..3) {
            0 => Mode::Steady,
            1 => Mode::Slow,
            _ => Mode::Flapping,
        });
        // Half the rounds stop on a timer: the likeliest moment to land inside a write.
        let stop = match rng.random_range(0..4) {
            0 => StopKind::Term,
            1 => StopKind::Int,
            _ => StopKind::Timed,
        };
        // A timed stop lasts whole seconds, as `--for 10s` does: its moment then falls on the
        // writer's tick (every second from the start), inside a write.
        let stop_at: u64 =
            if stop == StopKind::Timed { 1_000 * rng.random_range(2..=3) } else { rng.random_range(1_200..3_500) };
        let moment = |rng: &mut StdRng, margin: u64| rng.random_range(150..stop_at.saturating_sub(margin).max(151));
        let mut disk = None;
        if disk_possible && rng.random_bool(0.3) {
            let free = match rng.random_range(0..10) {
                0 => Free::Never,
                1 | 2 => Free::InGrace(rng.random_range(300..2_000)),
                _ => Free::After(rng.random_range(300..2_000)),
            };
            disk = Some((moment(rng, 300), free));
        }
        // A disk that stays full is a round of its own: its loss is compared exactly with the
        // one reported, which a kill or a removal would blur.
        let alone = matches!(disk, Some((_, Free::Never)));
        let edit = (rng.random_bool(0.3)).then(|| {
            let c = rng.random_range(0..REMOVABLE);
            let e = match rng.random_range(0..3) {
                0 => Edit::Interval(c, rng.random_range(100..300)),
                1 => Edit::Timeout(c, rng.random_range(300..2_000)),
                _ => Edit::Rename(c),
            };
            (moment(rng, 150), e)
        });
        let remove_at = (!alone && rng.random_bool(0.25)).then(|| moment(rng, 150));
        let kill_at = (!alone && rng.random_bool(0.3)).then(|| moment(rng, 500));
        let io = (!alone && rng.random_bool(0.3)).then(|| {
            let kind = match rng.random_range(0..3) {
                0 => IoKind::Write,
                1 => IoKind::Fsync,
                _ => IoKind::Short,
            };
            (kind, moment(rng, 300), rng.random_range(1..=3))
        });
        // The disk fault needs the timed stop's moment to be a signal's, so "full at the stop"
        // is the planned moment.
        let stop = if matches!(disk, Some((_, Free::InGrace(_) | Free::Never))) && stop == StopKind::Timed {
            StopKind::Term
        } else {
            stop
        };
        let disk = disk.map(|(at, free)| match free {
            // Freed before the stop: keep both inside the round.
            Free::After(d) => (at, Free::After(d.min(stop_at.saturating_sub(at + 100).max(50)))),
            other => (at, other),
        });
        // A restart needs a disk that takes writes: no kill while it is full.
        let kill_at = kill_at.and_then(|k| match disk {
            None => Some(k),
            Some((at, free)) => {
                let end = if let Free::After(d) = free { at + d } else { u64::MAX };
                if k + 100 < at || k > end.saturating_add(100) {
                    Some(k)
                } else {
                    (at > 350).then(|| rng.random_range(150..at - 100))
                }
            }
        });
        Plan { modes, stop, stop_at, edit, remove_at, disk, kill_at, io }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modes: Vec<&str> = self
            .modes
            .iter()
            .map(|m| match m {
                Mode::Steady => "steady",
                Mode::Slow => "slow",
                Mode::Flapping => "flapping",
            })
            .collect();
        write!(f, "stations [{}]; stop {:?} at {} ms", modes.join(" "), self.stop, self.stop_at)?;
        if let Some((at, e)) = &self.edit {
            write!(f, "; edit {e:?} at {at}")?;
        }
        if let Some(at) = self.remove_at {
            write!(f, "; remove at {at}")?;
        }
        if let Some((at, free)) = self.disk {
            write!(f, "; disk full at {at}, freed {free:?}")?;
        }
        if let Some(at) = self.kill_at {
            write!(f, "; SIGKILL at {at}")?;
        }
        if let Some((k, at, n)) = self.io {
            write!(f, "; I/O {} x{n} at {at}", k.name())?;
        }
        Ok(())
    }
}
