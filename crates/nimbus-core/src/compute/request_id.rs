//! The instance look-up of a repeated create (`crate::request_id` has the why).

use super::{Compute, Instance, InstanceFilter, InstanceSpec};
use crate::request_id::REQUEST_ID_LABEL;
use crate::{Error, ErrorKind, Result};

/// The live instance an earlier create with this spec's token made, if any. `Conflict` when
/// the token is on an instance of another name (a token reused for a different create, EC2's
/// `IdempotentParameterMismatch`).
pub(crate) async fn find_created<C: Compute + ?Sized>(c: &C, spec: &InstanceSpec) -> Result<Option<Instance>> {
    let Some(token) = &spec.request_id else {
        return Ok(None);
    };
    let found = c
        .list_instances(&InstanceFilter::default().label(REQUEST_ID_LABEL, token.clone()))
        .await?;
    let Some(i) = found.into_iter().next() else {
        return Ok(None);
    };
    if i.name != spec.name {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("request id {token} already created instance `{}` ({})", i.name, i.id),
        ));
    }
    tracing::debug!(instance = %i.id, "create repeated: the instance its token made is the answer");
    Ok(Some(i))
}
