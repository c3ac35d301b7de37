//! The network look-up of a repeated create (`crate::request_id` has the why).
//!
//! Networks keep labels on every provider (tags on AWS and Azure, Neutron tags, the
//! description on Compute Engine, metadata in libvirt's XML), so the token label is found the
//! same way everywhere. Subnets and firewalls carry no labels in the portable model: their
//! creates stay unretried after a lost answer (ADR 0021).

use super::{Network, NetworkService, NetworkSpec};
use crate::request_id::REQUEST_ID_LABEL;
use crate::{Error, ErrorKind, Result};

/// The network an earlier create with this spec's token made, if any. `Conflict` when the
/// token is on a network of another name (a token reused for a different create).
pub(crate) async fn find_created<N: NetworkService + ?Sized>(n: &N, spec: &NetworkSpec) -> Result<Option<Network>> {
    let Some(token) = &spec.request_id else {
        return Ok(None);
    };
    let found = n
        .list_networks()
        .await?
        .into_iter()
        .find(|net| net.labels.get(REQUEST_ID_LABEL) == Some(token));
    let Some(net) = found else { return Ok(None) };
    if net.name != spec.name {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("request id {token} already created network `{}` ({})", net.name, net.id),
        ));
    }
    tracing::debug!(network = %net.id, "create repeated: the network its token made is the answer");
    Ok(Some(net))
}
