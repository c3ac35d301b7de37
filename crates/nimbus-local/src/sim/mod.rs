//! The compute and network simulator.
//!
//! One [`SimCloud`] holds the state of instances, networks, subnets and firewalls;
//! [`LocalCompute`] and [`LocalNetwork`] are the two service views of it. With a state
//! directory, every call is a transaction: take an exclusive file lock on `DIR/lock`, read
//! `DIR/state.json`, apply due transitions, change, write a temp file and rename it over the
//! state — so two `nimbus` processes can never corrupt or lose each other's changes.

mod catalog;
mod compute;
mod network;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nimbus_core::{Error, Result};

pub use catalog::{images, sizes};
pub use compute::LocalCompute;
pub use network::LocalNetwork;
use state::SimState;
pub use state::Timings;

/// Settings of the simulator.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SimOptions {
    /// Region name.
    pub region: String,
    /// Zones of the region.
    pub zones: Vec<String>,
    /// Transition times.
    pub timings: Timings,
    /// Most live instances.
    pub max_instances: u32,
    /// Most vCPUs over live instances.
    pub max_vcpus: u32,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            region: "local-1".into(),
            zones: vec!["local-1a".into(), "local-1b".into(), "local-1c".into()],
            timings: Timings {
                boot: Duration::from_millis(1500),
                stop: Duration::from_millis(800),
                reboot: Duration::from_millis(500),
                terminate: Duration::from_millis(600),
            },
            max_instances: 20,
            max_vcpus: 64,
        }
    }
}

impl SimOptions {
    /// Options with every transition taking `d` (tests use a few milliseconds).
    pub fn with_transition_time(mut self, d: Duration) -> Self {
        self.timings = Timings {
            boot: d,
            stop: d,
            reboot: d,
            terminate: d,
        };
        self
    }
}

/// The simulated cloud shared by [`LocalCompute`] and [`LocalNetwork`].
#[derive(Debug)]
pub struct SimCloud {
    dir: Option<PathBuf>,
    options: SimOptions,
    memory: Mutex<SimState>,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

impl SimCloud {
    /// A simulator whose state lives in `dir` (created if needed) and is shared with every
    /// other process using the same directory.
    pub fn open(dir: impl AsRef<Path>, options: SimOptions) -> Result<Arc<Self>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).with_resource(dir.display().to_string()))?;
        Ok(Arc::new(SimCloud {
            dir: Some(dir.to_path_buf()),
            options,
            memory: Mutex::new(SimState::default()),
        }))
    }

    /// A simulator whose state lives in memory only.
    pub fn in_memory(options: SimOptions) -> Arc<Self> {
        Arc::new(SimCloud {
            dir: None,
            options,
            memory: Mutex::new(SimState::default()),
        })
    }

    /// The options.
    pub fn options(&self) -> &SimOptions {
        &self.options
    }

    /// The compute view.
    pub fn compute(self: &Arc<Self>) -> Arc<LocalCompute> {
        Arc::new(LocalCompute::new(self.clone()))
    }

    /// The network view.
    pub fn network(self: &Arc<Self>) -> Arc<LocalNetwork> {
        Arc::new(LocalNetwork::new(self.clone()))
    }

    /// Runs `f` on the state as one transaction (see the module docs).
    pub(crate) async fn transact<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut SimState, &SimOptions, u64) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.transact_blocking(f))
            .await
            .map_err(|e| Error::internal(format!("simulator task failed: {e}")))?
    }

    fn transact_blocking<T>(&self, f: impl FnOnce(&mut SimState, &SimOptions, u64) -> Result<T>) -> Result<T> {
        let mut mem = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        let Some(dir) = &self.dir else {
            mem.advance(now, &self.options.timings);
            return f(&mut mem, &self.options, now);
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))?;
        lock.lock()?;
        let path = dir.join("state.json");
        let mut state: SimState = match std::fs::read(&path) {
            Ok(raw) => serde_json::from_slice(&raw)
                .map_err(|e| Error::internal(format!("simulator state {} is corrupt: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SimState::default(),
            Err(e) => return Err(e.into()),
        };
        state.advance(now, &self.options.timings);
        let out = f(&mut state, &self.options, now)?;
        let tmp = dir.join(format!("state.json.tmp-{}", std::process::id()));
        let body = serde_json::to_vec_pretty(&state).map_err(|e| Error::internal(e.to_string()))?;
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&body)?;
            file.sync_data()?;
        }
        std::fs::rename(&tmp, &path)?;
        drop(lock);
        Ok(out)
    }
}
