//! Every case as a named test, for adapters' `tests/conformance.rs` (`harness = false`).
//!
//! Why: run as one test per target, a failure said only "the suite failed" and `cargo
//! nextest` could neither list nor filter cases. Here each case of each target is a
//! libtest-mimic trial named `TARGET::service.case`: `cargo nextest list` shows it, `cargo
//! nextest run -E 'test(storage.put_)'` runs a few, and a failure names its case.
//!
//! The target is built once per test process (on first use, on one shared runtime) and then
//! shared by its trials; cases run one at a time unless `--test-threads` says otherwise,
//! because quotas and emulators are shared.
//!
//! An adapter's `tests/conformance.rs` (with `[[test]] name = "conformance"` and
//! `harness = false` in its `Cargo.toml`) is a `main` that calls
//! `Trials::new().target("emulator", || async { /* a Target, or None to skip */ }).main()`.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use libtest_mimic::{Arguments, Failed, Trial};
use tokio::sync::OnceCell;

use crate::cases::{all_cases, Service};
use crate::{present, run_case, run_id, under_contract, unimplemented_services, Outcome, Target};

type Builder = Arc<dyn Fn() -> BoxFuture<'static, Option<Target>> + Send + Sync>;

struct Built {
    target: Target,
    unimplemented: Vec<(Service, String)>,
    run_id: String,
}

/// The trials of one or more targets; see the module docs.
#[derive(Default)]
pub struct Trials {
    targets: Vec<(String, Builder)>,
}

impl std::fmt::Debug for Trials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.targets.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Trials").field("targets", &names).finish()
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

impl Trials {
    /// No targets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a target named `name`. `build` returns `None` when what the target needs is absent
    /// (an emulator not started): its trials then pass with a note, unless the caller panics
    /// (as the adapters' tests do under `NIMBUS_REQUIRE_EMULATORS=1`).
    pub fn target<F, Fut>(mut self, name: &str, build: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Target>> + Send + 'static,
    {
        self.targets.push((
            name.to_string(),
            Arc::new(move || Box::pin(build()) as BoxFuture<'static, _>),
        ));
        self
    }

    /// The trials: one per case per target.
    pub fn trials(&self) -> Vec<Trial> {
        let mut out = Vec::new();
        for (name, build) in &self.targets {
            let built: Arc<OnceCell<Option<Built>>> = Arc::new(OnceCell::new());
            for (n, case) in all_cases().into_iter().enumerate() {
                let (built, build) = (built.clone(), build.clone());
                let trial_name = format!("{name}::{}", case.id);
                out.push(Trial::test(trial_name, move || {
                    runtime().block_on(async move {
                        let b = built
                            .get_or_init(|| async {
                                let target = under_contract(&build().await?);
                                let unimplemented = unimplemented_services(&target).await;
                                Some(Built {
                                    target,
                                    unimplemented,
                                    run_id: run_id(),
                                })
                            })
                            .await;
                        let Some(b) = b else {
                            println!("target not available here: not run");
                            return Ok(());
                        };
                        if !present(&b.target, &case) {
                            return Ok(());
                        }
                        let r = run_case(&b.target, &case, format!("{}-{n}", b.run_id), &b.unimplemented).await;
                        match r.outcome {
                            Outcome::Fail => Err(Failed::from(r.detail)),
                            _ => {
                                println!("{:?}: {}", r.outcome, r.detail);
                                Ok(())
                            }
                        }
                    })
                }));
            }
        }
        out
    }

    /// Parses the test harness arguments (cases run one at a time unless `--test-threads`
    /// is given), runs the trials and exits with the harness's status.
    pub fn main(self) -> ! {
        let mut args = Arguments::from_args();
        if args.test_threads.is_none() {
            args.test_threads = Some(1);
        }
        libtest_mimic::run(&args, self.trials()).exit()
    }
}
