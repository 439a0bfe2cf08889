//! Fuzz targets for the inputs of the v1 HTTP API (feature `fuzz`).
//!
//! Each target takes arbitrary bytes and sends them, as a real client would, through the
//! whole application ([`crate::server::app`]: routing, the token check, the body limit, the
//! JSON or CSV decoding, the validation and the service call) in process, with
//! `tower::ServiceExt::oneshot` on a current-thread runtime, against a fresh in-memory store
//! prepared with the events, divisions, tournaments and drafts the route needs. It returns the
//! [`Failure`] it found, if any:
//!
//! - any answer of status 500 or above (bad input must be refused with a 4xx);
//! - an error answer without the API's error shape (`{"error": "...", "code": "..."}`);
//! - a JSON answer that is not JSON;
//! - a read that stops answering 200 after the input was accepted (an accepted body that
//!   leaves an aggregate nobody can read back);
//! - a step of the fixture refused (the harness no longer matches the API).
//!
//! A panic inside a handler is a finding too: the server's panic layer turns it into a 500,
//! and under cargo-fuzz the panic itself aborts the run.
//!
//! The cargo-fuzz binaries in `fuzz/` call [`TARGETS`]; `tests/fuzz_smoke.rs` replays them over
//! the seed corpus in `fuzz/seeds/<target>/` and over generated inputs on every test run.
//! There is one target per request input type, plus `http_request`, whose input is a whole
//! request (request line with path and query, headers, body) against every fixture at once.

use std::cell::RefCell;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::server::auth::{mint, Claims};
use crate::server::{self, Config};

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
];

/// The in-memory store, the fastest: what the body targets run on.
pub const MEMORY: &str = "memory://";

/// SQLite in memory, the store `athlos serve` runs on by default: what `http_request` runs
/// on, so that path ids, paging and queries reach SQL.
pub const SQLITE: &str = "sqlite::memory:";

/// Runs target `name` on `data` against a fresh store opened from `store_url` (`memory://`,
/// `sqlite::memory:`, …).
///
/// # Errors
/// The [`Failure`] found; an unknown target name or a store that cannot be opened is one too.
pub fn run_on(store_url: &str, name: &str, data: &[u8]) -> Result<(), Failure> {
    trace_on(store_url, name, data).map(drop)
}

/// Like [`run_on`], and answers every request sent (fixtures, the input, the reads after)
/// as `METHOD URI` with its status, in order: what a test needs to see that an input
/// reached the handler it aims at.
///
/// # Errors
/// The [`Failure`] found.
pub fn trace_on(store_url: &str, name: &str, data: &[u8]) -> Result<Vec<(String, u16)>, Failure> {
    let Some(&(target, _)) = TARGETS.iter().find(|(n, _)| *n == name) else {
        return Err(setup_failure("http", format!("no fuzz target {name:?}")));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| setup_failure(target, format!("no runtime: {e}")))?;
    runtime.block_on(async {
        let harness = Harness::open(target, store_url).await?;
        let h = &harness;
        match target {
            "http_create_event" => create_event_on(h, data).await,
            "http_update_event" => update_event_on(h, data).await,
            "http_create_division" => create_division_on(h, data).await,
            "http_update_division" => update_division_on(h, data).await,
            "http_participants" => participants_on(h, data).await,
            "http_preview" => preview_on(h, data).await,
            "http_division_result" => division_result_on(h, data).await,
            "http_edit" => edit_on(h, data).await,
            "http_move_tag" => move_tag_on(h, data).await,
            "http_create_tournament" => create_tournament_on(h, data).await,
            "http_join" => join_on(h, data).await,
            "http_register" => register_on(h, data).await,
            "http_unregister" => unregister_on(h, data).await,
            "http_tournament_result" => tournament_result_on(h, data).await,
            "http_create_draft" => create_draft_on(h, data).await,
            "http_draft_pick" => draft_pick_on(h, data).await,
            "http_draft_trade" => draft_trade_on(h, data).await,
            "http_draft_queue" => draft_queue_on(h, data).await,
            _ => request_on(h, data).await,
        }?;
        Ok(harness.log.take())
    })
}

macro_rules! targets {
    ($($name:ident => $target:literal),+ $(,)?) => {
        $(
            #[doc = concat!("Target `", $target, "` on the in-memory store (see the module docs).")]
            ///
            /// # Errors
            /// The [`Failure`] found.
            pub fn $name(data: &[u8]) -> Result<(), Failure> {
                run_on(MEMORY, $target, data)
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
);

/// Target `http_request` on SQLite in memory (see the module docs).
///
/// # Errors
/// The [`Failure`] found.
pub fn request(data: &[u8]) -> Result<(), Failure> {
    run_on(SQLITE, "http_request", data)
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
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One request to send.
struct Call<'a> {
    method: Method,
    uri: &'a str,
    token: Option<&'a str>,
    content_type: Option<&'a str>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: &'a [u8],
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
}

/// The application over a fresh store, with tokens for the director and the players.
struct Harness {
    target: &'static str,
    app: Router,
    director: String,
    players: Vec<String>,
    log: RefCell<Vec<(String, u16)>>,
}

impl Harness {
    async fn open(target: &'static str, store_url: &str) -> Result<Self, Failure> {
        let opened = server::open_store(store_url)
            .await
            .map_err(|e| setup_failure(target, format!("store {store_url}: {e}")))?;
        let config = Config {
            workers: 0,
            jwt_secret: SECRET.to_owned(),
            ..Config::default()
        };
        let app = server::app(opened.into_state(config));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let token = |sub: &str| {
            mint(
                &Claims {
                    sub: sub.to_owned(),
                    role: "director".to_owned(),
                    exp: now + 24 * 3600,
                    iat: now,
                },
                SECRET.as_bytes(),
            )
            .map_err(|e| setup_failure(target, format!("token: {e}")))
        };
        Ok(Self {
            target,
            app,
            director: token(DIRECTOR)?,
            players: PLAYERS.iter().map(|p| token(p)).collect::<Result<_, _>>()?,
            log: RefCell::new(Vec::new()),
        })
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
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| self.failure(&call, 0, b"", format!("no answer: {e}")))?;
        let status = response.status().as_u16();
        self.log
            .borrow_mut()
            .push((format!("{} {}", call.method, call.uri), status));
        let json_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(JSON));
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
        let json = if json_type && !head {
            serde_json::from_slice(&bytes).map_err(|e| {
                self.failure(
                    &call,
                    status,
                    &bytes,
                    format!("JSON answer is not JSON: {e}"),
                )
            })?
        } else {
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
        Ok(Answer { status, json })
    }

    /// Sends JSON `body` as the director.
    async fn director(&self, method: Method, uri: &str, body: &[u8]) -> Result<Answer, Failure> {
        self.send(Call::json(method, uri, &self.director, body))
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
    let base = division_uri(id);
    h.read(&base).await?;
    h.read(&format!("/v1/events/{EVENT}/divisions")).await?;
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
// The targets
// ---------------------------------------------------------------------------------------

/// `POST /v1/events` (`CreateEvent`); an event made is readable and takes a division.
async fn create_event_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let answer = h.director(Method::POST, "/v1/events", data).await?;
    if answer.ok() {
        if let Some(id) = answer.json["id"].as_str() {
            let base = format!("/v1/events/{}", path_segment(id));
            h.read(&base).await?;
            h.read(&format!("{base}/divisions")).await?;
        }
    }
    h.read(&format!("/v1/events/{EVENT}")).await.map(drop)
}

/// `PATCH /v1/events/{id}` (`UpdateEvent`).
async fn update_event_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let uri = format!("/v1/events/{EVENT}");
    h.director(Method::PATCH, &uri, data).await?;
    h.read(&uri).await?;
    h.read(&format!("{uri}/divisions")).await.map(drop)
}

/// `POST /v1/events/{id}/divisions` (`CreateDivision`); a division made takes participants,
/// generates (or refuses to) with its rules, previews and locks.
async fn create_division_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let answer = h
        .director(Method::POST, &format!("/v1/events/{EVENT}/divisions"), data)
        .await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return h.read(&format!("/v1/events/{EVENT}")).await.map(drop);
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
    division_reads(h, &path_segment(id)).await?;
    h.read(&format!("/v1/events/{EVENT}")).await.map(drop)
}

/// `PATCH /v1/events/{id}/divisions/{id}` (`UpdateDivision`) on a division with entries and
/// no bracket (then generated with the new rules) and on a locked one (refused).
async fn update_division_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let rules = json!({"format": "single_elimination"});
    division(h, "open", rules.clone(), 6, Stage::Entered).await?;
    division(h, "done", rules, 4, Stage::Locked).await?;
    for id in ["open", "done"] {
        h.director(Method::PATCH, &division_uri(id), data).await?;
    }
    let base = division_uri("open");
    h.director(Method::POST, &format!("{base}/preview-bracket"), b"{}")
        .await?;
    h.director(Method::POST, &format!("{base}/generate"), b"null")
        .await?;
    division_reads(h, "open").await?;
    division_reads(h, "done").await
}

/// `POST …/participants` as JSON and as CSV (`text/csv`), then a generation with them.
async fn participants_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let rules = json!({"format": "auto"});
    division(h, "json", rules.clone(), 2, Stage::Entered).await?;
    division(h, "csv", rules.clone(), 2, Stage::Entered).await?;
    division(h, "shut", rules, 2, Stage::Locked).await?;
    for (id, content_type) in [("json", JSON), ("csv", CSV), ("shut", JSON)] {
        let uri = format!("{}/participants", division_uri(id));
        h.send(Call {
            token: Some(&h.director),
            content_type: Some(content_type),
            body: data,
            ..Call::new(Method::POST, &uri)
        })
        .await?;
    }
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

/// `POST …/preview-bracket` (`PreviewRequest`) on a ready bracket, on a division without one
/// and on a locked one.
async fn preview_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let rules = json!({"format": "single_elimination", "max_seeds": 4});
    division(h, "ready", rules.clone(), 11, Stage::Generated).await?;
    division(
        h,
        "bare",
        json!({"format": "round_robin"}),
        5,
        Stage::Entered,
    )
    .await?;
    division(h, "live", rules, 6, Stage::Locked).await?;
    for id in ["ready", "bare", "live"] {
        h.director(
            Method::POST,
            &format!("{}/preview-bracket", division_uri(id)),
            data,
        )
        .await?;
        division_reads(h, id).await?;
    }
    Ok(())
}

/// `POST …/matches/{id}/result` (`MatchResult`) of a division: a ready match of a locked
/// single elimination and of a locked round robin, and a match id the bracket lacks.
async fn division_result_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    division(
        h,
        "ko",
        json!({"format": "single_elimination"}),
        6,
        Stage::Locked,
    )
    .await?;
    division(h, "rr", json!({"format": "round_robin"}), 4, Stage::Locked).await?;
    for id in ["ko", "rr"] {
        let mut matches = ready_matches(h, id).await?;
        matches.truncate(1);
        matches.push("KO-R9-M9".to_owned());
        for m in matches {
            h.director(
                Method::POST,
                &format!("{}/matches/{m}/result", division_uri(id)),
                data,
            )
            .await?;
        }
        division_reads(h, id).await?;
    }
    Ok(())
}

/// `POST …/edits` (`Patch`) on a ready bracket (with byes, so moves have room) and a locked
/// one; then the versions, tags and a regeneration.
async fn edit_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let rules = json!({"format": "single_elimination"});
    division(h, "draw", rules.clone(), 6, Stage::Generated).await?;
    division(h, "live", rules, 4, Stage::Locked).await?;
    for id in ["draw", "live"] {
        h.director(Method::POST, &format!("{}/edits", division_uri(id)), data)
            .await?;
    }
    let base = division_uri("draw");
    h.director(Method::POST, &format!("{base}/generate"), b"null")
        .await?;
    h.director(Method::POST, &format!("{base}/tags/undo"), b"null")
        .await?;
    division_reads(h, "draw").await?;
    division_reads(h, "live").await
}

/// `PUT …/tags/{tag}` (`MoveTag`) on a division with two versions (tags `current`, `published`
/// and a new one) and on a locked one; then undo and redo.
async fn move_tag_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    event(h).await?;
    let rules = json!({"format": "single_elimination"});
    division(h, "draw", rules.clone(), 5, Stage::Generated).await?;
    let base = division_uri("draw");
    h.step(
        Method::POST,
        &format!("{base}/edits"),
        &json!({"type": "swap", "a": "draw1", "b": "draw2"}),
        200,
    )
    .await?;
    division(h, "live", rules, 4, Stage::Locked).await?;
    for (id, tag) in [
        ("draw", "current"),
        ("draw", "published"),
        ("draw", "fuzz"),
        ("live", "current"),
    ] {
        h.director(
            Method::PUT,
            &format!("{}/tags/{tag}", division_uri(id)),
            data,
        )
        .await?;
    }
    for action in ["undo", "redo"] {
        h.director(Method::POST, &format!("{base}/tags/{action}"), b"null")
            .await?;
    }
    h.look(&format!("{base}/bracket?tag=fuzz")).await?;
    division_reads(h, "draw").await?;
    division_reads(h, "live").await
}

/// `POST /v1/tournaments` (`CreateTournament`); a tournament made is published, takes four
/// entries, starts (or refuses to) and is played for two rounds.
async fn create_tournament_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    registering(h).await?;
    let answer = h.director(Method::POST, "/v1/tournaments", data).await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return tournament_reads(h, "reg").await;
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

/// `POST /v1/tournaments/{id}/join` (`JoinRequest`) by a newcomer: to a registering
/// knockout and Swiss (then started, played and exported) and an active one (refused).
async fn join_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    registering(h).await?;
    registering_swiss(h).await?;
    knockout(h).await?;
    for id in ["reg", "sreg", "ko"] {
        h.send(Call::json(
            Method::POST,
            &format!("{}/join", tournament_uri(id)),
            &h.players[2],
            data,
        ))
        .await?;
    }
    start_and_play(h).await
}

/// `POST /v1/tournaments/{id}/register` (`Participant`) by the director: to a registering
/// knockout and Swiss (then started, played and exported) and an active one (refused).
async fn register_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    registering(h).await?;
    registering_swiss(h).await?;
    knockout(h).await?;
    for id in ["reg", "sreg", "ko"] {
        h.director(
            Method::POST,
            &format!("{}/register", tournament_uri(id)),
            data,
        )
        .await?;
    }
    start_and_play(h).await
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

/// `POST /v1/tournaments/{id}/unregister` (`EntryRef`): during registration, and in an active
/// knockout and Swiss (walkovers); then play goes on.
async fn unregister_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    registering(h).await?;
    knockout(h).await?;
    swiss(h).await?;
    for id in ["reg", "ko", "sw"] {
        h.director(
            Method::POST,
            &format!("{}/unregister", tournament_uri(id)),
            data,
        )
        .await?;
    }
    tournament_reads(h, "reg").await?;
    play_on(h, "ko", 2).await?;
    play_on(h, "sw", 2).await
}

/// `POST /v1/tournaments/{id}/matches/{id}/result` (`MatchResult`): by the director to a
/// ready game of an active knockout and Swiss, and by an entrant (self-reporting) to its
/// own game; then the round closes and play goes on.
async fn tournament_result_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    knockout(h).await?;
    swiss(h).await?;
    for (id, player) in [("ko", 0), ("sw", 1)] {
        let games = ready_games(h, id).await?;
        let base = tournament_uri(id);
        if let Some(game) = games.first() {
            h.director(Method::POST, &format!("{base}/matches/{game}/result"), data)
                .await?;
        }
        for game in &games {
            h.send(Call::json(
                Method::POST,
                &format!("{base}/matches/{game}/result"),
                &h.players[player],
                data,
            ))
            .await?;
        }
        play_on(h, id, 3).await?;
    }
    Ok(())
}

/// `POST /v1/drafts` (`CreateDraft`) next to an existing draft; a draft made takes a queue,
/// starts, takes its first pick, pauses, resumes, trades, undoes and is drafted on.
async fn create_draft_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    drafts(h).await?;
    let answer = h.director(Method::POST, "/v1/drafts", data).await?;
    let Some(id) = answer.json["id"].as_str().filter(|_| answer.ok()) else {
        return draft_reads(h, DRAFTS[1]).await;
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
    draft_on(h, &id, 3).await?;
    draft_reads(h, DRAFTS[1]).await
}

/// `POST /v1/drafts/{id}/picks` (`PickRequest`) by the commissioner and by both managers to a
/// scheduled, a started and a completed draft; then the started one is drafted to the end.
async fn draft_pick_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    drafts(h).await?;
    for id in DRAFTS {
        let uri = format!("{}/picks", draft_uri(id));
        h.director(Method::POST, &uri, data).await?;
        for token in &h.players[..2] {
            h.send(Call::json(Method::POST, &uri, token, data)).await?;
        }
    }
    draft_on(h, DRAFTS[1], 4).await?;
    draft_reads(h, DRAFTS[0]).await?;
    draft_reads(h, DRAFTS[2]).await
}

/// `POST /v1/drafts/{id}/trade` (`TradeRequest`) to a scheduled, a started and a completed
/// draft; then the started one is drafted to the end.
async fn draft_trade_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    drafts(h).await?;
    for id in DRAFTS {
        h.director(Method::POST, &format!("{}/trade", draft_uri(id)), data)
            .await?;
    }
    draft_on(h, DRAFTS[0], 0).await?;
    draft_on(h, DRAFTS[1], 4).await?;
    draft_reads(h, DRAFTS[2]).await
}

/// `PUT /v1/drafts/{id}/teams/{team}/queue` (`QueueRequest`) by a team's manager (team 0), by
/// the commissioner (team 1) and for a team the draft lacks, on a scheduled, a started and a
/// completed draft; then the started one is drafted to the end.
async fn draft_queue_on(h: &Harness, data: &[u8]) -> Result<(), Failure> {
    drafts(h).await?;
    for id in DRAFTS {
        let base = draft_uri(id);
        let uri = format!("{base}/teams/0/queue");
        h.send(Call::json(Method::PUT, &uri, &h.players[0], data))
            .await?;
        for team in [1, 2] {
            h.director(Method::PUT, &format!("{base}/teams/{team}/queue"), data)
                .await?;
        }
    }
    draft_on(h, DRAFTS[1], 4).await?;
    draft_reads(h, DRAFTS[0]).await?;
    draft_reads(h, DRAFTS[2]).await
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
    event(h).await?;
    let rules = json!({"format": "single_elimination"});
    division(h, "draw", rules.clone(), 6, Stage::Generated).await?;
    division(h, "live", rules, 6, Stage::Locked).await?;
    division(
        h,
        "pool",
        json!({"format": "round_robin"}),
        4,
        Stage::Entered,
    )
    .await?;
    registering(h).await?;
    knockout(h).await?;
    swiss(h).await?;
    drafts(h).await?;
    let given = |name: HeaderName| parsed.headers.iter().any(|(n, _)| *n == name);
    let call = Call {
        method: parsed.method.clone(),
        uri: &parsed.target,
        token: (!given(AUTHORIZATION)).then_some(h.director.as_str()),
        content_type: (!given(CONTENT_TYPE)).then_some(JSON),
        headers: parsed.headers.clone(),
        body: parsed.body,
    };
    h.send(call).await?;
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
