//! Compute cases.
//!
//! Every case takes sizes from `list_sizes`, images from the declared aliases (or
//! `list_images`) and zones from `list_regions`, so that the same cases run unchanged on every
//! provider. Every instance is labelled `nimbus-conformance = RUN` and tracked for cleanup
//! right after it is created.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use nimbus_core::compute::{
    new_request_id, pick_size, ImageChoice, Instance, InstanceFilter, InstanceSpec, Size, SizeChoice, State, StopMode,
    REQUEST_ID_LABEL,
};
use nimbus_core::{Capability, ComputeExt, ErrorKind, Scope};

use super::instances::*;
use super::networks::{make_network, make_subnet, sub_cidr};
use super::{case, Case};
use crate::ctx::{ctx_err as e, expect_kind, gated, portable_or_differs, CaseResult, Observed};
use crate::{ensure, Ctx};

type R = CaseResult;

/// Compute cases.
pub fn cases() -> Vec<Case> {
    vec![
        case!(
            compute,
            "regions are listed once each, every region has distinct, non-empty zones",
            regions_have_zones
        ),
        case!(
            compute,
            "list_regions returns the configured region where the region scope is regional, and at least one where it is global",
            regions_match_scope
        ),
        case!(
            compute,
            "sizes have unique ids, vCPUs > 0 and memory > 0; the smallest fits the declared quota",
            sizes_are_sane
        ),
        case!(
            compute,
            "every declared image alias is carried by exactly one listed image, and listed aliases are declared",
            image_aliases_resolve
        ),
        case!(
            compute,
            "size requirements resolve to the smallest satisfying size, also when creating",
            size_by_requirements_picks_smallest
        ),
        case!(
            compute,
            "requirements no size meets are CapacityUnavailable, on resolve and on create",
            size_requirements_impossible
        ),
        case!(compute, "an unknown size id is InvalidInput", unknown_size_rejected),
        case!(
            compute,
            "a created instance reaches Running with a raw state, its name, size, image, region and zone",
            create_and_wait_running
        ),
        case!(
            compute,
            "an instance created from a listed image id boots with that image",
            create_by_image_id
        ),
        case!(
            compute,
            "an instance created in an explicit zone of its region is in that zone",
            explicit_zone_round_trips
        ),
        case!(compute, "an unknown zone is InvalidInput", unknown_zone_rejected),
        case!(
            compute,
            "get returns the labels and fields the instance was created with",
            get_instance_round_trips_labels
        ),
        case!(
            compute,
            "a label filter returns exactly the matching instances",
            list_by_label
        ),
        case!(
            compute,
            "a create repeated with the caller's request id returns the first instance; the id on another name is Conflict, a malformed one InvalidInput",
            create_repeated_with_request_id
        ),
        case!(
            compute,
            "terminated instances are not listed unless asked for",
            list_excludes_terminated_by_default
        ),
        case!(
            compute,
            "stop reaches Stopped, start returns to Running",
            stop_and_start
        ),
        case!(
            compute,
            "a deallocating stop reaches Stopped and the instance can start again",
            stop_deallocate
        ),
        case!(
            compute,
            "a rebooted instance is Running again",
            reboot_returns_to_running
        ),
        case!(
            compute,
            "terminate twice succeeds, the instance ends terminated, terminate after that succeeds",
            terminate_is_idempotent
        ),
        case!(
            compute,
            "the name of a terminated instance can be used again",
            name_reusable_after_terminate
        ),
        case!(
            compute,
            "get, start, stop and reboot of a missing instance are NotFound",
            get_missing_is_not_found
        ),
        case!(
            compute,
            "starting or stopping a terminated instance is Conflict",
            start_terminated_is_conflict
        ),
        case!(
            compute,
            "invalid instance names are InvalidInput",
            invalid_name_rejected
        ),
        case!(
            compute,
            "an unknown image alias is InvalidInput",
            unknown_image_rejected
        ),
        case!(
            compute,
            "a second live instance with the same name is AlreadyExists",
            duplicate_name_rejected
        ),
        case!(compute, "an instance with user data boots", user_data_accepted),
        case!(
            compute,
            "waiting for Stopped on a Running instance ends with Conflict, not a timeout",
            wait_settled_elsewhere_is_conflict
        ),
        case!(
            compute,
            "the declared vCPU quota ends creation with QuotaExceeded and leaves no instance behind",
            vcpu_quota_enforced
        ),
        case!(
            compute,
            "instances in a subnet get distinct private addresses inside its range",
            instance_in_subnet_gets_private_ip_inside_cidr
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers (shared with the network cases).

/// Creates an instance expecting an error of `kind`; an unexpected instance is tracked.
pub(super) async fn expect_create_err(c: &Ctx, what: &str, spec: &InstanceSpec, kind: ErrorKind) -> Result<(), String> {
    let r = c.compute().create_instance(spec).await;
    if let Ok(i) = &r {
        c.track_instance(&i.id);
    }
    expect_kind(what, r, kind)
}

/// Ids of the images a choice may resolve to.
async fn image_ids_for(c: &Ctx, choice: &ImageChoice) -> Result<BTreeSet<String>, String> {
    let images = c.compute().list_images().await.map_err(e("list images"))?;
    Ok(match choice {
        ImageChoice::Alias(a) => images
            .into_iter()
            .filter(|i| i.aliases.contains(a))
            .map(|i| i.id)
            .collect(),
        ImageChoice::Id(id) => BTreeSet::from([id.clone()]),
        other => return Err(format!("unexpected image choice {other:?}")),
    })
}

fn only_run(c: &Ctx) -> InstanceFilter {
    InstanceFilter::default().label(LABEL, c.run.clone())
}

fn ids(v: &[Instance]) -> BTreeSet<String> {
    v.iter().map(|i| i.id.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Catalogue.

async fn regions_have_zones(c: Ctx) -> R {
    let regions = c.compute().list_regions().await.map_err(e("list regions"))?;
    ensure!(!regions.is_empty(), "list_regions returned no regions");
    let mut seen = BTreeSet::new();
    for r in &regions {
        ensure!(!r.id.trim().is_empty(), "a region has an empty id");
        ensure!(seen.insert(r.id.clone()), "region `{}` is listed twice", r.id);
        ensure!(!r.zones.is_empty(), "region `{}` has no zones", r.id);
        let mut zones = BTreeSet::new();
        for z in &r.zones {
            ensure!(!z.trim().is_empty(), "region `{}` has a zone with an empty id", r.id);
            ensure!(
                zones.insert(z.clone()),
                "zone `{z}` is listed twice in region `{}`",
                r.id
            );
        }
    }
    Ok(Observed::Pass)
}

async fn sizes_are_sane(c: Ctx) -> R {
    let sizes = c.compute().list_sizes().await.map_err(e("list sizes"))?;
    ensure!(!sizes.is_empty(), "list_sizes returned no sizes");
    let mut seen = BTreeSet::new();
    for s in &sizes {
        ensure!(!s.id.trim().is_empty(), "a size has an empty id");
        ensure!(seen.insert(s.id.clone()), "size `{}` is listed twice", s.id);
        ensure!(s.vcpus > 0, "size `{}` has 0 vCPUs", s.id);
        ensure!(s.memory_mib > 0, "size `{}` has 0 MiB of memory", s.id);
    }
    if let Some(max) = c.compute().capabilities().max_vcpus {
        let least = sizes.iter().map(|s| s.vcpus).min().unwrap_or(0);
        ensure!(
            least <= max,
            "the declared vCPU quota {max} is below the smallest size ({least} vCPUs)"
        );
    }
    Ok(Observed::Pass)
}

async fn image_aliases_resolve(c: Ctx) -> R {
    let declared = c.compute().capabilities().image_aliases;
    let images = c.compute().list_images().await.map_err(e("list images"))?;
    ensure!(!images.is_empty(), "list_images returned no images");
    let mut seen = BTreeSet::new();
    for i in &images {
        ensure!(!i.id.trim().is_empty(), "an image has an empty id");
        ensure!(seen.insert(i.id.clone()), "image `{}` is listed twice", i.id);
        for a in &i.aliases {
            ensure!(
                declared.contains(a),
                "image `{}` carries alias `{a}`, which the capabilities do not declare ({declared:?})",
                i.id
            );
        }
    }
    for a in &declared {
        let carriers: Vec<&str> = images
            .iter()
            .filter(|i| i.aliases.contains(a))
            .map(|i| i.id.as_str())
            .collect();
        if carriers.is_empty() {
            // The declaration is the provider's; the catalogue is the region's or emulator's.
            return portable_or_differs(
                false,
                "image-alias-unavailable",
                format!("declared alias `{a}` is carried by no listed image"),
            );
        }
        ensure!(carriers.len() == 1, "alias `{a}` is ambiguous: carried by {carriers:?}");
    }
    Ok(Observed::Pass)
}

async fn size_by_requirements_picks_smallest(c: Ctx) -> R {
    let sizes = c.compute().list_sizes().await.map_err(e("list sizes"))?;
    ensure!(!sizes.is_empty(), "list_sizes returned no sizes");
    let key = |s: &Size| (s.vcpus, s.memory_mib, s.id.clone());
    let mut sorted = sizes.clone();
    sorted.sort_by_key(key);
    // Independently: for the requirements of every size, the answer satisfies them and no
    // satisfying size is smaller.
    for (n, s) in sorted.iter().enumerate() {
        let choice = SizeChoice::Requirements {
            min_vcpus: s.vcpus,
            min_memory_mib: s.memory_mib,
        };
        let got = if n < 3 {
            c.compute().resolve_size(&choice).await.map_err(e("resolve size"))?
        } else {
            pick_size(&sizes, &choice).map_err(e("pick size"))?
        };
        ensure!(
            got.vcpus >= s.vcpus && got.memory_mib >= s.memory_mib,
            "requirements of `{}` ({} vCPUs, {} MiB) resolved to `{}` ({} vCPUs, {} MiB), which is too small",
            s.id,
            s.vcpus,
            s.memory_mib,
            got.id,
            got.vcpus,
            got.memory_mib
        );
        if let Some(better) = sorted
            .iter()
            .find(|o| o.vcpus >= s.vcpus && o.memory_mib >= s.memory_mib && key(o) < key(&got))
        {
            return Err(format!(
                "requirements of `{}` resolved to `{}`, but `{}` is smaller and satisfies them",
                s.id, got.id, better.id
            ));
        }
    }
    // The provider applies requirements when creating.
    let smallest = &sorted[0];
    let mut choice = SizeChoice::Requirements {
        min_vcpus: smallest.vcpus,
        min_memory_mib: smallest.memory_mib + 1,
    };
    let want = match pick_size(&sizes, &choice) {
        Ok(s) => s,
        Err(_) => {
            choice = SizeChoice::Requirements {
                min_vcpus: smallest.vcpus,
                min_memory_mib: smallest.memory_mib,
            };
            smallest.clone()
        }
    };
    let spec = InstanceSpec::new(c.name(), choice.clone(), default_image(&c).await?).label(LABEL, c.run.clone());
    let i = launch(&c, &spec).await?;
    ensure!(
        i.size == want.id,
        "created with {choice:?}: expected size `{}`, the instance has `{}`",
        want.id,
        i.size
    );
    let got = c.compute().get_instance(&i.id).await.map_err(e("get instance"))?;
    ensure!(
        got.size == want.id,
        "get_instance reports size `{}`, expected `{}`",
        got.size,
        want.id
    );
    Ok(Observed::Pass)
}

async fn size_requirements_impossible(c: Ctx) -> R {
    let sizes = c.compute().list_sizes().await.map_err(e("list sizes"))?;
    let max_vcpus = sizes
        .iter()
        .map(|s| s.vcpus)
        .max()
        .ok_or("list_sizes returned no sizes")?;
    let max_mem = sizes.iter().map(|s| s.memory_mib).max().unwrap_or(0);
    let image = default_image(&c).await?;
    let too_many_cpus = SizeChoice::Requirements {
        min_vcpus: max_vcpus.saturating_add(1),
        min_memory_mib: 0,
    };
    let too_much_mem = SizeChoice::Requirements {
        min_vcpus: 1,
        min_memory_mib: max_mem.saturating_add(1),
    };
    for choice in [too_many_cpus, too_much_mem] {
        expect_kind(
            &format!("resolve {choice:?}"),
            c.compute().resolve_size(&choice).await,
            ErrorKind::CapacityUnavailable,
        )?;
        let spec = InstanceSpec::new(c.name(), choice.clone(), image.clone()).label(LABEL, c.run.clone());
        expect_create_err(
            &c,
            &format!("create with {choice:?}"),
            &spec,
            ErrorKind::CapacityUnavailable,
        )
        .await?;
    }
    Ok(Observed::Pass)
}

async fn unknown_size_rejected(c: Ctx) -> R {
    let spec = InstanceSpec::new(
        c.name(),
        SizeChoice::Id("nc-no-such-size".into()),
        default_image(&c).await?,
    )
    .label(LABEL, c.run.clone());
    expect_create_err(&c, "create with an unknown size", &spec, ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

// ---------------------------------------------------------------------------------------------
// Creation.

async fn create_and_wait_running(c: Ctx) -> R {
    let spec = base_spec(&c).await?;
    let SizeChoice::Id(size) = spec.size.clone() else {
        return Err("base spec without a size id".into());
    };
    let images = image_ids_for(&c, &spec.image).await?;
    let created = launch(&c, &spec).await?;
    ensure!(
        created.name == spec.name,
        "created instance is named `{}`, not `{}`",
        created.name,
        spec.name
    );
    ensure!(
        matches!(created.state.state, State::Pending | State::Running),
        "a new instance is {} (raw `{}`), expected pending or running",
        created.state.state,
        created.state.raw
    );
    let i = wait_state(&c, &created.id, State::Running).await?;
    ensure!(i.id == created.id, "get returned id `{}` for `{}`", i.id, created.id);
    ensure!(
        i.name == spec.name,
        "instance is named `{}`, not `{}`",
        i.name,
        spec.name
    );
    ensure!(i.size == size, "instance has size `{}`, not `{size}`", i.size);
    ensure!(
        images.contains(&i.image),
        "instance has image `{}`, expected one of {images:?}",
        i.image
    );
    let regions = c.compute().list_regions().await.map_err(e("list regions"))?;
    let region = regions
        .iter()
        .find(|r| r.id == i.region)
        .ok_or_else(|| format!("instance region `{}` is not a listed region", i.region))?;
    if let Some(z) = &i.zone {
        ensure!(
            region.zones.contains(z),
            "instance zone `{z}` is not a zone of region `{}`",
            region.id
        );
    }
    ensure!(
        i.labels.get(LABEL) == Some(&c.run),
        "instance lost its `{LABEL}` label: {:?}",
        i.labels
    );
    if let Some(t) = i.created {
        let now = SystemTime::now();
        let skew = Duration::from_secs(600);
        ensure!(
            t <= now + skew && now.duration_since(t).unwrap_or_default() <= Duration::from_secs(6 * 3600),
            "creation time {t:?} is implausible (now {now:?})"
        );
    }
    Ok(Observed::Pass)
}

async fn create_by_image_id(c: Ctx) -> R {
    let images = c.compute().list_images().await.map_err(e("list images"))?;
    // Prefer a curated image (one carrying a declared alias) over whatever is listed first.
    let aliases = c.compute().capabilities().image_aliases;
    let img = images
        .iter()
        .find(|i| i.aliases.iter().any(|a| aliases.contains(a)))
        .or(images.first())
        .ok_or("list_images returned no images")?
        .clone();
    let mut spec = base_spec(&c).await?;
    spec.image = ImageChoice::Id(img.id.clone());
    let i = launch_running(&c, &spec).await?;
    ensure!(
        i.image == img.id,
        "created from image `{}`, the instance has image `{}`",
        img.id,
        i.image
    );
    Ok(Observed::Pass)
}

async fn explicit_zone_round_trips(c: Ctx) -> R {
    let first = launch(&c, &base_spec(&c).await?).await?;
    let regions = c.compute().list_regions().await.map_err(e("list regions"))?;
    let region = regions
        .iter()
        .find(|r| r.id == first.region)
        .ok_or_else(|| format!("instance region `{}` is not a listed region", first.region))?;
    let zone = region
        .zones
        .iter()
        .rev()
        .find(|z| Some(*z) != first.zone.as_ref())
        .or(region.zones.first())
        .cloned()
        .ok_or_else(|| format!("region `{}` has no zones", region.id))?;
    let spec = base_spec(&c).await?.zone(zone.clone());
    let i = launch(&c, &spec).await?;
    ensure!(
        i.zone.as_ref() == Some(&zone),
        "created in zone `{zone}`, the instance is in {:?}",
        i.zone
    );
    ensure!(
        i.region == region.id,
        "created in a zone of `{}`, the instance is in `{}`",
        region.id,
        i.region
    );
    let got = c.compute().get_instance(&i.id).await.map_err(e("get instance"))?;
    ensure!(
        got.zone.as_ref() == Some(&zone),
        "get_instance reports zone {:?}, not `{zone}`",
        got.zone
    );
    Ok(Observed::Pass)
}

async fn unknown_zone_rejected(c: Ctx) -> R {
    let spec = base_spec(&c).await?.zone("nc-no-such-zone-9z");
    expect_create_err(&c, "create in an unknown zone", &spec, ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

async fn get_instance_round_trips_labels(c: Ctx) -> R {
    let spec = base_spec(&c).await?.label("team", "qa-1").label("env", "conformance");
    let created = launch(&c, &spec).await?;
    let i = c.compute().get_instance(&created.id).await.map_err(e("get instance"))?;
    ensure!(i.id == created.id, "get returned id `{}` for `{}`", i.id, created.id);
    ensure!(
        i.name == created.name,
        "get says name `{}`, create said `{}`",
        i.name,
        created.name
    );
    ensure!(
        i.size == created.size,
        "get says size `{}`, create said `{}`",
        i.size,
        created.size
    );
    ensure!(
        i.image == created.image,
        "get says image `{}`, create said `{}`",
        i.image,
        created.image
    );
    ensure!(
        i.region == created.region,
        "get says region `{}`, create said `{}`",
        i.region,
        created.region
    );
    for (k, v) in &spec.labels {
        ensure!(
            i.labels.get(k) == Some(v),
            "label `{k}` = `{v}` did not round-trip: {:?}",
            i.labels
        );
    }
    let listed = c
        .compute()
        .list_instances(&only_run(&c))
        .await
        .map_err(e("list instances"))?;
    let l = listed
        .iter()
        .find(|x| x.id == created.id)
        .ok_or_else(|| format!("instance `{}` is not listed by its run label", created.id))?;
    for (k, v) in &spec.labels {
        ensure!(
            l.labels.get(k) == Some(v),
            "listed instance lacks label `{k}` = `{v}`: {:?}",
            l.labels
        );
    }
    Ok(Observed::Pass)
}

async fn list_by_label(c: Ctx) -> R {
    let a = launch(&c, &base_spec(&c).await?.label("role", "alpha")).await?;
    let b = launch(&c, &base_spec(&c).await?.label("role", "beta")).await?;
    let list = |f: InstanceFilter| {
        let comp = c.compute().clone();
        async move { comp.list_instances(&f).await.map_err(e("list instances")) }
    };
    let alpha = list(only_run(&c).label("role", "alpha")).await?;
    ensure!(
        ids(&alpha) == BTreeSet::from([a.id.clone()]),
        "filter role=alpha returned {:?}, expected only `{}`",
        ids(&alpha),
        a.id
    );
    ensure!(
        alpha.iter().all(|i| only_run(&c).label("role", "alpha").matches(i)),
        "a listed instance fails the filter"
    );
    let both = list(only_run(&c)).await?;
    ensure!(
        ids(&both) == BTreeSet::from([a.id.clone(), b.id.clone()]),
        "filter on the run label returned {:?}, expected `{}` and `{}`",
        ids(&both),
        a.id,
        b.id
    );
    let none = list(only_run(&c).label("role", "gamma")).await?;
    ensure!(none.is_empty(), "filter role=gamma returned {:?}", ids(&none));
    Ok(Observed::Pass)
}

/// A job that crashed after its create and runs again repeats the create with the same
/// token: it gets the first instance back, not a second one (compute/request_id.rs).
async fn create_repeated_with_request_id(c: Ctx) -> R {
    let token = new_request_id();
    let spec = base_spec(&c).await?.request_id(token.clone());
    let first = launch(&c, &spec).await?;
    ensure!(
        first.labels.get(REQUEST_ID_LABEL) == Some(&token),
        "the instance does not carry its request id as label `{REQUEST_ID_LABEL}`: {:?}",
        first.labels
    );
    let again = launch(&c, &spec).await?;
    ensure!(
        again.id == first.id,
        "the repeated create made `{}` beside `{}`",
        again.id,
        first.id
    );
    let listed = c
        .compute()
        .list_instances(&only_run(&c).label(REQUEST_ID_LABEL, token.clone()))
        .await
        .map_err(e("list instances"))?;
    ensure!(
        ids(&listed) == BTreeSet::from([first.id.clone()]),
        "instances with the token: {:?}, expected only `{}`",
        ids(&listed),
        first.id
    );
    let other = InstanceSpec::new(c.name(), spec.size.clone(), spec.image.clone())
        .label(LABEL, c.run.clone())
        .request_id(token.clone());
    expect_create_err(&c, "the request id on another name", &other, ErrorKind::Conflict).await?;
    let bad = base_spec(&c).await?.request_id("not-a-uuid");
    expect_create_err(&c, "a malformed request id", &bad, ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

async fn list_excludes_terminated_by_default(c: Ctx) -> R {
    let keep = launch(&c, &base_spec(&c).await?).await?;
    let gone = launch(&c, &base_spec(&c).await?).await?;
    c.compute().terminate_instance(&gone.id).await.map_err(e("terminate"))?;
    wait_gone(&c, &gone.id).await?;
    let listed = c
        .compute()
        .list_instances(&only_run(&c))
        .await
        .map_err(e("list instances"))?;
    ensure!(
        !listed.iter().any(|i| i.id == gone.id),
        "terminated instance `{}` is listed by default",
        gone.id
    );
    ensure!(
        listed.iter().any(|i| i.id == keep.id),
        "live instance `{}` is not listed",
        keep.id
    );
    let mut f = only_run(&c);
    f.include_terminated = true;
    let all = c
        .compute()
        .list_instances(&f)
        .await
        .map_err(e("list instances (with terminated)"))?;
    ensure!(
        all.iter().any(|i| i.id == keep.id),
        "live instance `{}` is not listed with include_terminated",
        keep.id
    );
    if let Some(t) = all.iter().find(|i| i.id == gone.id) {
        ensure!(
            t.state.state == State::Terminated && !t.state.raw.trim().is_empty(),
            "terminated instance is listed as {} (raw `{}`)",
            t.state.state,
            t.state.raw
        );
    }
    Ok(Observed::Pass)
}

// ---------------------------------------------------------------------------------------------
// Lifecycle.

async fn stop_and_start(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let i = launch_running(&c, &base_spec(&c).await?).await?;
    let id = i.id.clone();
    let (c2, id2) = (c.clone(), id.clone());
    let stopped = gated(
        caps.stop,
        Capability::InstanceStop,
        c.compute().stop_instance(&id, StopMode::Stop),
        move |_: Instance| async move { wait_state(&c2, &id2, State::Stopped).await.map(|_| ()) },
    )
    .await?;
    if stopped != Observed::Pass {
        if !caps.start {
            // Undeclared start must still be the typed error.
            gated(
                false,
                Capability::InstanceStart,
                c.compute().start_instance(&id),
                |_| async { Ok(()) },
            )
            .await?;
        }
        return Ok(stopped);
    }
    let (c2, id2) = (c.clone(), id.clone());
    gated(
        caps.start,
        Capability::InstanceStart,
        c.compute().start_instance(&id),
        move |_: Instance| async move { wait_state(&c2, &id2, State::Running).await.map(|_| ()) },
    )
    .await
}

async fn stop_deallocate(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let i = launch_running(&c, &base_spec(&c).await?).await?;
    let id = i.id.clone();
    let (c2, id2) = (c.clone(), id.clone());
    let out = gated(
        caps.deallocate,
        Capability::InstanceDeallocate,
        c.compute().stop_instance(&id, StopMode::Deallocate),
        move |_: Instance| async move { wait_state(&c2, &id2, State::Stopped).await.map(|_| ()) },
    )
    .await?;
    if out == Observed::Pass && caps.start {
        c.compute()
            .start_instance(&id)
            .await
            .map_err(e("start after deallocation"))?;
        wait_state(&c, &id, State::Running).await?;
    }
    Ok(out)
}

async fn reboot_returns_to_running(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let i = launch_running(&c, &base_spec(&c).await?).await?;
    let id = i.id.clone();
    let (c2, id2) = (c.clone(), id.clone());
    let r = gated(
        caps.reboot,
        Capability::InstanceReboot,
        c.compute().reboot_instance(&id),
        move |r: Instance| async move {
            ensure!(
                !matches!(r.state.state, State::Stopped | State::Terminating | State::Terminated),
                "reboot returned state {} (raw `{}`)",
                r.state.state,
                r.state.raw
            );
            wait_state(&c2, &id2, State::Running).await.map(|_| ())
        },
    )
    .await;
    match r {
        // Not observable from outside the guest: the adapter declares it, and its replay test
        // proves the call it sends (Compute Engine's `instances.reset`).
        Ok(Observed::Pass) if caps.reboot_is_hard_reset => portable_or_differs(
            false,
            "gce-reboot-is-hard-reset",
            "reboot is a hard reset (declared: reboot_is_hard_reset)",
        ),
        other => other,
    }
}

async fn regions_match_scope(c: Ctx) -> R {
    let scope = c.compute().capabilities().region_scope;
    let regions = c.compute().list_regions().await.map_err(e("list regions"))?;
    match scope {
        Scope::Regional => ensure!(
            regions.len() == 1,
            "region scope is regional, but list_regions returned {} regions",
            regions.len()
        ),
        Scope::Global => ensure!(!regions.is_empty(), "region scope is global, but no region is listed"),
        other => return Err(format!("region scope {other:?} is not a region scope")),
    }
    Ok(Observed::Pass)
}

async fn terminate_is_idempotent(c: Ctx) -> R {
    let i = launch(&c, &base_spec(&c).await?).await?;
    let first = c.compute().terminate_instance(&i.id).await.map_err(e("terminate"))?;
    ensure!(
        matches!(first.state.state, State::Terminating | State::Terminated),
        "terminate returned state {} (raw `{}`), expected terminating or terminated",
        first.state.state,
        first.state.raw
    );
    c.compute()
        .terminate_instance(&i.id)
        .await
        .map_err(e("terminate again while terminating"))?;
    wait_gone(&c, &i.id).await?;
    c.compute()
        .terminate_instance(&i.id)
        .await
        .map_err(e("terminate an already terminated instance"))?;
    match c.compute().get_instance(&i.id).await {
        Ok(g) => ensure!(
            g.state.state == State::Terminated,
            "after terminate the instance is {} (raw `{}`)",
            g.state.state,
            g.state.raw
        ),
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(format!("get after terminate: {err}")),
    }
    Ok(Observed::Pass)
}

async fn name_reusable_after_terminate(c: Ctx) -> R {
    let spec = base_spec(&c).await?;
    let first = launch(&c, &spec).await?;
    c.compute()
        .terminate_instance(&first.id)
        .await
        .map_err(e("terminate"))?;
    wait_gone(&c, &first.id).await?;
    let second = launch(&c, &spec).await?;
    ensure!(
        second.name == spec.name,
        "re-created instance is named `{}`",
        second.name
    );
    ensure!(second.id != first.id, "re-created instance reuses id `{}`", first.id);
    Ok(Observed::Pass)
}

async fn get_missing_is_not_found(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let real = launch(&c, &base_spec(&c).await?).await?;
    let missing = missing_id(&real.id);
    expect_kind(
        "get missing",
        c.compute().get_instance(&missing).await,
        ErrorKind::NotFound,
    )?;
    if caps.start {
        expect_kind(
            "start missing",
            c.compute().start_instance(&missing).await,
            ErrorKind::NotFound,
        )?;
    }
    if caps.stop {
        expect_kind(
            "stop missing",
            c.compute().stop_instance(&missing, StopMode::Stop).await,
            ErrorKind::NotFound,
        )?;
    }
    if caps.reboot {
        expect_kind(
            "reboot missing",
            c.compute().reboot_instance(&missing).await,
            ErrorKind::NotFound,
        )?;
    }
    Ok(Observed::Pass)
}

async fn start_terminated_is_conflict(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let i = launch_running(&c, &base_spec(&c).await?).await?;
    c.compute().terminate_instance(&i.id).await.map_err(e("terminate"))?;
    wait_gone(&c, &i.id).await?;
    match c.compute().get_instance(&i.id).await {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Ok(Observed::Unsupported(
                None,
                "terminated instances are not visible on this provider; nothing to start".into(),
            ))
        }
        Err(err) => return Err(format!("get terminated instance: {err}")),
    }
    if !caps.start {
        return gated(
            false,
            Capability::InstanceStart,
            c.compute().start_instance(&i.id),
            |_| async { Ok(()) },
        )
        .await;
    }
    let started = c.compute().start_instance(&i.id).await;
    if let Ok(back) = &started {
        return portable_or_differs(
            false,
            "start-terminated-succeeds",
            format!(
                "start of a terminated instance succeeded: now {} (raw `{}`)",
                back.state.state, back.state.raw
            ),
        );
    }
    expect_kind("start terminated", started, ErrorKind::Conflict)?;
    if caps.stop {
        expect_kind(
            "stop terminated",
            c.compute().stop_instance(&i.id, StopMode::Stop).await,
            ErrorKind::Conflict,
        )?;
    }
    let after = c.compute().get_instance(&i.id).await.map_err(e("get"))?;
    ensure!(
        after.state.state == State::Terminated,
        "after a refused start the instance is {} (raw `{}`)",
        after.state.state,
        after.state.raw
    );
    Ok(Observed::Pass)
}

async fn invalid_name_rejected(c: Ctx) -> R {
    let base = base_spec(&c).await?;
    let long = "a".repeat(64);
    for bad in [
        "Bad_Name!",
        "UPPER-case",
        "-leading-dash",
        "trailing-dash-",
        "has space",
        "",
        long.as_str(),
    ] {
        let mut spec = base.clone();
        spec.name = bad.to_string();
        expect_create_err(&c, &format!("create named {bad:?}"), &spec, ErrorKind::InvalidInput).await?;
    }
    Ok(Observed::Pass)
}

async fn unknown_image_rejected(c: Ctx) -> R {
    let mut spec = base_spec(&c).await?;
    spec.image = ImageChoice::Alias("nc-no-such-image-alias".into());
    expect_create_err(&c, "create with an unknown image alias", &spec, ErrorKind::InvalidInput).await?;
    Ok(Observed::Pass)
}

async fn duplicate_name_rejected(c: Ctx) -> R {
    let spec = base_spec(&c).await?;
    let first = launch(&c, &spec).await?;
    let again = spec.clone().label("role", "duplicate");
    expect_create_err(
        &c,
        "create with a live instance's name",
        &again,
        ErrorKind::AlreadyExists,
    )
    .await?;
    let listed = c
        .compute()
        .list_instances(&only_run(&c))
        .await
        .map_err(e("list instances"))?;
    let named: Vec<&Instance> = listed.iter().filter(|i| i.name == spec.name).collect();
    ensure!(
        named.len() == 1 && named[0].id == first.id,
        "expected one instance named `{}`, found {:?}",
        spec.name,
        named.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    Ok(Observed::Pass)
}

async fn user_data_accepted(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let spec = base_spec(&c)
        .await?
        .user_data("#!/bin/sh\necho nimbus-conformance > /tmp/nimbus\n");
    let r = c.compute().create_instance(&spec).await;
    if let Ok(i) = &r {
        c.track_instance(&i.id);
    }
    let c2 = c.clone();
    gated(
        caps.user_data,
        Capability::UserData,
        async { r },
        move |i: Instance| async move { wait_state(&c2, &i.id, State::Running).await.map(|_| ()) },
    )
    .await
}

async fn wait_settled_elsewhere_is_conflict(c: Ctx) -> R {
    let i = launch_running(&c, &base_spec(&c).await?).await?;
    expect_kind(
        "wait for stopped on a running instance",
        c.compute().wait_for_state(&i.id, State::Stopped, c.wait()).await,
        ErrorKind::Conflict,
    )?;
    let after = c.compute().get_instance(&i.id).await.map_err(e("get"))?;
    ensure!(
        after.state.state == State::Running,
        "waiting changed the instance to {}",
        after.state.state
    );
    Ok(Observed::Pass)
}

async fn vcpu_quota_enforced(c: Ctx) -> R {
    let caps = c.compute().capabilities();
    let Some(max) = caps.max_vcpus else {
        return Ok(Observed::Unsupported(None, "no vCPU quota declared".into()));
    };
    let sizes = c.compute().list_sizes().await.map_err(e("list sizes"))?;
    // The largest size that fits the quota (so the quota is reached by adding instances),
    // or the smallest size if none fits.
    let by_size = |a: &&Size, b: &&Size| (a.vcpus, a.memory_mib, &a.id).cmp(&(b.vcpus, b.memory_mib, &b.id));
    let largest = sizes
        .iter()
        .filter(|s| s.vcpus <= max)
        .max_by(by_size)
        .or(sizes.iter().min_by(by_size))
        .ok_or("list_sizes returned no sizes")?
        .clone();
    ensure!(largest.vcpus > 0, "size `{}` has 0 vCPUs", largest.id);
    let mut bound = max / largest.vcpus + 1;
    if let Some(n) = caps.max_instances {
        bound = bound.min(n.saturating_add(1));
    }
    let image = default_image(&c).await?;
    let mut created = BTreeSet::new();
    for n in 1..=bound {
        let spec =
            InstanceSpec::new(c.name(), SizeChoice::Id(largest.id.clone()), image.clone()).label(LABEL, c.run.clone());
        match c.compute().create_instance(&spec).await {
            Ok(i) => {
                c.track_instance(&i.id);
                created.insert(i.id);
            }
            Err(err) if err.kind() == ErrorKind::QuotaExceeded => {
                let live = c
                    .compute()
                    .list_instances(&only_run(&c))
                    .await
                    .map_err(e("list instances"))?;
                ensure!(
                    ids(&live) == created,
                    "after QuotaExceeded the run's instances are {:?}, expected {created:?}",
                    ids(&live)
                );
                return Ok(Observed::Pass);
            }
            Err(err) => {
                return Err(format!(
                    "creation {n} of `{}`: expected success or QuotaExceeded, got {err}",
                    largest.id
                ))
            }
        }
    }
    Err(format!(
        "max_vcpus is declared as {max}, yet {bound} instances of `{}` ({} vCPUs each) were created without QuotaExceeded",
        largest.id, largest.vcpus
    ))
}

async fn instance_in_subnet_gets_private_ip_inside_cidr(c: Ctx) -> R {
    if c.target.network.is_none() {
        return Ok(Observed::Unsupported(None, "the target has no network service".into()));
    }
    let (net, cidr) = make_network(&c, 0).await?;
    let sub = make_subnet(&c, &net.id, sub_cidr(&c, cidr, 0)?).await?;
    let a = launch_running(&c, &base_spec(&c).await?.subnet(sub.id.clone())).await?;
    let b = launch_running(&c, &base_spec(&c).await?.subnet(sub.id.clone())).await?;
    let mut seen = BTreeMap::new();
    for i in [&a, &b] {
        ensure!(
            i.subnet.as_ref() == Some(&sub.id),
            "instance `{}` is in subnet {:?}, expected `{}`",
            i.id,
            i.subnet,
            sub.id
        );
        let raw = i
            .private_ip
            .as_ref()
            .ok_or_else(|| format!("instance `{}` in a subnet has no private address", i.id))?;
        let ip: Ipv4Addr = raw
            .parse()
            .map_err(|_| format!("instance `{}` has private address `{raw}`, not IPv4", i.id))?;
        ensure!(
            sub.cidr.contains(&ip),
            "address {ip} of `{}` is outside subnet {}",
            i.id,
            sub.cidr
        );
        ensure!(
            ip != sub.cidr.network() && ip != sub.cidr.broadcast(),
            "instance `{}` got the network or broadcast address {ip}",
            i.id
        );
        if let Some(other) = seen.insert(ip, i.id.clone()) {
            return Err(format!("instances `{other}` and `{}` share the address {ip}", i.id));
        }
        if let Some(z) = &sub.zone {
            ensure!(
                i.zone.as_ref() == Some(z),
                "instance `{}` is in zone {:?}, its subnet in `{z}`",
                i.id,
                i.zone
            );
        }
    }
    Ok(Observed::Pass)
}
