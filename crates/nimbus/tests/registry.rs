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

/// The differences registry (`conformance/differences.toml`) names providers and lists the
/// suite cannot check (it imports no provider): each entry's provider is a registered provider
/// or the report name of one of its emulators; each emulator's lists exist; and an entry is
/// reachable, declared by an emulator's list or (kind `provider`) by live runs.
#[test]
fn the_differences_registry_names_only_registered_providers_and_emulator_lists() {
    let providers = nimbus::registry().all();
    let emulators = || providers.iter().flat_map(|p| p.emulators.iter());
    let entries = nimbus_conformance::registry::entries();
    for e in entries {
        assert!(
            providers.iter().any(|p| p.name == e.provider) || emulators().any(|m| m.report_as == e.provider),
            "{}: provider `{}` is neither a registered provider nor an emulator's report name",
            e.id,
            e.provider
        );
        assert!(
            e.kind == "provider" || emulators().any(|m| m.differences.contains(&e.list.as_str())),
            "{}: list `{}` is declared by no emulator, and an emulator-kind entry never runs live",
            e.id,
            e.list
        );
    }
    for m in emulators() {
        for list in m.differences {
            assert!(
                entries.iter().any(|e| e.list == *list),
                "emulator {} declares list `{list}`, which has no entry",
                m.name
            );
        }
    }
}
