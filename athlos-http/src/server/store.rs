//! The store the server runs on, behind one shared handle.

use std::sync::Arc;

use athlos_core::store::Store;

/// Any [`Store`] behind an `Arc`, so handlers are not generic over the backend; the core's
/// `impl Store for Arc<S>` makes it a store itself, every call going to the store within
/// (its own `parallel_writes` and `wakeup` included).
pub type SharedStore = Arc<dyn Store>;

/// Shares `store`.
pub fn shared(store: impl Store + 'static) -> SharedStore {
    Arc::new(store)
}
