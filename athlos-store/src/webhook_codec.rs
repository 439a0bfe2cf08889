//! Column conversions of webhook subscriptions and deliveries, shared by both backends.

use athlos_core::error::StoreError;
use athlos_core::store::{AggregateRef, DeliveryState};

use crate::codec::{backend, from_json};

/// A subscription's scope from its column (`tournament:t1`, `competition:open`).
pub(crate) fn scope_of(text: &str) -> Result<AggregateRef, StoreError> {
    let (kind, id) = text
        .split_once(':')
        .ok_or_else(|| backend(format!("invalid webhook scope {text:?}")))?;
    from_json(serde_json::json!({"type": kind, "id": id}))
}

pub(crate) fn delivery_state(text: &str) -> Result<DeliveryState, StoreError> {
    DeliveryState::parse(text).ok_or_else(|| backend(format!("invalid delivery state {text:?}")))
}
