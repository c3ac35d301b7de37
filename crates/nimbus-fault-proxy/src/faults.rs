//! What can go wrong, how often, and what did.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// One fault, applied to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The connection is closed before the request reaches the server: nothing happened.
    ResetBeforeRequest,
    /// The server did the work, and the connection is closed before its answer is sent
    /// (the lost response that makes a retried create dangerous).
    LostResponse,
    /// The server is not asked; the client gets this status, with `Retry-After` seconds when
    /// given (500, 502, 503, 429 …).
    Status {
        /// The HTTP status.
        code: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u32>,
    },
    /// The answer's headers and the first `bytes` bytes of its body are sent, then the
    /// connection is reset (a body shorter than its `Content-Length`). Only bodies announced
    /// longer than twice `bytes` are cut; for a shorter one the draw is given back, so small
    /// answers (metadata, listings) pass and the cut lands in the bodies it is meant for.
    ResetAfter {
        /// Body bytes sent before the reset.
        bytes: u64,
    },
    /// One bit of the body is flipped at this offset (bodies longer than it): a corruption
    /// no TCP checksum caught, which only an end-to-end checksum can.
    Corrupt {
        /// Offset of the flipped byte.
        at: u64,
    },
    /// The request waits this long before it is forwarded.
    Latency(Duration),
    /// The answer's headers are sent at once, its body after this long.
    Stall(Duration),
    /// The body is sent at about this many bytes per second.
    Bandwidth {
        /// Bytes per second.
        bytes_per_sec: u64,
    },
}

impl Fault {
    /// A short stable name, for statistics and reports.
    pub fn name(&self) -> String {
        match self {
            Fault::ResetBeforeRequest => "reset_before_request".into(),
            Fault::LostResponse => "lost_response".into(),
            Fault::Status {
                code,
                retry_after: Some(_),
            } => format!("status_{code}_retry_after"),
            Fault::Status {
                code,
                retry_after: None,
            } => format!("status_{code}"),
            Fault::ResetAfter { .. } => "reset_mid_body".into(),
            Fault::Corrupt { .. } => "corrupt_body".into(),
            Fault::Latency(_) => "latency".into(),
            Fault::Stall(_) => "stall".into(),
            Fault::Bandwidth { .. } => "bandwidth".into(),
        }
    }

    /// Every kind of fault, with small bounded parameters: the mix a soak uses.
    pub fn all() -> Vec<Fault> {
        vec![
            Fault::ResetBeforeRequest,
            Fault::LostResponse,
            Fault::Status {
                code: 500,
                retry_after: None,
            },
            Fault::Status {
                code: 502,
                retry_after: None,
            },
            Fault::Status {
                code: 503,
                retry_after: Some(1),
            },
            Fault::Status {
                code: 429,
                retry_after: None,
            },
            Fault::ResetAfter { bytes: 1000 },
            Fault::Latency(Duration::from_millis(200)),
            Fault::Stall(Duration::from_millis(300)),
            Fault::Bandwidth { bytes_per_sec: 4 << 20 },
        ]
    }
}

/// How often which faults happen.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Probability that a request is faulted, 0 to 1.
    pub rate: f64,
    /// The faults drawn from, uniformly.
    pub faults: Vec<Fault>,
    /// No more faults than this under this plan.
    pub max_faults: u64,
    /// Seed of the random source.
    pub seed: u64,
}

impl Plan {
    /// No faults: a plain proxy.
    pub fn none() -> Plan {
        Plan {
            rate: 0.0,
            faults: Vec::new(),
            max_faults: 0,
            seed: 0,
        }
    }

    /// `rate` of the requests get one of `faults`, at most `max_faults` in all.
    pub fn new(rate: f64, faults: Vec<Fault>, max_faults: u64, seed: u64) -> Plan {
        Plan {
            rate: rate.clamp(0.0, 1.0),
            faults,
            max_faults,
            seed,
        }
    }
}

/// Counts of what the proxy did, by fault name (`forwarded` for untouched requests).
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<String, u64>>,
    faults: AtomicU64,
}

impl Stats {
    pub(crate) fn record(&self, name: &str) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry(name.to_string()).or_default() += 1;
    }

    /// Requests by what happened to them.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Faults injected so far, in all plans.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::SeqCst)
    }
}

/// Draws the fault of each request.
#[derive(Debug)]
pub(crate) struct Dice {
    /// The plan, its random source, and the faults drawn under it.
    plan: Mutex<(Plan, SmallRng, u64)>,
    pub(crate) stats: Stats,
}

impl Dice {
    pub(crate) fn new(plan: Plan) -> Dice {
        let rng = SmallRng::seed_from_u64(plan.seed);
        Dice {
            plan: Mutex::new((plan, rng, 0)),
            stats: Stats::default(),
        }
    }

    pub(crate) fn set(&self, plan: Plan) {
        let rng = SmallRng::seed_from_u64(plan.seed);
        *self.plan.lock().unwrap_or_else(|p| p.into_inner()) = (plan, rng, 0);
    }

    /// Gives back a drawn fault that found nothing to act on (see [`Fault::ResetAfter`]).
    pub(crate) fn give_back(&self, f: &Fault) {
        let mut g = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        g.2 = g.2.saturating_sub(1);
        self.stats.faults.fetch_sub(1, Ordering::SeqCst);
        let mut c = self.stats.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = c.get_mut(&f.name()) {
            *n -= 1;
        }
        *c.entry("forwarded".into()).or_default() += 1;
    }

    /// The fault of the next request, if any; counted.
    pub(crate) fn draw(&self) -> Option<Fault> {
        let mut g = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let (plan, rng, drawn) = &mut *g;
        if plan.faults.is_empty() || *drawn >= plan.max_faults || !rng.gen_bool(plan.rate) {
            self.stats.record("forwarded");
            return None;
        }
        let f = plan.faults[rng.gen_range(0..plan.faults.len())].clone();
        *drawn += 1;
        self.stats.faults.fetch_add(1, Ordering::SeqCst);
        self.stats.record(&f.name());
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_and_capped() {
        let run = || {
            let d = Dice::new(Plan::new(0.5, Fault::all(), 10, 42));
            (0..100).map(|_| d.draw().map(|f| f.name())).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run(), "same seed, same faults");
        assert_eq!(a.iter().filter(|f| f.is_some()).count(), 10, "capped at max_faults");
        let none = Dice::new(Plan::none());
        assert!((0..50).all(|_| none.draw().is_none()));
    }
}
