//! Fuzz targets for the inputs of the v1 HTTP API (feature `fuzz`).
//!
//! Each target takes arbitrary bytes and sends them, as a real client would, through the
//! whole application ([`crate::server::app`]: routing, the token check, the body limit, the
//! JSON or CSV decoding, the validation and the service call) in process, with
//! `tower::ServiceExt::oneshot` on a current-thread runtime, against a store prepared with the
//! events, divisions, tournaments and drafts the route needs. It returns the [`Failure`] it
//! found, if any:
//!
//! - any answer of status 500 or above (bad input must be refused with a 4xx);
//! - an error answer without the API's error shape (`{"error": "...", "code": "..."}`);
//! - a JSON answer that is not JSON;
//! - a refusal, or a read, that changed the store (bad input changes nothing);
//! - a read that stops answering 200 after the input was accepted (an accepted body that
//!   leaves an aggregate nobody can read back);
//! - for `http_sequence`, a result overwritten without a correction, a result logged twice,
//!   a state that disagrees with its event log, or an `If-Match` that did not guard its write;
//! - a step of the fixture refused (the harness no longer matches the API).
//!
//! A panic inside a handler is a finding too: the server's panic layer turns it into a 500,
//! and under cargo-fuzz the panic itself aborts the run.
//!
//! **Speed.** The public target functions ([`division_result`], [`request`], …) keep, per
//! thread and per target, one runtime, one application and one in-memory store holding the
//! target's fixture, built on the first input. Every input starts by putting the store back
//! to the fixture ([`MemoryStore::restore`]), so inputs do not see each other and a fixture
//! costs nothing after the first. Follow-up calls and the reads after an input run only when
//! the input changed the store: a refused input is checked against the fixture instead.
//! [`run_on`] with another store URL (SQLite, PostgreSQL) builds everything afresh per input.
//!
//! The cargo-fuzz binaries in `fuzz/` call [`TARGETS`]; `tests/fuzz_smoke.rs` replays them over
//! the seed corpus in `fuzz/seeds/<target>/` and over generated inputs on every test run.
//! There is one target per request input type; `http_request`, whose input is a whole request
//! (request line with path and query, headers, body) against every fixture at once; and
//! `http_sequence`, whose input is a sequence of calls (results, corrections, two clients
//! racing, `If-Match`, rounds advanced, a server killed in the middle of a write and started
//! again over the same store).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use athlos_core::event::{EventData, MatchOwner};
use athlos_core::id::{DivisionId, TournamentId};
use athlos_core::store::{AggregateRef, AggregateStore, EventLog, MemorySnapshot, MemoryStore};
use athlos_core::tournament::Play;
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::server::auth::{mint, Claims};
use crate::server::store::SharedStore;
use crate::server::{self, AlwaysReady, AppState, Config, ReadyCheck};

/// What a fuzz input broke: the request, the answer, and which promise it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The target.
    pub target: &'static str,
    /// The request: method, path and target, and the body (lossy UTF-8, cut at 2,000 bytes).
    pub request: String,
    /// The answer's status (0 when there was none).
    pub status: u16,
    /// The answer's body (lossy UTF-8, cut at 2,000 bytes).
    pub response: String,
    /// The promise broken.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}\n  request: {}\n  answer: {} {}",
            self.target, self.reason, self.request, self.status, self.response
        )
    }
}

impl std::error::Error for Failure {}

/// A fuzz target body.
pub type Target = fn(&[u8]) -> Result<(), Failure>;

/// Every target, by the name of its `fuzz/` binary.
pub const TARGETS: &[(&str, Target)] = &[
    ("http_create_event", create_event),
    ("http_update_event", update_event),
    ("http_create_division", create_division),
    ("http_update_division", update_division),
    ("http_participants", participants),
    ("http_preview", preview),
    ("http_division_result", division_result),
    ("http_edit", edit),
    ("http_move_tag", move_tag),
    ("http_create_tournament", create_tournament),
    ("http_join", join),
    ("http_register", register),
    ("http_unregister", unregister),
    ("http_tournament_result", tournament_result),
    ("http_create_draft", create_draft),
    ("http_draft_pick", draft_pick),
    ("http_draft_trade", draft_trade),
    ("http_draft_queue", draft_queue),
    ("http_request", request),
    ("http_sequence", sequence),
];

/// The in-memory store, the fastest: what the public target functions run on, with the
/// fixture kept and restored between inputs.
pub const MEMORY: &str = "memory://";

/// SQLite in memory, the store `athlos serve` runs on by default; [`run_on`] and [`trace_on`]
/// take it so that path ids, paging and queries reach SQL (each input on a fresh store).
pub const SQLITE: &str = "sqlite::memory:";

/// Runs target `name` on `data`. On [`MEMORY`] it reuses this thread's prepared application
/// and fixture for the target (restored before the input); on any other store URL
/// (`sqlite::memory:`, a file, PostgreSQL) everything is built afresh.
///
/// # Errors
/// The [`Failure`] found; an unknown target name or a store that cannot be opened is one too.
pub fn run_on(store_url: &str, name: &str, data: &[u8]) -> Result<(), Failure> {
    let Some(&(target, _)) = TARGETS.iter().find(|(n, _)| *n == name) else {
        return Err(setup_failure("http", format!("no fuzz target {name:?}")));
    };
    if store_url == MEMORY {
        prepared(target, data).map(drop)
    } else {
        trace_on(store_url, name, data).map(drop)
    }
}

/// Runs target `name` on `data` against a fresh store opened from `store_url`, and answers
/// every request sent (fixture, the input, the calls and reads after) as `METHOD URI` with its
/// status, in order: what a test needs to see that an input reached the handler it aims at.
///
/// # Errors
/// The [`Failure`] found.
pub fn trace_on(store_url: &str, name: &str, data: &[u8]) -> Result<Vec<(String, u16)>, Failure> {
    let Some(&(target, _)) = TARGETS.iter().find(|(n, _)| *n == name) else {
        return Err(setup_failure("http", format!("no fuzz target {name:?}")));
    };
    let runtime = runtime(target)?;
    runtime.block_on(async {
        let harness = Harness::open(target, store_url).await?;
        fixture(&harness).await?;
        harness.keep_fixture().await?;
        input(&harness, data).await?;
        Ok(harness.log.take())
    })
}

/// Like [`run_on`] on [`MEMORY`] (this thread's prepared fixture, restored first), and
/// answers the requests the input made (the input and what followed it, not the fixture) as
/// `METHOD URI` with their status.
///
/// # Errors
/// The [`Failure`] found.
pub fn trace_prepared(name: &str, data: &[u8]) -> Result<Vec<(String, u16)>, Failure> {
    let Some(&(target, _)) = TARGETS.iter().find(|(n, _)| *n == name) else {
        return Err(setup_failure("http", format!("no fuzz target {name:?}")));
    };
    prepared(target, data)
}

fn runtime(target: &'static str) -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| setup_failure(target, format!("no runtime: {e}")))
}

/// A target's application and fixture, kept for the next input.
struct Prepared {
    runtime: tokio::runtime::Runtime,
    harness: Harness,
    /// Set while an input runs: a panic leaves it set, and the next input starts afresh.
    busy: bool,
}

thread_local! {
    static PREPARED: RefCell<BTreeMap<&'static str, Prepared>> = const { RefCell::new(BTreeMap::new()) };
}

/// Runs `target` on `data` over this thread's prepared fixture (see the module docs), and
/// answers the requests the input made.
fn prepared(target: &'static str, data: &[u8]) -> Result<Vec<(String, u16)>, Failure> {
    PREPARED.with(|cell| {
        let mut all = cell.borrow_mut();
        if all.get(target).is_some_and(|p| p.busy) {
            all.remove(target);
        }
        if !all.contains_key(target) {
            let runtime = runtime(target)?;
            let harness = runtime.block_on(async {
                let harness = Harness::open(target, MEMORY).await?;
                fixture(&harness).await?;
                harness.keep_fixture().await?;
                // The calls and reads that follow an accepted input must pass on the
                // fixture itself, once.
                after(&harness).await?;
                Ok(harness)
            })?;
            all.insert(
                target,
                Prepared {
                    runtime,
                    harness,
                    busy: false,
                },
            );
        }
        let Some(p) = all.get_mut(target) else {
            return Err(setup_failure(target, "not prepared".to_owned()));
        };
        p.busy = true;
        p.harness.reset();
        let outcome = p.runtime.block_on(input(&p.harness, data));
        p.busy = false;
        outcome.map(|()| p.harness.log.take())
    })
}

fn setup_failure(target: &'static str, reason: String) -> Failure {
    Failure {
        target,
        request: String::new(),
        status: 0,
        response: String::new(),
        reason,
    }
}

macro_rules! targets {
    ($($name:ident => $target:literal),+ $(,)?) => {
        $(
            #[doc = concat!("Target `", $target, "` on the in-memory store (see the module docs).")]
            ///
            /// # Errors
            /// The [`Failure`] found.
            pub fn $name(data: &[u8]) -> Result<(), Failure> {
                prepared($target, data).map(drop)
            }
        )+
    };
}

targets!(
    create_event => "http_create_event",
    update_event => "http_update_event",
    create_division => "http_create_division",
    update_division => "http_update_division",
    participants => "http_participants",
    preview => "http_preview",
    division_result => "http_division_result",
    edit => "http_edit",
    move_tag => "http_move_tag",
    create_tournament => "http_create_tournament",
    join => "http_join",
    register => "http_register",
    unregister => "http_unregister",
    tournament_result => "http_tournament_result",
    create_draft => "http_create_draft",
    draft_pick => "http_draft_pick",
    draft_trade => "http_draft_trade",
    draft_queue => "http_draft_queue",
    request => "http_request",
    sequence => "http_sequence",
);

const SECRET: &str = "athlos-fuzz-secret";
/// The director of every fixture.
const DIRECTOR: &str = "director";
/// An entrant with its own token: `k1` plays in `ko`, `s1` in `sw`; `k1` and `s1` manage the
/// two teams of every draft fixture.
const PLAYERS: [&str; 3] = ["k1", "s1", "newcomer"];
const JSON: &str = "application/json";
const CSV: &str = "text/csv";
const EXCERPT: usize = 2000;

fn excerpt(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(EXCERPT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > EXCERPT {
        text.push_str(&format!(" … ({} bytes)", bytes.len()));
    }
    text
}

/// One answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// The body as JSON (Null when not JSON or empty).
    json: Value,
    /// The `ETag` header, if any.
    etag: Option<String>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One request to send.
#[derive(Clone)]
struct Call<'a> {
    method: Method,
    uri: &'a str,
    token: Option<&'a str>,
    content_type: Option<&'a str>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: &'a [u8],
    /// Whether the caller reads a successful answer's JSON (otherwise it is only checked to
    /// be JSON, without building it).
    reads_answer: bool,
}

impl<'a> Call<'a> {
    fn new(method: Method, uri: &'a str) -> Self {
        Self {
            method,
            uri,
            token: None,
            content_type: None,
            headers: Vec::new(),
            body: b"",
            reads_answer: true,
        }
    }

    fn json(method: Method, uri: &'a str, token: &'a str, body: &'a [u8]) -> Self {
        Self {
            token: Some(token),
            content_type: Some(JSON),
            body,
            ..Self::new(method, uri)
        }
    }

    /// Whether the method promises to change nothing.
    fn safe(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }
}

/// The clock the fuzzed server reads (the system's, as `athlos serve` wires it).
fn system_clock() -> server::SharedClock {
    Arc::new(athlos_core::clock::SystemClock)
}

fn config() -> Config {
    Config {
        workers: 0,
        jwt_secret: SECRET.to_owned(),
        ..Config::default()
    }
}

/// The application over a store, with tokens for the director and the players.
struct Harness {
    target: &'static str,
    app: RefCell<Router>,
    store: SharedStore,
    ready: Arc<dyn ReadyCheck>,
    /// The store itself when it is the in-memory one: what an input is reset to and checked
    /// against.
    memory: Option<Arc<MemoryStore>>,
    director: String,
    players: Vec<String>,
    log: RefCell<Vec<(String, u16)>>,
    /// Match ids the fixture noted for the input, by aggregate id.
    notes: RefCell<BTreeMap<String, Vec<String>>>,
    /// What the in-memory store held after the fixture.
    fixture: RefCell<Option<MemorySnapshot>>,
    /// The last event of the fixture: a sequence reads the log from there.
    fixture_sequence: Cell<u64>,
    /// Whether an input changed the store since the fixture (always true without `memory`,
    /// where nothing can be compared).
    changed: Cell<bool>,
}

impl Harness {
    async fn open(target: &'static str, store_url: &str) -> Result<Self, Failure> {
        let (store, ready, memory): (SharedStore, Arc<dyn ReadyCheck>, _) = if store_url == MEMORY {
            let memory = Arc::new(MemoryStore::new());
            let shared: SharedStore = memory.clone();
            (shared, Arc::new(AlwaysReady), Some(memory))
        } else {
            let opened = server::open_store(store_url)
                .await
                .map_err(|e| setup_failure(target, format!("store {store_url}: {e}")))?;
            (opened.store, opened.ready, None)
        };
        let app = server::app(AppState::new(
            store.clone(),
            config(),
            ready.clone(),
            system_clock(),
        ));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let token = |sub: &str| {
            mint(
                &Claims {
                    sub: sub.to_owned(),
                    role: "director".to_owned(),
                    exp: now + 30 * 24 * 3600,
                    iat: now,
                },
                SECRET.as_bytes(),
            )
            .map_err(|e| setup_failure(target, format!("token: {e}")))
        };
        let changed = Cell::new(memory.is_none());
        Ok(Self {
            target,
            app: RefCell::new(app),
            store,
            ready,
            memory,
            director: token(DIRECTOR)?,
            players: PLAYERS.iter().map(|p| token(p)).collect::<Result<_, _>>()?,
            log: RefCell::new(Vec::new()),
            notes: RefCell::new(BTreeMap::new()),
            fixture: RefCell::new(None),
            fixture_sequence: Cell::new(0),
            changed,
        })
    }

    /// A new application over the same store, as a server started again after a crash.
    fn restart(&self) {
        let state = AppState::new(
            self.store.clone(),
            config(),
            self.ready.clone(),
            system_clock(),
        );
        drop(self.app.replace(server::app(state)));
    }

    /// Notes `ids` under `key` for the input.
    fn note(&self, key: &str, ids: Vec<String>) {
        self.notes.borrow_mut().insert(key.to_owned(), ids);
    }

    /// The ids noted under `key`.
    fn noted(&self, key: &str) -> Vec<String> {
        self.notes.borrow().get(key).cloned().unwrap_or_default()
    }

    /// Keeps what the store holds now as the fixture every input starts from.
    async fn keep_fixture(&self) -> Result<(), Failure> {
        if let Some(memory) = &self.memory {
            self.fixture.replace(Some(memory.snapshot()));
        }
        self.changed.set(self.memory.is_none());
        let last = self
            .store
            .last_sequence()
            .await
            .map_err(|e| setup_failure(self.target, format!("event log: {e}")))?;
        self.fixture_sequence.set(last);
        Ok(())
    }

    /// Back to the fixture, for the next input.
    fn reset(&self) {
        if let (Some(memory), Some(fixture)) = (&self.memory, &*self.fixture.borrow()) {
            memory.restore(fixture);
        }
        self.log.borrow_mut().clear();
        self.changed.set(self.memory.is_none());
    }

    /// The aggregates that differ from the fixture, when the store can tell.
    fn changed_aggregates(&self) -> Option<Vec<AggregateRef>> {
        let memory = self.memory.as_ref()?;
        let fixture = self.fixture.borrow();
        Some(memory.changed_since(fixture.as_ref()?))
    }

    /// Whether the store may differ from the fixture: the calls and reads after an input run
    /// only then.
    fn changed(&self) -> bool {
        self.changed.get()
    }

    /// A read of the store itself (not through the API) that failed.
    fn store_failure(&self, error: athlos_core::error::StoreError) -> Failure {
        setup_failure(self.target, format!("store: {error}"))
    }

    fn failure(&self, call: &Call<'_>, status: u16, response: &[u8], reason: String) -> Failure {
        Failure {
            target: self.target,
            request: format!("{} {} {}", call.method, call.uri, excerpt(call.body)),
            status,
            response: excerpt(response),
            reason,
        }
    }

    /// Sends `call` and checks the answer: below 500, the error shape on refusals, JSON when
    /// it says JSON.
    async fn send(&self, call: Call<'_>) -> Result<Answer, Failure> {
        let mut builder = Request::builder().method(call.method.clone()).uri(call.uri);
        if let Some(token) = call.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = call.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        for (name, value) in &call.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Body::from(call.body.to_vec()))
            .map_err(|e| self.failure(&call, 0, b"", format!("request not built: {e}")))?;
        let app = self.app.borrow().clone();
        let response = app
            .oneshot(request)
            .await
            .map_err(|e| self.failure(&call, 0, b"", format!("no answer: {e}")))?;
        let status = response.status().as_u16();
        self.log
            .borrow_mut()
            .push((format!("{} {}", call.method, call.uri), status));
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let json_type = header(CONTENT_TYPE).is_some_and(|v| v.starts_with(JSON));
        let etag = header(ETAG);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| self.failure(&call, status, b"", format!("unreadable body: {e}")))?;
        if status >= 500 {
            return Err(self.failure(
                &call,
                status,
                &bytes,
                "server error for a client's input".to_owned(),
            ));
        }
        let head = call.method == Method::HEAD;
        let json = if json_type && !head && (status >= 400 || call.reads_answer) {
            serde_json::from_slice(&bytes).map_err(|e| {
                self.failure(
                    &call,
                    status,
                    &bytes,
                    format!("JSON answer is not JSON: {e}"),
                )
            })?
        } else {
            if json_type && !head {
                serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(|e| {
                    self.failure(
                        &call,
                        status,
                        &bytes,
                        format!("JSON answer is not JSON: {e}"),
                    )
                })?;
            }
            Value::Null
        };
        if status >= 400 && !head {
            let text = |key: &str| json[key].as_str().is_some_and(|s| !s.trim().is_empty());
            if !(json_type && text("error") && text("code")) {
                return Err(self.failure(
                    &call,
                    status,
                    &bytes,
                    "a refusal without the error shape {\"error\", \"code\"}".to_owned(),
                ));
            }
        }
        Ok(Answer { status, json, etag })
    }

    /// Sends a call carrying fuzz input: a refusal, or a read, must leave the store as it
    /// was (checked on the in-memory store); an accepted write marks the store changed.
    async fn input(&self, call: Call<'_>) -> Result<Answer, Failure> {
        let before = match &self.memory {
            Some(memory) if self.changed.get() || self.fixture.borrow().is_none() => {
                Some(memory.snapshot())
            }
            _ => None,
        };
        let answer = self.send(call.clone()).await?;
        let Some(memory) = &self.memory else {
            return Ok(answer);
        };
        if answer.ok() && !call.safe() {
            self.changed.set(true);
            return Ok(answer);
        }
        let unchanged = match (&before, &*self.fixture.borrow()) {
            (Some(before), _) => memory.holds(before),
            // Unchanged since the fixture: the store must still hold it.
            (None, Some(fixture)) => memory.holds(fixture),
            (None, None) => true,
        };
        if !unchanged {
            let what = if answer.ok() { "a read" } else { "a refusal" };
            return Err(self.failure(
                &call,
                answer.status,
                answer.json.to_string().as_bytes(),
                format!("{what} changed the store"),
            ));
        }
        Ok(answer)
    }

    /// Sends JSON `body` as the director (a call the harness makes, not fuzz input).
    async fn director(&self, method: Method, uri: &str, body: &[u8]) -> Result<Answer, Failure> {
        self.send(Call::json(method, uri, &self.director, body))
            .await
    }

    /// Sends fuzz input `data` as JSON from the director.
    async fn director_input(
        &self,
        method: Method,
        uri: &str,
        data: &[u8],
    ) -> Result<Answer, Failure> {
        self.input(Call::json(method, uri, &self.director, data))
            .await
    }

    /// A fixture step: the director sends `body`, which must be answered `expected`.
    async fn step(
        &self,
        method: Method,
        uri: &str,
        body: &Value,
        expected: u16,
    ) -> Result<Answer, Failure> {
        let bytes = body.to_string().into_bytes();
        let call = Call::json(method, uri, &self.director, &bytes);
        self.expect(call, expected).await
    }

    async fn expect(&self, call: Call<'_>, expected: u16) -> Result<Answer, Failure> {
        let method = call.method.clone();
        let uri = call.uri.to_owned();
        let body = call.body.to_vec();
        let answer = self.send(call).await?;
        if answer.status != expected {
            return Err(self.failure(
                &Call {
                    body: &body,
                    ..Call::new(method, &uri)
                },
                answer.status,
                answer.json.to_string().as_bytes(),
                format!("expected {expected}"),
            ));
        }
        Ok(answer)
    }

    /// A read that must answer 200.
    async fn read(&self, uri: &str) -> Result<Answer, Failure> {
        self.expect(Call::new(Method::GET, uri), 200).await
    }

    /// A read that may refuse (with a 4xx) but not fail.
    async fn look(&self, uri: &str) -> Result<Answer, Failure> {
        self.send(Call::new(Method::GET, uri)).await
    }
}
// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// The event every division fixture belongs to.
const EVENT: &str = "ev";

/// How far a division fixture goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Participants, no bracket.
    Entered,
    /// A generated bracket (`ready`).
    Generated,
    /// A locked bracket (`in_progress`).
    Locked,
}

fn entrants(prefix: &str, n: usize) -> Value {
    let clubs = ["Kodokan", "Tokai", "Budokwai"];
    Value::Array(
        (1..=n)
            .map(|i| {
                json!({
                    "id": format!("{prefix}{i}"),
                    "name": format!("{prefix} {i}"),
                    "club": clubs[i % clubs.len()],
                    "rating": 2000 - i * 10,
                })
            })
            .collect(),
    )
}

fn division_uri(division: &str) -> String {
    format!("/v1/events/{EVENT}/divisions/{division}")
}

async fn event(h: &Harness) -> Result<(), Failure> {
    h.step(
        Method::POST,
        "/v1/events",
        &json!({"id": EVENT, "name": "Fuzz Open"}),
        201,
    )
    .await
    .map(drop)
}

/// Division `id` of [`EVENT`] with `n` participants (prefix `id`), taken to `stage`.
async fn division(
    h: &Harness,
    id: &str,
    rules: Value,
    n: usize,
    stage: Stage,
) -> Result<(), Failure> {
    h.step(
        Method::POST,
        &format!("/v1/events/{EVENT}/divisions"),
        &json!({"id": id, "name": id, "rules": rules, "seed": 7}),
        201,
    )
    .await?;
    let base = division_uri(id);
    h.step(
        Method::POST,
        &format!("{base}/participants"),
        &entrants(id, n),
        200,
    )
    .await?;
    if stage != Stage::Entered {
        h.step(Method::POST, &format!("{base}/generate"), &Value::Null, 200)
            .await?;
    }
    if stage == Stage::Locked {
        h.step(
            Method::POST,
            &format!("{base}/lock-bracket"),
            &Value::Null,
            200,
        )
        .await?;
    }
    Ok(())
}

/// The ids of the matches of division `id` that are ready to play.
async fn ready_matches(h: &Harness, id: &str) -> Result<Vec<String>, Failure> {
    let bracket = h.read(&format!("{}/bracket", division_uri(id))).await?;
    Ok(ready_ids(&bracket.json["bracket"]["matches"], "id"))
}

fn ready_ids(matches: &Value, key: &str) -> Vec<String> {
    matches
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["status"] == "ready")
                .filter_map(|m| m[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn tournament_uri(id: &str) -> String {
    format!("/v1/tournaments/{id}")
}

/// Tournament `id` with `rules`, published, with `n` registered entries (prefix `prefix`),
/// started when `start`.
async fn tournament(
    h: &Harness,
    id: &str,
    rules: Value,
    prefix: &str,
    n: usize,
    start: bool,
) -> Result<(), Failure> {
    h.step(
        Method::POST,
        "/v1/tournaments",
        &json!({"id": id, "name": id, "rules": rules, "self_reporting": true}),
        201,
    )
    .await?;
    let base = tournament_uri(id);
    h.step(Method::POST, &format!("{base}/publish"), &Value::Null, 200)
        .await?;
    if let Value::Array(entries) = entrants(prefix, n) {
        for entry in entries {
            h.step(Method::POST, &format!("{base}/register"), &entry, 200)
                .await?;
        }
    }
    if start {
        h.step(Method::POST, &format!("{base}/start"), &Value::Null, 200)
            .await?;
    }
    Ok(())
}

/// The ready games of the current round of tournament `id`.
async fn ready_games(h: &Harness, id: &str) -> Result<Vec<String>, Failure> {
    let base = tournament_uri(id);
    let round = h.read(&base).await?.json["round"].as_u64().unwrap_or(1);
    let pairings = h.read(&format!("{base}/rounds/{round}/pairings")).await?;
    Ok(ready_ids(&pairings.json["pairings"], "match_id"))
}

/// A registering single elimination (`reg`, entries `r1`, `r2`).
async fn registering(h: &Harness) -> Result<(), Failure> {
    tournament(
        h,
        "reg",
        json!({"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 3}),
        "r",
        2,
        false,
    )
    .await
}

/// A registering three-round Swiss (`sreg`, entries `q1`, `q2`).
async fn registering_swiss(h: &Harness) -> Result<(), Failure> {
    tournament(
        h,
        "sreg",
        json!({"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 4,
            "swiss": {"rounds": 3}}),
        "q",
        2,
        false,
    )
    .await
}

/// An active single elimination of 4 (`ko`, entries `k1`–`k4`, self-reporting).
async fn knockout(h: &Harness) -> Result<(), Failure> {
    tournament(
        h,
        "ko",
        json!({"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 5}),
        "k",
        4,
        true,
    )
    .await
}

/// An active three-round Swiss of 5 (`sw`, entries `s1`–`s5`, self-reporting).
async fn swiss(h: &Harness) -> Result<(), Failure> {
    tournament(
        h,
        "sw",
        json!({"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 9,
            "swiss": {"rounds": 3, "tiebreaks": ["BH:C1", "BH", "SB", "DE"]}}),
        "s",
        5,
        true,
    )
    .await
}

fn draft_uri(id: &str) -> String {
    format!("/v1/drafts/{id}")
}

/// The draft fixtures, one per stage: scheduled, started (pick 1 on the clock) and completed.
const DRAFTS: [&str; 3] = ["dr-sched", "dr-live", "dr-done"];

/// Draft `id`: two teams managed by `k1` and `s1`, two rounds, snake (0 1 | 1 0), a goalkeeper
/// (at most one) and a forward per roster.
fn draft_settings(id: &str) -> Value {
    json!({
        "id": id,
        "teams": 2,
        "rounds": 2,
        "order": "snake",
        "seconds_per_pick": 3600,
        "roster": [
            {"position": "GK", "starters": 1, "max": 1},
            {"position": "FW", "starters": 1},
        ],
        "pool": [
            {"id": "g1", "position": "GK", "rank": 1},
            {"id": "g2", "position": "GK", "rank": 2},
            {"id": "g3", "position": "GK", "rank": 3},
            {"id": "f1", "position": "FW", "rank": 4},
            {"id": "f2", "position": "FW", "rank": 5},
            {"id": "f3", "position": "FW", "rank": 6},
            {"id": "f4", "position": "FW", "rank": 7},
        ],
        "managers": [PLAYERS[0], PLAYERS[1]],
    })
}

/// The three draft fixtures of [`DRAFTS`].
async fn drafts(h: &Harness) -> Result<(), Failure> {
    for (stage, id) in DRAFTS.iter().enumerate() {
        h.step(Method::POST, "/v1/drafts", &draft_settings(id), 201)
            .await?;
        let base = draft_uri(id);
        if stage > 0 {
            h.step(Method::POST, &format!("{base}/start"), &Value::Null, 200)
                .await?;
        }
        if stage > 1 {
            for (pick, team, player) in [(1, 0, "g1"), (2, 1, "g2"), (3, 1, "f1"), (4, 0, "f2")] {
                let body = json!({"pick": pick, "team": team, "player": player});
                h.step(Method::POST, &format!("{base}/picks"), &body, 200)
                    .await?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Checks after an input
// ---------------------------------------------------------------------------------------

/// Every read of division `id` still answers (the bracket may be missing: 409).
async fn division_reads(h: &Harness, id: &str) -> Result<(), Failure> {
    division_reads_in(h, EVENT, id).await
}

/// Every read of division `id` of event `event` (ids as path segments) still answers.
async fn division_reads_in(h: &Harness, event: &str, id: &str) -> Result<(), Failure> {
    let base = format!("/v1/events/{event}/divisions/{id}");
    h.read(&base).await?;
    h.read(&format!("/v1/events/{event}/divisions")).await?;
    for tail in ["participants", "versions", "tags", "tags/history"] {
        h.read(&format!("{base}/{tail}")).await?;
    }
    h.look(&format!("{base}/bracket")).await?;
    h.look(&format!("{base}/bracket?tag=published")).await?;
    h.look(&format!("{base}/bracket?version=1")).await?;
    Ok(())
}

/// Every read of tournament `id` still answers.
async fn tournament_reads(h: &Harness, id: &str) -> Result<(), Failure> {
    let base = tournament_uri(id);
    let t = h.read(&base).await?;
    h.read("/v1/tournaments").await?;
    h.read(&format!("{base}/standings")).await?;
    h.read(&format!("{base}/export")).await?;
    h.look(&format!("{base}/export?format=trf")).await?;
    let round = t.json["round"].as_u64().unwrap_or(0);
    for r in 1..=round {
        h.read(&format!("{base}/rounds/{r}/pairings")).await?;
    }
    Ok(())
}

/// Every read of draft `id` still answers, its queues included (for the commissioner).
async fn draft_reads(h: &Harness, id: &str) -> Result<(), Failure> {
    let base = draft_uri(id);
    let draft = h.read(&base).await?;
    h.read(&format!("{base}/state")).await?;
    h.read(&format!("{base}/state?recent=100")).await?;
    h.read("/v1/drafts").await?;
    let teams = draft.json["settings"]["teams"].as_u64().unwrap_or(0).min(4);
    for team in 0..teams {
        let uri = format!("{base}/teams/{team}/queue");
        let call = Call {
            token: Some(&h.director),
            ..Call::new(Method::GET, &uri)
        };
        h.expect(call, 200).await?;
    }
    Ok(())
}

/// Drafts `id` on, as its commissioner: for each pick on the clock, the pool players in
/// order until one is taken; at most `picks` picks. Each step may be refused, not fail.
async fn draft_on(h: &Harness, id: &str, picks: usize) -> Result<(), Failure> {
    let base = draft_uri(id);
    for _ in 0..picks {
        let view = h.read(&base).await?.json;
        let on = &view["on_the_clock"];
        let (Some(pick), Some(team)) = (on["pick"].as_u64(), on["team"].as_u64()) else {
            break;
        };
        if view["state"] != "in_progress" {
            break;
        }
        let pool = view["settings"]["pool"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for player in pool.iter().take(64).filter_map(|p| p["id"].as_str()) {
            let body = json!({"pick": pick, "team": team, "player": player}).to_string();
            let answer = h
                .director(Method::POST, &format!("{base}/picks"), body.as_bytes())
                .await?;
            if answer.ok() {
                break;
            }
        }
    }
    draft_reads(h, id).await
}

/// Plays tournament `id` on: every ready game of the current round won by its first side,
/// then the round closed; at most `rounds` times. Each step may be refused, not fail.
async fn play_on(h: &Harness, id: &str, rounds: usize) -> Result<(), Failure> {
    let base = tournament_uri(id);
    for _ in 0..rounds {
        let t = h.read(&base).await?;
        if t.json["state"] != "active" {
            break;
        }
        let round = t.json["round"].as_u64().unwrap_or(1);
        let pairings = h.read(&format!("{base}/rounds/{round}/pairings")).await?;
        for game in pairings.json["pairings"].as_array().into_iter().flatten() {
            let (Some(id), Some(winner)) = (game["match_id"].as_str(), game["sides"][0].as_str())
            else {
                continue;
            };
            if game["status"] != "ready" {
                continue;
            }
            let body = json!({"type": "win", "winner": winner}).to_string();
            h.director(
                Method::POST,
                &format!("{base}/matches/{id}/result"),
                body.as_bytes(),
            )
            .await?;
        }
        h.director(Method::POST, &format!("{base}/advance"), b"null")
            .await?;
    }
    tournament_reads(h, id).await
}

// ---------------------------------------------------------------------------------------
// The targets: a fixture (built once), the input, and what follows an accepted input
// ---------------------------------------------------------------------------------------

const KNOCKOUT: &str = r#"{"format": "single_elimination"}"#;
const ROUND_ROBIN: &str = r#"{"format": "round_robin"}"#;

/// A division of a fixture: id, rules (JSON), entrants and stage.
type DivisionFixture = (&'static str, &'static str, usize, Stage);

/// The divisions of each target's fixture (of event [`EVENT`]).
const DIVISIONS: &[(&str, &[DivisionFixture])] = &[
    (
        "http_update_division",
        &[
            ("open", KNOCKOUT, 6, Stage::Entered),
            ("done", KNOCKOUT, 4, Stage::Locked),
        ],
    ),
    (
        "http_participants",
        &[
            ("json", r#"{"format": "auto"}"#, 2, Stage::Entered),
            ("csv", r#"{"format": "auto"}"#, 2, Stage::Entered),
            ("shut", r#"{"format": "auto"}"#, 2, Stage::Locked),
        ],
    ),
    (
        "http_preview",
        &[
            ("ready", SEEDED, 11, Stage::Generated),
            ("bare", ROUND_ROBIN, 5, Stage::Entered),
            ("live", SEEDED, 6, Stage::Locked),
        ],
    ),
    (
        "http_division_result",
        &[
            ("ko", KNOCKOUT, 6, Stage::Locked),
            ("rr", ROUND_ROBIN, 4, Stage::Locked),
        ],
    ),
    (
        "http_edit",
        &[
            ("draw", KNOCKOUT, 6, Stage::Generated),
            ("live", KNOCKOUT, 4, Stage::Locked),
        ],
    ),
    ("http_move_tag", &[("draw", KNOCKOUT, 5, Stage::Generated)]),
    (
        "http_request",
        &[
            ("draw", KNOCKOUT, 6, Stage::Generated),
            ("live", KNOCKOUT, 6, Stage::Locked),
            ("pool", ROUND_ROBIN, 4, Stage::Entered),
        ],
    ),
    (
        "http_sequence",
        &[
            ("ko", KNOCKOUT, 8, Stage::Locked),
            ("rr", ROUND_ROBIN, 4, Stage::Locked),
        ],
    ),
];

const SEEDED: &str = r#"{"format": "single_elimination", "max_seeds": 4}"#;

/// Builds the fixture of `h`'s target.
async fn fixture(h: &Harness) -> Result<(), Failure> {
    let divisions = DIVISIONS
        .iter()
        .find(|(target, _)| *target == h.target)
        .map_or(&[][..], |(_, divisions)| *divisions);
    if !divisions.is_empty() || h.target.contains("event") || h.target == "http_create_division" {
        event(h).await?;
    }
    for &(id, rules, n, stage) in divisions {
        let rules: Value = serde_json::from_str(rules)
            .map_err(|e| setup_failure(h.target, format!("fixture rules: {e}")))?;
        division(h, id, rules, n, stage).await?;
    }
    match h.target {
        "http_division_result" => {
            for id in ["ko", "rr"] {
                let mut matches = ready_matches(h, id).await?;
                matches.truncate(1);
                matches.push("KO-R9-M9".to_owned());
                h.note(id, matches);
            }
            Ok(())
        }
        "http_move_tag" => {
            h.step(
                Method::POST,
                &format!("{}/edits", division_uri("draw")),
                &json!({"type": "swap", "a": "draw1", "b": "draw2"}),
                200,
            )
            .await?;
            let rules: Value = serde_json::from_str(KNOCKOUT)
                .map_err(|e| setup_failure(h.target, format!("fixture rules: {e}")))?;
            division(h, "live", rules, 4, Stage::Locked).await
        }
        "http_create_tournament" => registering(h).await,
        "http_join" | "http_register" => {
            registering(h).await?;
            registering_swiss(h).await?;
            knockout(h).await
        }
        "http_unregister" => {
            registering(h).await?;
            knockout(h).await?;
            swiss(h).await
        }
        "http_tournament_result" => {
            knockout(h).await?;
            swiss(h).await?;
            for id in ["ko", "sw"] {
                let games = ready_games(h, id).await?;
                h.note(id, games);
            }
            Ok(())
        }
        "http_create_draft" | "http_draft_pick" | "http_draft_trade" | "http_draft_queue" => {
            drafts(h).await
        }
        "http_request" => {
            registering(h).await?;
            knockout(h).await?;
            swiss(h).await?;
            drafts(h).await
        }
        "http_sequence" => {
            knockout(h).await?;
            swiss(h).await
        }
        _ => Ok(()),
    }
}

/// Sends `data` as `h`'s target says, then, when the store changed, what follows.
async fn input(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    match h.target {
        "http_create_event" => create_event_on(h, data).await?,
        "http_update_event" => {
            let uri = format!("/v1/events/{EVENT}");
            h.director_input(Method::PATCH, &uri, data).await?;
        }
        "http_create_division" => create_division_on(h, data).await?,
        "http_update_division" => {
            for id in ["open", "done"] {
                h.director_input(Method::PATCH, &division_uri(id), data)
                    .await?;
            }
        }
        "http_participants" => {
            for (id, content_type) in [("json", JSON), ("csv", CSV), ("shut", JSON)] {
                let uri = format!("{}/participants", division_uri(id));
                h.input(Call {
                    token: Some(&h.director),
                    content_type: Some(content_type),
                    body: data,
                    ..Call::new(Method::POST, &uri)
                })
                .await?;
            }
        }
        "http_preview" => {
            for id in ["ready", "bare", "live"] {
                let uri = format!("{}/preview-bracket", division_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
            }
        }
        "http_division_result" => {
            for id in ["ko", "rr"] {
                for m in h.noted(id) {
                    let uri = format!("{}/matches/{m}/result", division_uri(id));
                    h.director_input(Method::POST, &uri, data).await?;
                }
            }
        }
        "http_edit" => {
            for id in ["draw", "live"] {
                let uri = format!("{}/edits", division_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
            }
        }
        "http_move_tag" => {
            for (id, tag) in [
                ("draw", "current"),
                ("draw", "published"),
                ("draw", "fuzz"),
                ("live", "current"),
            ] {
                let uri = format!("{}/tags/{tag}", division_uri(id));
                h.director_input(Method::PUT, &uri, data).await?;
            }
        }
        "http_create_tournament" => create_tournament_on(h, data).await?,
        "http_join" => {
            for id in ["reg", "sreg", "ko"] {
                let uri = format!("{}/join", tournament_uri(id));
                h.input(Call::json(Method::POST, &uri, &h.players[2], data))
                    .await?;
            }
        }
        "http_register" => {
            for id in ["reg", "sreg", "ko"] {
                let uri = format!("{}/register", tournament_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
            }
        }
        "http_unregister" => {
            for id in ["reg", "ko", "sw"] {
                let uri = format!("{}/unregister", tournament_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
            }
        }
        "http_tournament_result" => {
            for (id, player) in [("ko", 0), ("sw", 1)] {
                let base = tournament_uri(id);
                let games = h.noted(id);
                if let Some(game) = games.first() {
                    let uri = format!("{base}/matches/{game}/result");
                    h.director_input(Method::POST, &uri, data).await?;
                }
                for game in &games {
                    let uri = format!("{base}/matches/{game}/result");
                    h.input(Call::json(Method::POST, &uri, &h.players[player], data))
                        .await?;
                }
            }
        }
        "http_create_draft" => create_draft_on(h, data).await?,
        "http_draft_pick" => {
            for id in DRAFTS {
                let uri = format!("{}/picks", draft_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
                for token in &h.players[..2] {
                    h.input(Call::json(Method::POST, &uri, token, data)).await?;
                }
            }
        }
        "http_draft_trade" => {
            for id in DRAFTS {
                let uri = format!("{}/trade", draft_uri(id));
                h.director_input(Method::POST, &uri, data).await?;
            }
        }
        "http_draft_queue" => {
            for id in DRAFTS {
                let base = draft_uri(id);
                let uri = format!("{base}/teams/0/queue");
                h.input(Call::json(Method::PUT, &uri, &h.players[0], data))
                    .await?;
                for team in [1, 2] {
                    let uri = format!("{base}/teams/{team}/queue");
                    h.director_input(Method::PUT, &uri, data).await?;
                }
            }
        }
        "http_request" => request_on(h, data).await?,
        _ => sequence_on(h, data).await?,
    }
    // A sequence checks each of its calls as it goes.
    if h.changed() && h.target != "http_sequence" {
        after(h).await?;
    }
    Ok(())
}

/// What follows an input that changed the store: the calls that use what it changed, and
/// every read of the fixture's aggregates. Run once on the fixture itself when it is built.
async fn after(h: &Harness) -> Result<(), Failure> {
    match h.target {
        "http_create_event" | "http_create_division" => {
            h.read(&format!("/v1/events/{EVENT}")).await.map(drop)
        }
        "http_update_event" => {
            let uri = format!("/v1/events/{EVENT}");
            h.read(&uri).await?;
            h.read(&format!("{uri}/divisions")).await.map(drop)
        }
        "http_update_division" => {
            let base = division_uri("open");
            h.director(Method::POST, &format!("{base}/preview-bracket"), b"{}")
                .await?;
            h.director(Method::POST, &format!("{base}/generate"), b"null")
                .await?;
            division_reads(h, "open").await?;
            division_reads(h, "done").await
        }
        "http_participants" => {
            for id in ["json", "csv"] {
                let base = division_uri(id);
                h.director(Method::POST, &format!("{base}/preview-bracket"), b"{}")
                    .await?;
                h.director(Method::POST, &format!("{base}/generate"), b"null")
                    .await?;
                division_reads(h, id).await?;
            }
            division_reads(h, "shut").await
        }
        "http_preview" => {
            for id in ["ready", "bare", "live"] {
                division_reads(h, id).await?;
            }
            Ok(())
        }
        "http_division_result" => {
            division_reads(h, "ko").await?;
            division_reads(h, "rr").await
        }
        "http_edit" => {
            let base = division_uri("draw");
            h.director(Method::POST, &format!("{base}/generate"), b"null")
                .await?;
            h.director(Method::POST, &format!("{base}/tags/undo"), b"null")
                .await?;
            division_reads(h, "draw").await?;
            division_reads(h, "live").await
        }
        "http_move_tag" => {
            let base = division_uri("draw");
            for action in ["undo", "redo"] {
                h.director(Method::POST, &format!("{base}/tags/{action}"), b"null")
                    .await?;
            }
            h.look(&format!("{base}/bracket?tag=fuzz")).await?;
            division_reads(h, "draw").await?;
            division_reads(h, "live").await
        }
        "http_create_tournament" => tournament_reads(h, "reg").await,
        "http_join" | "http_register" => start_and_play(h).await,
        "http_unregister" => {
            tournament_reads(h, "reg").await?;
            play_on(h, "ko", 2).await?;
            play_on(h, "sw", 2).await
        }
        "http_tournament_result" => {
            play_on(h, "ko", 3).await?;
            play_on(h, "sw", 3).await
        }
        "http_create_draft" => draft_reads(h, DRAFTS[1]).await,
        "http_draft_pick" | "http_draft_queue" => {
            draft_on(h, DRAFTS[1], 4).await?;
            draft_reads(h, DRAFTS[0]).await?;
            draft_reads(h, DRAFTS[2]).await
        }
        "http_draft_trade" => {
            draft_on(h, DRAFTS[0], 0).await?;
            draft_on(h, DRAFTS[1], 4).await?;
            draft_reads(h, DRAFTS[2]).await
        }
        "http_request" => match h.changed_aggregates() {
            Some(changed) => changed_reads(h, &changed).await,
            None => {
                h.read(&format!("/v1/events/{EVENT}")).await?;
                for id in ["draw", "live", "pool"] {
                    division_reads(h, id).await?;
                }
                for id in ["reg", "ko", "sw"] {
                    tournament_reads(h, id).await?;
                }
                for id in DRAFTS {
                    draft_reads(h, id).await?;
                }
                Ok(())
            }
        },
        _ => {
            for arena in ARENAS {
                arena_state(h, arena).await?;
            }
            Ok(())
        }
    }
}

/// The reads of every aggregate in `changed` that still exists (one the input deleted has
/// none).
async fn changed_reads(h: &Harness, changed: &[AggregateRef]) -> Result<(), Failure> {
    let store_failure = |e| h.store_failure(e);
    for aggregate in changed {
        match aggregate {
            AggregateRef::Competition(id) => {
                if h.store
                    .competition(id)
                    .await
                    .map_err(store_failure)?
                    .is_some()
                {
                    let base = format!("/v1/events/{}", path_segment(id.as_str()));
                    h.read(&base).await?;
                    h.read(&format!("{base}/divisions")).await?;
                }
            }
            AggregateRef::Division(id) => {
                if let Some(division) = h.store.division(id).await.map_err(store_failure)? {
                    let event = path_segment(division.value.competition.as_str());
                    division_reads_in(h, &event, &path_segment(id.as_str())).await?;
                }
            }
            AggregateRef::Tournament(id) => {
                if h.store
                    .tournament(id)
                    .await
                    .map_err(store_failure)?
                    .is_some()
                {
                    tournament_reads(h, &path_segment(id.as_str())).await?;
                }
            }
            AggregateRef::Draft(id) => {
                if h.store.draft(id).await.map_err(store_failure)?.is_some() {
                    draft_reads(h, &path_segment(id.as_str())).await?;
                }
            }
            other => {
                return Err(setup_failure(
                    h.target,
                    format!("no reads known for {other}"),
                ))
            }
        }
    }
    Ok(())
}

/// `POST /v1/events` (`CreateEvent`); an event made is readable and takes a division.
async fn create_event_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let answer = h.director_input(Method::POST, "/v1/events", data).await?;
    if answer.ok() {
        if let Some(id) = answer.json["id"].as_str() {
            let base = format!("/v1/events/{}", path_segment(id));
            h.read(&base).await?;
            h.read(&format!("{base}/divisions")).await?;
        }
    }
    Ok(())
}

/// `POST /v1/events/{id}/divisions` (`CreateDivision`); a division made takes participants,
/// generates (or refuses to) with its rules, previews and locks.
async fn create_division_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let answer = h
        .director_input(Method::POST, &format!("/v1/events/{EVENT}/divisions"), data)
        .await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return Ok(());
    };
    let base = division_uri(&path_segment(id));
    let people = entrants("p", 6).to_string();
    h.director(
        Method::POST,
        &format!("{base}/participants"),
        people.as_bytes(),
    )
    .await?;
    h.director(Method::POST, &format!("{base}/preview-bracket"), b"{}")
        .await?;
    h.director(Method::POST, &format!("{base}/generate"), b"null")
        .await?;
    h.director(Method::POST, &format!("{base}/lock-bracket"), b"null")
        .await?;
    division_reads(h, &path_segment(id)).await
}

/// `POST /v1/tournaments` (`CreateTournament`); a tournament made is published, takes four
/// entries, starts (or refuses to) and is played for two rounds.
async fn create_tournament_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let answer = h
        .director_input(Method::POST, "/v1/tournaments", data)
        .await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return Ok(());
    };
    let id = path_segment(id);
    let base = tournament_uri(&id);
    h.director(Method::POST, &format!("{base}/publish"), b"null")
        .await?;
    if let Value::Array(entries) = entrants("e", 4) {
        for entry in entries {
            let body = entry.to_string();
            h.director(Method::POST, &format!("{base}/register"), body.as_bytes())
                .await?;
        }
    }
    h.director(Method::POST, &format!("{base}/start"), b"null")
        .await?;
    play_on(h, &id, 2).await
}

/// Starts `reg` and `sreg` and plays them on; reads `ko`.
async fn start_and_play(h: &Harness) -> Result<(), Failure> {
    for id in ["reg", "sreg"] {
        h.director(
            Method::POST,
            &format!("{}/start", tournament_uri(id)),
            b"null",
        )
        .await?;
        play_on(h, id, 3).await?;
    }
    tournament_reads(h, "ko").await
}

/// `POST /v1/drafts` (`CreateDraft`) next to the fixture's drafts; a draft made takes a
/// queue, starts, takes its first pick, pauses, resumes, trades, undoes and is drafted on.
async fn create_draft_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let answer = h.director_input(Method::POST, "/v1/drafts", data).await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return Ok(());
    };
    let id = path_segment(id);
    let base = draft_uri(&id);
    let first = answer.json["settings"]["pool"][0]["id"].clone();
    let queue = json!({ "players": [first] }).to_string();
    h.director(
        Method::PUT,
        &format!("{base}/teams/0/queue"),
        queue.as_bytes(),
    )
    .await?;
    h.director(Method::POST, &format!("{base}/start"), b"null")
        .await?;
    let pick = json!({"pick": 1, "team": 0, "player": first}).to_string();
    h.director(Method::POST, &format!("{base}/picks"), pick.as_bytes())
        .await?;
    for action in ["pause", "resume"] {
        h.director(Method::POST, &format!("{base}/{action}"), b"null")
            .await?;
    }
    h.director(
        Method::POST,
        &format!("{base}/trade"),
        br#"{"picks": [3, 4]}"#,
    )
    .await?;
    h.director(Method::POST, &format!("{base}/undo"), b"null")
        .await?;
    draft_on(h, &id, 3).await
}

/// Any request, as text: a request line `METHOD TARGET` (path and query), header lines
/// `Name: value` (the director's token is added unless an `Authorization` is given, JSON
/// unless a `Content-Type` is), an empty line, and the body. It is sent to an application
/// holding every fixture above; the reads still answer afterwards. A request line, header
/// or target that no HTTP client could send is skipped.
async fn request_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let Some(parsed) = parse_request(data) else {
        return Ok(());
    };
    let given = |name: HeaderName| parsed.headers.iter().any(|(n, _)| *n == name);
    let call = Call {
        method: parsed.method.clone(),
        uri: &parsed.target,
        token: (!given(AUTHORIZATION)).then_some(h.director.as_str()),
        content_type: (!given(CONTENT_TYPE)).then_some(JSON),
        headers: parsed.headers.clone(),
        body: parsed.body,
        reads_answer: false,
    };
    h.input(call).await.map(drop)
}

// ---------------------------------------------------------------------------------------
// `http_sequence`: calls one after another, two clients at once, and crashes
// ---------------------------------------------------------------------------------------

/// The most calls one sequence input makes.
const SEQUENCE_CALLS: usize = 8;

/// Where a sequence records results: two locked division brackets and two active
/// tournaments (self-reporting: `k1` plays in `ko`, `s1` in `sw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arena {
    DivisionKnockout,
    DivisionPool,
    TournamentKnockout,
    TournamentSwiss,
}

const ARENAS: [Arena; 4] = [
    Arena::DivisionKnockout,
    Arena::DivisionPool,
    Arena::TournamentKnockout,
    Arena::TournamentSwiss,
];

impl Arena {
    fn of(byte: u8) -> Self {
        ARENAS[usize::from(byte) % ARENAS.len()]
    }

    fn base(self) -> String {
        match self {
            Arena::DivisionKnockout => division_uri("ko"),
            Arena::DivisionPool => division_uri("rr"),
            Arena::TournamentKnockout => tournament_uri("ko"),
            Arena::TournamentSwiss => tournament_uri("sw"),
        }
    }

    fn tournament(self) -> bool {
        matches!(self, Arena::TournamentKnockout | Arena::TournamentSwiss)
    }

    /// The owner its events name.
    fn owner(self) -> Option<MatchOwner> {
        Some(match self {
            Arena::DivisionKnockout => MatchOwner::Division(DivisionId::new("ko").ok()?),
            Arena::DivisionPool => MatchOwner::Division(DivisionId::new("rr").ok()?),
            Arena::TournamentKnockout => MatchOwner::Tournament(TournamentId::new("ko").ok()?),
            Arena::TournamentSwiss => MatchOwner::Tournament(TournamentId::new("sw").ok()?),
        })
    }

    /// The entrant with a token who plays here, if any.
    fn player(self) -> Option<usize> {
        match self {
            Arena::TournamentKnockout => Some(0),
            Arena::TournamentSwiss => Some(1),
            _ => None,
        }
    }
}

/// The bytes of a sequence input, read one at a time (zeros past the end).
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }
}

/// A match as the API shows it.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    sides: [Option<String>; 2],
    /// The recorded result (`null` when none).
    result: Value,
}

/// What the event log says of one match: `match.result` events, `match.corrected` events,
/// and the result the last of them recorded.
#[derive(Debug, Clone, Default, PartialEq)]
struct Logged {
    results: usize,
    corrections: usize,
    last: Value,
}

/// What a sequence knows of an arena at one moment: its stored version (what its `ETag`
/// names), every match (every round of a tournament) and what the log says of them.
struct ArenaState {
    version: u64,
    seen: Vec<Seen>,
    log: BTreeMap<String, Logged>,
}

/// `arena` as the store holds it now, checked against its log: the calls of a sequence go
/// through the API, its checks read the aggregates and the log directly.
async fn arena_state(h: &Harness, arena: Arena) -> Result<ArenaState, Failure> {
    let (version, seen) = arena_matches(h, arena).await?;
    let log = logged(h, arena).await?;
    consistent(h, arena, &seen, &log)?;
    Ok(ArenaState { version, seen, log })
}

/// The stored version of `arena` and its matches.
async fn arena_matches(h: &Harness, arena: Arena) -> Result<(u64, Vec<Seen>), Failure> {
    let store_failure = |e| h.store_failure(e);
    let result = |r: Option<&athlos_core::bracket::MatchResult>| {
        r.and_then(|r| serde_json::to_value(r).ok())
            .unwrap_or(Value::Null)
    };
    let side = |p: Option<&athlos_core::model::ParticipantId>| p.map(ToString::to_string);
    let from_bracket = |bracket: &athlos_core::bracket::Bracket| -> Vec<Seen> {
        bracket
            .matches()
            .iter()
            .map(|m| Seen {
                id: m.id.to_string(),
                sides: [side(m.participant(0)), side(m.participant(1))],
                result: result(m.result.as_ref()),
            })
            .collect()
    };
    let missing = || setup_failure(h.target, format!("{arena:?} is gone"));
    let (version, seen) = match arena.owner().ok_or_else(missing)? {
        MatchOwner::Division(id) => {
            let division = h
                .store
                .division(&id)
                .await
                .map_err(store_failure)?
                .ok_or_else(missing)?;
            let seen = division.value.bracket.as_ref().map(from_bracket);
            (division.version, seen)
        }
        MatchOwner::Tournament(id) => {
            let stored = h
                .store
                .tournament(&id)
                .await
                .map_err(store_failure)?
                .ok_or_else(missing)?;
            let t = &stored.value;
            let seen = match &t.play {
                Some(Play::Swiss(play)) => Some(
                    (1..=t.round)
                        .filter_map(|r| play.round(r))
                        .flat_map(|round| &round.games)
                        .map(|g| {
                            let [white, black] = g.sides();
                            Seen {
                                id: g.id.to_string(),
                                sides: [side(white.as_ref()), side(black.as_ref())],
                                result: result(g.result.as_ref()),
                            }
                        })
                        .collect(),
                ),
                Some(Play::Bracket(bracket)) => Some(from_bracket(bracket)),
                None => None,
            };
            (stored.version, seen)
        }
        _ => return Err(missing()),
    };
    Ok((version, seen.unwrap_or_default()))
}

/// What the log says of every match of `arena`.
async fn logged(h: &Harness, arena: Arena) -> Result<BTreeMap<String, Logged>, Failure> {
    let events = h
        .store
        .events_after(h.fixture_sequence.get(), usize::MAX)
        .await
        .map_err(|e| setup_failure(h.target, format!("event log: {e}")))?;
    let owner = arena.owner();
    let mut out: BTreeMap<String, Logged> = BTreeMap::new();
    for logged in &events {
        let (of, id, result, correction) = match &logged.event.data {
            EventData::MatchResult {
                owner,
                match_id,
                result,
                ..
            } => (owner, match_id, result, false),
            EventData::MatchCorrected {
                owner,
                match_id,
                result,
                ..
            } => (owner, match_id, result, true),
            _ => continue,
        };
        if Some(of) != owner.as_ref() {
            continue;
        }
        let entry = out.entry(id.to_string()).or_default();
        if correction {
            entry.corrections += 1;
        } else {
            entry.results += 1;
        }
        entry.last = serde_json::to_value(result).unwrap_or(Value::Null);
    }
    Ok(out)
}

fn sequence_failure(h: &Harness, what: &str, detail: String) -> Failure {
    Failure {
        target: h.target,
        request: what.to_owned(),
        status: 0,
        response: String::new(),
        reason: detail,
    }
}

/// The state agrees with the log: a match logged has at most one `match.result`, and shows
/// the result its last event recorded.
fn consistent(
    h: &Harness,
    arena: Arena,
    seen: &[Seen],
    logged: &BTreeMap<String, Logged>,
) -> Result<(), Failure> {
    for m in seen {
        let Some(log) = logged.get(&m.id) else {
            continue;
        };
        if log.results > 1 {
            return Err(sequence_failure(
                h,
                &format!("{arena:?} {}", m.id),
                format!("{} match.result events for one match", log.results),
            ));
        }
        if m.result != log.last {
            return Err(sequence_failure(
                h,
                &format!("{arena:?} {}", m.id),
                format!(
                    "the match shows {} but its last event recorded {}",
                    m.result, log.last
                ),
            ));
        }
    }
    Ok(())
}

/// A result body: a win of either side (with or without a score), a draw, a walkover, or a
/// winner who does not play; with `"correction": true` when asked.
fn result_body(choice: u8, m: &Seen, correction: bool) -> Value {
    let side = |i: usize| m.sides[i].clone().map_or(Value::Null, Value::String);
    let mut body = match choice % 6 {
        0 => json!({"type": "win", "winner": side(0)}),
        1 => json!({"type": "win", "winner": side(1)}),
        2 => json!({"type": "draw"}),
        3 => json!({"type": "walkover", "winner": side(0)}),
        4 => json!({"type": "win", "winner": side(1), "score": [1, 3]}),
        _ => json!({"type": "win", "winner": "nobody"}),
    };
    if correction {
        body["correction"] = Value::Bool(true);
    }
    body
}

/// The result a body records (without its `correction` flag).
fn recorded(body: &Value) -> Value {
    let mut result = body.clone();
    if let Value::Object(map) = &mut result {
        map.remove("correction");
    }
    result
}

/// Which `If-Match` a write carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precondition {
    None,
    Current,
    Stale,
    Garbage,
}

/// One write of a sequence, ready to send.
struct Write {
    uri: String,
    body: Vec<u8>,
    value: Value,
    correction: bool,
    token: String,
    precondition: Precondition,
    if_match: Option<HeaderValue>,
}

impl Write {
    fn call(&self) -> Call<'_> {
        let mut call = Call::json(Method::POST, &self.uri, &self.token, &self.body);
        call.reads_answer = false;
        if let Some(tag) = &self.if_match {
            call.headers.push((IF_MATCH, tag.clone()));
        }
        call
    }
}

/// A write to match `m` of `arena` read from three bytes: the body, the flags (bit 0 a
/// correction, bits 1–2 the `If-Match`, bit 3 sent by the entrant rather than the director).
fn write_of(h: &Harness, arena: Arena, version: u64, m: &Seen, choice: u8, flags: u8) -> Write {
    let correction = flags & 1 != 0;
    let value = result_body(choice, m, correction);
    let precondition = match (flags >> 1) & 3 {
        0 => Precondition::None,
        1 => Precondition::Current,
        2 => Precondition::Stale,
        _ => Precondition::Garbage,
    };
    let if_match = match precondition {
        Precondition::None => None,
        Precondition::Garbage => Some(HeaderValue::from_static("\"fuzz\"")),
        Precondition::Current | Precondition::Stale => {
            let version = if precondition == Precondition::Current {
                version
            } else {
                version.saturating_sub(1)
            };
            HeaderValue::from_str(&format!("\"v{version}\"")).ok()
        }
    };
    let token = match arena.player() {
        Some(player) if flags & 8 != 0 => h.players[player].clone(),
        _ => h.director.clone(),
    };
    Write {
        uri: format!("{}/matches/{}/result", arena.base(), path_segment(&m.id)),
        body: value.to_string().into_bytes(),
        value,
        correction,
        token,
        precondition,
        if_match,
    }
}

/// Picks a match of `arena` with `byte`; `None` when it has none.
fn pick(seen: &[Seen], byte: u8) -> Option<&Seen> {
    (!seen.is_empty()).then(|| &seen[usize::from(byte) % seen.len()])
}

/// Runs the calls a sequence input spells, checking each. Each step starts from what the
/// step before read of its arena, when it was the same arena (nothing runs in between).
async fn sequence_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    let mut reader = Reader { data, at: 0 };
    let mut known: Option<(Arena, ArenaState)> = None;
    for _ in 0..SEQUENCE_CALLS {
        if reader.done() {
            break;
        }
        let op = reader.byte();
        let arena = Arena::of(reader.byte());
        let before = match known.take() {
            Some((of, state)) if of == arena => state,
            _ => arena_state(h, arena).await?,
        };
        // A write, a race or a crash names a match; an advance does not.
        let kind = op % 8;
        let m = if kind < 7 {
            pick(&before.seen, reader.byte())
        } else {
            None
        };
        let after = match (kind, m) {
            (0..=3, Some(m)) => single_write(h, arena, &before, m, &mut reader).await?,
            (4 | 5, Some(m)) => race(h, arena, &before, m, &mut reader).await?,
            (6, Some(m)) => crash(h, arena, &before, m, &mut reader).await?,
            (7, _) if arena.tournament() => {
                let uri = format!("{}/advance", arena.base());
                h.director_input(Method::POST, &uri, b"null").await?;
                arena_state(h, arena).await?
            }
            _ => before,
        };
        known = Some((arena, after));
    }
    Ok(())
}

impl ArenaState {
    /// The result match `id` shows (`null` when none) and what the log says of it.
    fn of(&self, id: &str) -> (Value, Logged) {
        let now = self
            .seen
            .iter()
            .find(|x| x.id == id)
            .map_or(Value::Null, |x| x.result.clone());
        (now, self.log.get(id).cloned().unwrap_or_default())
    }
}

/// One write, checked against the match before and after it and against the log.
async fn single_write(
    h: &Harness,
    arena: Arena,
    before: &ArenaState,
    m: &Seen,
    reader: &mut Reader<'_>,
) -> Result<ArenaState, Failure> {
    let (choice, flags) = (reader.byte(), reader.byte());
    let write = write_of(h, arena, before.version, m, choice, flags);
    let answer = h.input(write.call()).await?;
    let after = arena_state(h, arena).await?;
    let (now, is) = after.of(&m.id);
    let was = before.log.get(&m.id).cloned().unwrap_or_default();
    let wanted = recorded(&write.value);
    let fail = |reason: String| {
        Err(h.failure(
            &write.call(),
            answer.status,
            answer.json.to_string().as_bytes(),
            reason,
        ))
    };
    let guarded = matches!(
        write.precondition,
        Precondition::Stale | Precondition::Garbage
    );
    if answer.status == 200 {
        let tag = format!("\"v{}\"", after.version);
        if answer.etag.as_deref() != Some(tag.as_str()) {
            return fail(format!(
                "the answer's ETag {:?} is not the stored version {tag}",
                answer.etag
            ));
        }
    }
    match answer.status {
        200 if guarded => fail("a write whose If-Match does not match was accepted".to_owned()),
        200 if m.result == wanted => {
            if now != m.result || is != was {
                return fail("the same result again changed the match or its log".to_owned());
            }
            Ok(after)
        }
        200 if m.result.is_null() => {
            if now != wanted || is.results != was.results + 1 || is.corrections != was.corrections {
                return fail(format!(
                    "a first result was not recorded once: the match shows {now}, log {is:?}"
                ));
            }
            Ok(after)
        }
        200 => {
            if !write.correction {
                return fail(format!("{} was overwritten without a correction", m.result));
            }
            if now != wanted || is.corrections != was.corrections + 1 || is.results != was.results {
                return fail(format!(
                    "a correction was not recorded once: the match shows {now}, log {is:?}"
                ));
            }
            Ok(after)
        }
        409 if answer.json["code"] == "result_exists" => {
            if m.result.is_null() || m.result == wanted || answer.json["recorded"] != m.result {
                return fail(format!(
                    "result_exists for a match that showed {} before",
                    m.result
                ));
            }
            Ok(after)
        }
        412 if !guarded => fail("the current If-Match was refused".to_owned()),
        _ => Ok(after),
    }
}

/// Two clients send a write to one match at once.
async fn race(
    h: &Harness,
    arena: Arena,
    before: &ArenaState,
    m: &Seen,
    reader: &mut Reader<'_>,
) -> Result<ArenaState, Failure> {
    let (a, b, flags) = (reader.byte(), reader.byte(), reader.byte());
    // Neither carries an If-Match: the service alone must keep them apart.
    let first = write_of(h, arena, before.version, m, a, flags & 1);
    let second = write_of(h, arena, before.version, m, b, (flags >> 1) & 1);
    let snapshot = h.memory.as_ref().map(|memory| memory.snapshot());
    let (x, y) = tokio::join!(h.send(first.call()), h.send(second.call()));
    let answers = [x?, y?];
    let writes = [&first, &second];
    let after = arena_state(h, arena).await?;
    let (now, is) = after.of(&m.id);
    let was = before.log.get(&m.id).cloned().unwrap_or_default();
    let what = format!(
        "{arena:?} {}: race of {} and {}",
        m.id, first.value, second.value
    );
    let fail = |reason: String| {
        Err(sequence_failure(
            h,
            &what,
            format!(
                "{reason} (answers {} {} and {} {})",
                answers[0].status, answers[0].json, answers[1].status, answers[1].json
            ),
        ))
    };
    let accepted: Vec<Value> = (0..2)
        .filter(|&i| answers[i].status == 200)
        .map(|i| recorded(&writes[i].value))
        .collect();
    let plain: Vec<Value> = (0..2)
        .filter(|&i| answers[i].status == 200 && !writes[i].correction)
        .map(|i| recorded(&writes[i].value))
        .collect();
    if plain.len() == 2 && plain[0] != plain[1] {
        return fail("two different results were both accepted".to_owned());
    }
    if !m.result.is_null() && plain.iter().any(|p| *p != m.result) && accepted.len() == plain.len()
    {
        return fail(format!("{} was overwritten without a correction", m.result));
    }
    if now != m.result && !accepted.contains(&now) {
        return fail(format!("the match shows {now}, which nobody had accepted"));
    }
    if is.results > 1 || (m.result.is_null() && !now.is_null() && is.results != was.results + 1) {
        return fail(format!("the result was not logged once: {is:?}"));
    }
    let corrections = writes
        .iter()
        .zip(&answers)
        .filter(|(w, a)| w.correction && a.status == 200)
        .count();
    if is.corrections > was.corrections + corrections {
        return fail(format!("more corrections logged than accepted: {is:?}"));
    }
    for (i, answer) in answers.iter().enumerate() {
        if answer.status == 409
            && answer.json["code"] == "result_exists"
            && answer.json["recorded"] != m.result
            && !accepted.contains(&answer.json["recorded"])
        {
            return fail(format!(
                "result_exists for write {i} names a result nobody recorded"
            ));
        }
    }
    if let (Some(memory), Some(snapshot)) = (&h.memory, &snapshot) {
        if accepted.is_empty() && !memory.holds(snapshot) {
            return fail("both writes were refused yet the store changed".to_owned());
        }
    }
    if !accepted.is_empty() {
        h.changed.set(true);
    }
    Ok(after)
}

/// A write the server dies in the middle of (after `polls` steps of its request), then a
/// server started again over the same store: the match holds either the write or what it
/// held before, and agrees with the log.
async fn crash(
    h: &Harness,
    arena: Arena,
    before: &ArenaState,
    m: &Seen,
    reader: &mut Reader<'_>,
) -> Result<ArenaState, Failure> {
    let (choice, flags, polls) = (reader.byte(), reader.byte(), reader.byte() % 6);
    let write = write_of(h, arena, before.version, m, choice, flags & 1);
    {
        let mut request = std::pin::pin!(h.send(write.call()));
        let mut context = Context::from_waker(Waker::noop());
        for _ in 0..polls {
            if let Poll::Ready(answer) = request.as_mut().poll(&mut context) {
                answer?;
                break;
            }
        }
    }
    h.restart();
    h.changed.set(true);
    let after = arena_state(h, arena).await?;
    let (now, _) = after.of(&m.id);
    if now != m.result && now != recorded(&write.value) {
        return Err(sequence_failure(
            h,
            &format!("{arena:?} {}: crash during {}", m.id, write.value),
            format!("after the restart the match shows {now}, neither before nor the write"),
        ));
    }
    Ok(after)
}

/// A request read from fuzz bytes.
struct Parsed<'a> {
    method: Method,
    target: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: &'a [u8],
}

fn parse_request(data: &[u8]) -> Option<Parsed<'_>> {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let (method, target) = lines.next()?.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    // What an HTTP client can put on a request line: an origin-form target.
    let uri: axum::http::Uri = target.parse().ok()?;
    if uri.scheme().is_some() || !target.starts_with('/') {
        return None;
    }
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        headers.push((
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        ));
    }
    Some(Parsed {
        method,
        target: target.to_owned(),
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `id` as one path segment (percent-encoded where a path needs it).
fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
