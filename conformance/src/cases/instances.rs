//! Instances the compute and network cases create: sizes and images chosen from what the
//! provider lists, the run label, tracking for cleanup, and waits.
//!
//! A module of its own so that the compute and network cases both use it without importing
//! each other (they used to, in a cycle).

use nimbus_core::compute::{ImageChoice, Instance, InstanceSpec, Size, SizeChoice, State};
use nimbus_core::{ComputeExt, ErrorKind};

use crate::ctx::ctx_err as e;
use crate::{ensure, Ctx};

/// Label key every instance a case creates carries, with the run id as value.
pub(super) const LABEL: &str = "nimbus-conformance";

/// The smallest size (fewest vCPUs, then least memory, then id).
pub(super) async fn smallest_size(c: &Ctx) -> Result<Size, String> {
    let sizes = c.compute().list_sizes().await.map_err(e("list sizes"))?;
    sizes
        .into_iter()
        .min_by(|a, b| (a.vcpus, a.memory_mib, &a.id).cmp(&(b.vcpus, b.memory_mib, &b.id)))
        .ok_or_else(|| "list_sizes returned no sizes".to_string())
}

/// The first declared image alias, or the first listed image.
pub(super) async fn default_image(c: &Ctx) -> Result<ImageChoice, String> {
    if let Some(a) = c.compute().capabilities().image_aliases.first() {
        return Ok(ImageChoice::Alias(a.clone()));
    }
    let images = c.compute().list_images().await.map_err(e("list images"))?;
    images
        .first()
        .map(|i| ImageChoice::Id(i.id.clone()))
        .ok_or_else(|| "no image alias is declared and list_images returned no images".to_string())
}

/// A spec with a fresh name, the smallest size, the default image and the run label.
pub(super) async fn base_spec(c: &Ctx) -> Result<InstanceSpec, String> {
    let size = smallest_size(c).await?;
    let image = default_image(c).await?;
    Ok(InstanceSpec::new(c.name(), SizeChoice::Id(size.id), image).label(LABEL, c.run.clone()))
}

/// Creates an instance and tracks it for cleanup.
pub(super) async fn launch(c: &Ctx, spec: &InstanceSpec) -> Result<Instance, String> {
    let i = c
        .compute()
        .create_instance(spec)
        .await
        .map_err(|err| format!("create instance `{}`: {err}", spec.name))?;
    c.track_instance(&i.id);
    ensure!(
        !i.id.trim().is_empty(),
        "create_instance returned an empty id for `{}`",
        spec.name
    );
    ensure!(
        !i.state.raw.trim().is_empty(),
        "create_instance returned `{}` with an empty raw state",
        i.id
    );
    Ok(i)
}

/// Waits for `state`; the instance must carry a non-empty raw state.
pub(super) async fn wait_state(c: &Ctx, id: &str, state: State) -> Result<Instance, String> {
    let i = c
        .compute()
        .wait_for_state(id, state, c.wait())
        .await
        .map_err(|err| format!("waiting for instance `{id}` to be {state}: {err}"))?;
    ensure!(i.state.state == state, "waited for {state}, got {}", i.state.state);
    ensure!(
        !i.state.raw.trim().is_empty(),
        "instance `{id}` is {state} but its raw provider state is empty"
    );
    Ok(i)
}

/// Creates an instance, tracks it and waits until it runs.
pub(super) async fn launch_running(c: &Ctx, spec: &InstanceSpec) -> Result<Instance, String> {
    let i = launch(c, spec).await?;
    wait_state(c, &i.id, State::Running).await
}

/// Waits until the instance is terminated (or gone: providers may forget terminated
/// instances, then `get` is NotFound).
pub(super) async fn wait_gone(c: &Ctx, id: &str) -> Result<(), String> {
    match c.compute().wait_for_state(id, State::Terminated, c.wait()).await {
        Ok(i) => {
            ensure!(
                !i.state.raw.trim().is_empty(),
                "instance `{id}` is terminated but its raw provider state is empty"
            );
            Ok(())
        }
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        Err(err) => Err(format!("waiting for instance `{id}` to terminate: {err}")),
    }
}

/// A well-formed id that names nothing: the hex digits of the last segment of a real id
/// (after the last `-`, `/`, `_` or `:`) are mirrored (digits stay digits, letters stay
/// letters), so the id keeps the provider's format.
pub(super) fn missing_id(real: &str) -> String {
    let cut = real.rfind(['-', '/', '_', ':']).map_or(0, |i| i + 1);
    let (head, tail) = real.split_at(cut);
    let mirrored: String = tail
        .chars()
        .map(|ch| match ch {
            '0'..='9' => char::from(b'9' - (ch as u8 - b'0')),
            'a'..='f' => char::from(b'f' - (ch as u8 - b'a')),
            'A'..='F' => char::from(b'F' - (ch as u8 - b'A')),
            other => other,
        })
        .collect();
    if mirrored == tail {
        format!("{real}0")
    } else {
        format!("{head}{mirrored}")
    }
}
