//! Wake-ups: a store's hint that something changed, runtime-agnostic.

use std::fmt;

use async_trait::async_trait;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Topic {
    /// Events were appended to the log.
    Events,
    /// Jobs were enqueued, released or requeued.
    Jobs,
    /// Deadlines were set or re-armed.
    Deadlines,
}

/// What a [`Wakeup`] waits on; a store implements it with its runtime's primitives.
#[async_trait]
pub trait WakeSource: Send + Sync + fmt::Debug {
    /// Resolves after the next change (or at once if one happened since the last wait).
    async fn wait(&mut self);
}

/// Waits for changes of one topic ([`super::JobStore::wakeup`]). A change that happens while
/// nobody waits is not lost: the next [`Wakeup::wait`] returns at once. Only a hint: the
/// tables are the truth, so consumers also poll at a slow pace.
#[derive(Debug)]
pub struct Wakeup {
    source: Box<dyn WakeSource>,
}

impl Wakeup {
    /// A wake-up over `source`.
    pub fn new(source: impl WakeSource + 'static) -> Self {
        Self {
            source: Box::new(source),
        }
    }

    /// Resolves after the next change (or at once if one happened since the last wait).
    pub async fn wait(&mut self) {
        self.source.wait().await;
    }
}
