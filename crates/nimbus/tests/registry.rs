//! The registry is the one list of providers; what it says about emulators agrees with the
//! script that installs them.

#![cfg(all(feature = "local", feature = "aws", feature = "azure", feature = "gcp"))]

/// Each emulator's version is declared in two places that must agree: the proof text its
/// provider's descriptor gives the report (`emulator: moto 5.2.5`) and the pin in
/// `scripts/emulators`, which installs it. This test makes the pin the one truth: change one
/// without the other and it fails, naming both.
#[test]
fn emulator_versions_in_the_registry_match_the_pins_that_install_them() {
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/emulators")).unwrap();
    let mut checked = 0;
    for p in nimbus::registry().all() {
        for e in p.emulators {
            let Some(rest) = e.proof.strip_prefix("emulator: ") else {
                continue; // embedded stand-ins have no version
            };
            let version = rest
                .split_whitespace()
                .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .unwrap_or_else(|| panic!("{}/{}: no version in `{}`", p.name, e.name, e.proof));
            assert!(
                script.contains(version),
                "{}/{}: the descriptor says {version}, scripts/emulators pins something else",
                p.name,
                e.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} emulators checked");
}

#[test]
fn every_provider_is_found_by_name_and_scheme_and_unknown_names_get_a_suggestion() {
    let r = nimbus::registry();
    for p in r.all() {
        assert_eq!(r.get(p.name).unwrap().name, p.name);
        for s in p.url_schemes {
            assert_eq!(r.for_scheme(s).unwrap().name, p.name);
        }
    }
    let e = r.get("azur").unwrap_err().to_string();
    assert!(e.contains("did you mean `azure`"), "{e}");
}
