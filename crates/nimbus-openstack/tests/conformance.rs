//! The conformance suite on the OpenStack adapter, every case a named test
//! (`cargo nextest list -p nimbus-openstack` shows `zed::storage.put_get_round_trip`, …),
//! against the real single-node OpenStack that `scripts/openstack start` runs on loopback
//! (its `OS_*` variables select it). Without them (the stack is not running) the target is
//! skipped, as the emulator targets of the other adapters are.

use nimbus_conformance::{open_target, TargetSpec, Trials};

fn main() {
    Trials::new()
        .target("zed", || async {
            std::env::var("NIMBUS_TEST_OPENSTACK_AUTH_URL").ok()?;
            let opened = open_target(TargetSpec {
                provider: &nimbus_openstack::PROVIDER,
                emulator: Some("zed".into()),
                services: Vec::new(),
                settings: Default::default(),
            })
            .await
            .unwrap();
            // The scratch directory is unused by this provider.
            Some(opened.target)
        })
        .main()
}
