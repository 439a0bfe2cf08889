//! Runs as people act on them: who may cancel one, and the store's cancellation rule
//! ([`crate::store::runs`]) applied at the service's clock.

use serde_json::Value;

use crate::access::{self, Principal, Refusal};
use crate::clock::Clock;
use crate::error::Error;
use crate::id::CompetitionId;
use crate::store::{AggregateRef, Cancellation, JobId, Store};

use super::{Service, ServiceError};

impl<S: Store, C: Clock> Service<S, C> {
    /// Requests the cancellation of run `id` for `principal`: the director of the event the
    /// run works for (its payload's `event`) may, administrators always; a run that works
    /// for no event, administrators only. The outer result is whether the request could be
    /// carried out; the inner one whether `principal` may (nothing changes when not).
    ///
    /// # Errors
    /// [`ServiceError::UnknownRun`]; the store's failure.
    pub async fn cancel_run(
        &self,
        principal: &Principal,
        id: JobId,
    ) -> Result<Result<Cancellation, Refusal>, Error> {
        let job = self
            .store()
            .job(id)
            .await?
            .ok_or(ServiceError::UnknownRun { id: id.0 })?;
        let event = job
            .payload
            .get("event")
            .and_then(Value::as_str)
            .and_then(|event| CompetitionId::new(event).ok());
        let allowed = match event {
            Some(event) => {
                self.may_direct(principal, &AggregateRef::Competition(event))
                    .await?
            }
            None => access::may_direct(principal, None),
        };
        if let Err(refusal) = allowed {
            return Ok(Err(refusal));
        }
        let cancellation = self.store().request_cancel(id, self.clock().now()).await?;
        Ok(Ok(cancellation))
    }
}
