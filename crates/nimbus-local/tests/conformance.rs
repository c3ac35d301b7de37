//! The conformance suite on the embedded provider, every case a named test
//! (`fs::storage.put_get_round_trip`, `memory::…`): the filesystem store with the simulator,
//! and the memory store. Both are opened through the provider's own descriptor, with the
//! stand-in settings it declares, exactly as `nimbus conformance --provider local` does.

use nimbus_conformance::{open_target, TargetSpec, Trials};

fn stand_in(
    name: &'static str,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<nimbus_conformance::Target>> + Send>> {
    move || {
        Box::pin(async move {
            let opened = open_target(TargetSpec {
                provider: &nimbus_local::PROVIDER,
                emulator: Some(name.into()),
                services: Vec::new(),
                settings: Default::default(),
            })
            .await
            .unwrap();
            // The scratch directory lives as long as the test process.
            std::mem::forget(opened.scratch);
            Some(opened.target)
        })
    }
}

fn main() {
    Trials::new()
        .target("fs", stand_in("fs"))
        .target("memory", stand_in("memory"))
        .main()
}
