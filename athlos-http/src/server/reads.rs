//! Public reads answered from rendered bytes: brackets, standings and pairings are rendered
//! once per version of their aggregate and kept; conditional requests are answered 304.
//!
//! A public read's answer is a function of its aggregate's document, so of the aggregate's
//! version (the same assumption its `ETag`, `"v12"`, makes). Each read therefore:
//!
//! 1. asks the store for the aggregate's version now ([`AggregateStore::version`]: one
//!    indexed row, no document). Concurrent reads of one aggregate share that question, but
//!    a read only takes an answer whose query *started after the read arrived*, so it sees
//!    every commit that had returned by then — the cache never serves a version older than
//!    a plain read would;
//! 2. answers 304 `Not Modified` when `If-None-Match` names that version;
//! 3. answers the kept bytes of that version and view when there are some;
//! 4. otherwise renders, answers, and keeps the bytes when they are of that version.
//!
//! Kept bytes are bounded ([`Config::read_cache_bytes`](super::Config::read_cache_bytes));
//! the oldest entries go first. A write needs no invalidation: the next read finds a newer
//! version and renders it. Live reads say `Cache-Control: no-cache` (a client or proxy keeps
//! the answer and revalidates it with its `ETag`). Content-addressed reads (a bracket by its
//! hash, [`Freshness::Immutable`]) never change: `Cache-Control: public, max-age=31536000,
//! immutable` and their hash as the `ETag`.
//!
//! `/metrics` counts `athlos_read_cache_hits_total`, `…_misses_total` and
//! `…_not_modified_total`.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use serde::Serialize;

use athlos_core::store::{AggregateRef, AggregateStore};

use super::concurrency::etag;
use super::error::ApiError;
use super::AppState;

/// `Cache-Control` of a live read: keep, but ask again (with the `ETag`) before reuse.
const REVALIDATE: &str = "no-cache";
/// `Cache-Control` of a content-addressed read.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Aggregates whose last version check is remembered before idle ones are forgotten.
const GATES: usize = 4096;

/// A rendered answer: its body and content type, and the aggregate version it shows.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The aggregate's version the body shows.
    pub version: u64,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
}

impl Rendered {
    /// `value` as JSON, of aggregate version `version`.
    ///
    /// # Errors
    /// 500 when the value does not serialize (a bug).
    pub fn json<T: Serialize>(version: u64, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(format!("rendering a read: {e}")))?;
        Ok(Self {
            version,
            content_type: "application/json",
            body: Bytes::from(body),
        })
    }

    /// An SVG document of aggregate version `version`.
    pub fn svg(version: u64, svg: String) -> Self {
        Self {
            version,
            content_type: "image/svg+xml",
            body: Bytes::from(svg),
        }
    }
}

/// How long an answer stays true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Until the aggregate's next commit: `ETag` `"v{version}"`, revalidated.
    Live,
    /// Forever (content-addressed): this `ETag` value (without quotes), cached for a year.
    Immutable(String),
}

/// Which rendered answer: the aggregate and the view of it (route and query, normalised by
/// the handler, e.g. `bracket?version=3`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadKey {
    /// The aggregate the answer is a function of.
    pub aggregate: AggregateRef,
    /// The view of it.
    pub view: String,
}

impl ReadKey {
    /// The key of `view` of `aggregate`.
    pub fn new(aggregate: AggregateRef, view: impl Into<String>) -> Self {
        Self {
            aggregate,
            view: view.into(),
        }
    }
}

/// The counters `/metrics` shows.
#[derive(Debug, Clone, Default)]
pub struct ReadCounters {
    /// Answers from kept bytes.
    pub hits: Counter,
    /// Answers rendered.
    pub misses: Counter,
    /// 304 answers.
    pub not_modified: Counter,
}

/// The last version check of one aggregate.
#[derive(Debug, Default)]
struct Checked {
    /// When its query started (a tick of [`Reads::ticks`]); 0: never.
    started: u64,
    version: Option<u64>,
}

#[derive(Debug)]
struct Entry {
    rendered: Rendered,
    /// Insertion number: the eviction queue's entry for this one.
    stamp: u64,
}

#[derive(Debug, Default)]
struct Kept {
    entries: HashMap<ReadKey, Entry>,
    /// Keys in insertion order, with their insertion numbers (stale ones skipped).
    order: VecDeque<(ReadKey, u64)>,
    bytes: usize,
    stamps: u64,
}

/// The read cache of one process.
#[derive(Debug)]
pub struct Reads {
    budget: usize,
    ticks: AtomicU64,
    gates: Mutex<HashMap<AggregateRef, Arc<tokio::sync::Mutex<Checked>>>>,
    kept: Mutex<Kept>,
    /// Its counters.
    pub counters: ReadCounters,
}

impl Reads {
    /// A cache keeping at most `budget` bytes of bodies (0: keeps nothing, still answers 304).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            ticks: AtomicU64::new(0),
            gates: Mutex::default(),
            kept: Mutex::default(),
            counters: ReadCounters::default(),
        }
    }

    fn tick(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn gate(&self, aggregate: &AggregateRef) -> Arc<tokio::sync::Mutex<Checked>> {
        let mut gates = lock(&self.gates);
        if let Some(gate) = gates.get(aggregate) {
            return gate.clone();
        }
        if gates.len() >= GATES {
            // Forget the checks nobody is waiting on.
            gates.retain(|_, gate| Arc::strong_count(gate) > 1);
        }
        gates.entry(aggregate.clone()).or_default().clone()
    }

    /// The aggregate's version as of a query started after this call began (`None`: there
    /// is no such aggregate).
    async fn fresh_version<S: AggregateStore + ?Sized>(
        &self,
        store: &S,
        aggregate: &AggregateRef,
    ) -> Result<Option<u64>, ApiError> {
        let arrived = self.tick();
        let gate = self.gate(aggregate);
        let mut checked = gate.lock().await;
        if checked.started > arrived {
            return Ok(checked.version);
        }
        let started = self.tick();
        let version = store.version(aggregate).await?;
        *checked = Checked { started, version };
        Ok(version)
    }

    /// The kept bytes of `key`, when they show `version` (any version: `None`).
    fn kept(&self, key: &ReadKey, version: Option<u64>) -> Option<Rendered> {
        let kept = lock(&self.kept);
        kept.entries
            .get(key)
            .filter(|entry| version.is_none_or(|v| entry.rendered.version == v))
            .map(|entry| entry.rendered.clone())
    }

    fn keep(&self, key: ReadKey, rendered: &Rendered) {
        let size = rendered.body.len() + key.view.len();
        if size > self.budget / 4 {
            return;
        }
        let mut kept = lock(&self.kept);
        kept.stamps += 1;
        let stamp = kept.stamps;
        let entry = Entry {
            rendered: rendered.clone(),
            stamp,
        };
        if let Some(old) = kept.entries.insert(key.clone(), entry) {
            kept.bytes -= old.rendered.body.len() + key.view.len();
        }
        kept.bytes += size;
        kept.order.push_back((key, stamp));
        while kept.bytes > self.budget {
            let Some((oldest, stamp)) = kept.order.pop_front() else {
                break;
            };
            if kept.entries.get(&oldest).is_some_and(|e| e.stamp == stamp) {
                if let Some(gone) = kept.entries.remove(&oldest) {
                    kept.bytes -= gone.rendered.body.len() + oldest.view.len();
                }
            }
        }
        // Superseded keys pile up in the queue when one view is re-rendered often.
        if kept.order.len() > 2 * kept.entries.len() + 64 {
            let Kept { entries, order, .. } = &mut *kept;
            order.retain(|(key, stamp)| entries.get(key).is_some_and(|e| e.stamp == *stamp));
        }
    }

    /// Bytes kept now.
    pub fn kept_bytes(&self) -> usize {
        lock(&self.kept).bytes
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `If-None-Match` names `tag` (`"v12"` with its quotes), or is `*`: the weak
/// comparison, so `W/"v12"` matches too.
fn not_modified(request: &HeaderMap, tag: &str) -> bool {
    request.get_all(IF_NONE_MATCH).iter().any(|value| {
        value.to_str().is_ok_and(|list| {
            list.split(',').map(str::trim).any(|candidate| {
                candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
            })
        })
    })
}

fn respond(rendered: Option<&Rendered>, tag: &str, freshness: &Freshness) -> Response {
    let cache = match freshness {
        Freshness::Live => REVALIDATE,
        Freshness::Immutable(_) => IMMUTABLE,
    };
    let mut response = match rendered {
        Some(rendered) => (
            [(CONTENT_TYPE, rendered.content_type)],
            rendered.body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_MODIFIED.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(ETAG, value);
    }
    response
}

/// Answers the public read `key` (see the module doc): `render` runs only when no kept bytes
/// show the aggregate's current version. A read of an aggregate that does not exist is
/// rendered every time (the renderer answers its 404).
///
/// # Errors
/// The store's failure (503), or what `render` answers.
pub async fn serve<F, Fut>(
    state: &AppState,
    request: &HeaderMap,
    key: ReadKey,
    freshness: Freshness,
    render: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, ApiError>>,
{
    let reads = &state.reads;
    let tag_of = |version: u64| match &freshness {
        Freshness::Live => etag(version),
        Freshness::Immutable(tag) => format!("\"{tag}\""),
    };
    let Some(version) = reads.fresh_version(&*state.store, &key.aggregate).await? else {
        let rendered = render().await?;
        return Ok(respond(
            Some(&rendered),
            &tag_of(rendered.version),
            &freshness,
        ));
    };
    let tag = tag_of(version);
    if not_modified(request, &tag) {
        reads.counters.not_modified.inc();
        return Ok(respond(None, &tag, &freshness));
    }
    let wanted = match freshness {
        Freshness::Live => Some(version),
        Freshness::Immutable(_) => None,
    };
    if let Some(rendered) = reads.kept(&key, wanted) {
        reads.counters.hits.inc();
        return Ok(respond(Some(&rendered), &tag, &freshness));
    }
    reads.counters.misses.inc();
    let rendered = render().await?;
    if rendered.version == version || matches!(freshness, Freshness::Immutable(_)) {
        reads.keep(key, &rendered);
    }
    Ok(respond(
        Some(&rendered),
        &tag_of(rendered.version),
        &freshness,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use athlos_core::id::TournamentId;

    fn key(view: &str) -> ReadKey {
        ReadKey::new(
            AggregateRef::Tournament(TournamentId::new("t").unwrap_or_else(|e| panic!("{e}"))),
            view,
        )
    }

    fn body(version: u64, size: usize) -> Rendered {
        Rendered {
            version,
            content_type: "application/json",
            body: Bytes::from(vec![b'x'; size]),
        }
    }

    #[test]
    fn kept_bytes_answer_only_their_version() {
        let reads = Reads::new(1 << 20);
        reads.keep(key("standings"), &body(3, 10));
        assert!(reads.kept(&key("standings"), Some(3)).is_some());
        assert!(reads.kept(&key("standings"), Some(4)).is_none());
        assert!(reads.kept(&key("pairings/1"), Some(3)).is_none());
        reads.keep(key("standings"), &body(4, 20));
        assert!(reads.kept(&key("standings"), Some(3)).is_none());
        assert_eq!(reads.kept_bytes(), 20 + "standings".len());
    }

    #[test]
    fn the_oldest_entries_go_when_over_budget() {
        let reads = Reads::new(400);
        for view in ["a", "b", "c", "d", "e"] {
            reads.keep(key(view), &body(1, 99));
        }
        assert!(reads.kept_bytes() <= 400);
        assert!(
            reads.kept(&key("a"), Some(1)).is_none(),
            "the oldest went first"
        );
        assert!(reads.kept(&key("e"), None).is_some());
        // Too big for a quarter of the budget: not kept at all.
        reads.keep(key("big"), &body(1, 150));
        assert!(reads.kept(&key("big"), None).is_none());
    }

    #[test]
    fn a_key_rendered_again_and_again_does_not_grow_the_queue() {
        let reads = Reads::new(1 << 20);
        for version in 0..10_000 {
            reads.keep(key("standings"), &body(version, 10));
        }
        let kept = lock(&reads.kept);
        assert_eq!(kept.entries.len(), 1);
        assert!(kept.order.len() <= 2 * kept.entries.len() + 65);
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists() {
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, "\"v3\""));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"v2\", W/\"v3\""));
        assert!(not_modified(&headers, "\"v3\""));
        assert!(!not_modified(&headers, "\"v4\""));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&headers, "\"v9\""));
    }
}
