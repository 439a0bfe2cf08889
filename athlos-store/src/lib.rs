#![doc = include_str!("../README.md")]

mod aggregates;
mod codec;
mod deadlines;
mod dialect;
mod jobs;
mod signals;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

use std::sync::Arc;

use athlos_core::error::StoreError;

pub use athlos_core::store::{Topic, Wakeup};

use crate::dialect::Db;
use crate::signals::Signals;

/// What the store's functions return.
type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An instant, as the core's store traits take them.
type Time = chrono::DateTime<chrono::Utc>;

/// Why a store could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A URL that names no supported backend or is malformed.
    #[error("invalid database URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot open the database: {reason}")]
    Connect {
        /// The driver's message.
        reason: String,
    },
    /// The migrations could not be applied.
    #[error("cannot apply the database migrations: {reason}")]
    Migrate {
        /// The driver's message.
        reason: String,
    },
}

/// Opens the store a URL names and applies its migrations (see [Opening a
/// store](crate#opening-a-store)): `sqlite://path/to/athlos.db`, `sqlite::memory:`,
/// `postgres://user@host:port/database` (or `postgresql://`). Must be called inside a tokio
/// runtime: on PostgreSQL it starts the `LISTEN` task that turns other processes' commits into
/// wake-ups.
///
/// # Errors
/// [`OpenError::Url`] for an unknown scheme, [`OpenError::Connect`], [`OpenError::Migrate`].
pub async fn connect(url: &str) -> Result<AnyStore, OpenError> {
    let db = Db::open(url).await?;
    let signals = match &db {
        Db::Sqlite { .. } => Signals::local(),
        Db::Postgres { pool, .. } => Signals::postgres(pool.clone()),
    };
    Ok(AnyStore {
        inner: Arc::new(Inner { db, signals }),
    })
}

/// A SQLite or PostgreSQL store (see [the README](crate)); clones share one connection pool.
#[derive(Debug, Clone)]
pub struct AnyStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    signals: Signals,
}

impl AnyStore {
    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.inner.db.name()
    }

    /// Whether the database answers and every migration is applied (for a readiness probe).
    ///
    /// # Errors
    /// [`StoreError::Backend`] naming what is wrong.
    pub async fn ready(&self) -> Result<()> {
        self.inner.db.ready().await
    }

    /// A wake-up for `topic`: resolves after commits that append events ([`Topic::Events`]),
    /// enqueue or give back jobs ([`Topic::Jobs`]) or set deadlines ([`Topic::Deadlines`]).
    /// The same as [`JobStore::wakeup`](athlos_core::store::JobStore::wakeup), never `None`.
    pub fn wakeup(&self, topic: Topic) -> Wakeup {
        self.inner.signals.subscribe(topic)
    }

    /// Closes the connections; later calls fail with [`StoreError::Backend`].
    pub async fn close(&self) {
        self.inner.signals.stop();
        self.inner.db.close().await;
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    fn wake(&self, topic: Topic) {
        self.inner.signals.wake(topic);
    }
}
