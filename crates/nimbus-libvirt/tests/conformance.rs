//! The conformance suite on the libvirt adapter, every case a named test
//! (`cargo nextest list -p nimbus-libvirt` shows `test-driver::compute.create_and_wait_running`, …):
//! - `test-driver`: libvirt's built-in `test:///default` driver, in this process, every run
//!   (needs only `libvirt0`); the emulator's settings seed one image volume in its pool;
//! - `qemu-tcg`: the real `libvirtd` with QEMU guests under TCG that `scripts/libvirt start`
//!   runs in a network namespace (its `NIMBUS_TEST_LIBVIRT_*` variables select it);
//!   skipped without them, as the other adapters' emulator targets are.

use std::collections::BTreeMap;

use nimbus_conformance::{open_target, GuestAccess, TargetSpec, Trials};
use nimbus_core::config::Settings;

fn settings(pairs: &[(&str, String)]) -> BTreeMap<String, Settings> {
    let mut s = Settings::default();
    for (k, v) in pairs {
        s.set(*k, v.clone(), "test");
    }
    ["compute", "network"]
        .into_iter()
        .map(|svc| (svc.to_string(), s.clone()))
        .collect()
}

fn main() {
    Trials::new()
        .target("test-driver", || async {
            // The emulator's settings point at test:///default and seed one image volume.
            match open_target(TargetSpec {
                provider: &nimbus_libvirt::PROVIDER,
                emulator: Some("test-driver".into()),
                services: Vec::new(),
                settings: Default::default(),
            })
            .await
            {
                Ok(opened) => Some(opened.target),
                Err(e) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() != Ok("1") => {
                    eprintln!("libvirt test driver not available ({e}); skipping (install libvirt0)");
                    None
                }
                Err(e) => panic!("libvirt test driver: {e}"),
            }
        })
        .target("qemu-tcg", || async {
            let uri = std::env::var("NIMBUS_TEST_LIBVIRT_URI").ok()?;
            let opened = open_target(TargetSpec {
                provider: &nimbus_libvirt::PROVIDER,
                emulator: Some("qemu-tcg".into()),
                services: Vec::new(),
                // The emulator's settings add the pool, TCG and the shutdown deadline.
                settings: settings(&[("uri", uri)]),
            })
            .await
            .unwrap();
            let mut t = opened.target;
            // The test image serves 8080 and 8081; its guests are reachable from the namespace.
            t.guest_access = Some(GuestAccess {
                netns: std::env::var("NIMBUS_TEST_LIBVIRT_NETNS").ok(),
                ports: [8080, 8081],
            });
            Some(t)
        })
        .main()
}
