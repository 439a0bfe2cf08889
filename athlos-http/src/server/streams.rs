//! Live streams of a tournament's, an event's or a draft's log: Server-Sent Events, or NDJSON.
//!
//! A stream replays the log from the client's position (`Last-Event-ID`, else `?after=`,
//! else the start) and then follows it live. The SSE `id` of each event is its log
//! sequence, and each JSON line carries it as `sequence`, so a client that reconnects with
//! the last one it saw gets exactly what it missed.
//!
//! One tail task per process follows the log ([`LogFollower`]) after every commit (or
//! wake-up) and broadcasts each event, rendered once with its audience (the aggregates it
//! concerns: its own, and for a division its event), to every subscriber; a stream sends the
//! public events whose audience includes what it follows; a subscriber that falls more than the
//! broadcast buffer behind is dropped with a final `stream.dropped` event (it resumes from
//! the log by reconnecting) instead of holding the others back. Gaps between the replay and
//! the broadcast are filled from the log, so nothing committed is ever skipped: when a later
//! event shows the gap, or at the latest when the stream has been idle for a keep-alive
//! interval (an event committed before the tail task started is never broadcast).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use athlos_core::announcement::{Announcement, AnnouncementKind};
use athlos_core::bracket::{MatchId, Placement};
use athlos_core::event::{EventData, Pairing};
use athlos_core::id::{CompetitionId, TournamentId};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::ParticipantId;
use athlos_core::profile::PlatformEvent;
use athlos_core::store::{
    AddressedEvent, AggregateRef, AggregateStore, Audience, EventLog, LogFollower, LoggedEvent,
};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::store::SharedStore;
use super::AppState;
use athlos_core::service::table_of;

/// Events read from the log per query.
const PAGE: usize = 500;

/// Bytes of ready events sent in one write.
const BURST: usize = 64 * 1024;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tournament_stream))
        .routes(routes!(event_stream))
        .routes(routes!(draft_stream))
        .routes(routes!(results))
        .routes(routes!(announcements))
        .routes(routes!(announcement_stream))
}

/// One logged event, rendered once for every subscriber.
#[derive(Debug)]
pub struct Shared {
    /// The log entry.
    pub logged: LoggedEvent,
    /// Whom it concerns.
    pub audience: Audience,
    /// Its JSON line: the envelope with `sequence`.
    pub line: String,
    /// Its frame with the catalog's names, as SSE and as NDJSON, made by the first
    /// subscriber that sends it and shared by all the others (ten thousand subscribers write
    /// the same bytes, not ten thousand copies).
    dotted: [OnceLock<Bytes>; 2],
}

impl Shared {
    fn new(addressed: AddressedEvent) -> Self {
        let AddressedEvent { logged, audience } = addressed;
        let mut value = serde_json::to_value(&logged.event).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("sequence".to_owned(), json!(logged.sequence));
        }
        Self {
            line: value.to_string(),
            logged,
            audience,
            dotted: Default::default(),
        }
    }

    /// Its frame with the catalog's names on `wire`.
    fn dotted(&self, wire: Wire) -> Bytes {
        let slot = match wire {
            Wire::Sse => &self.dotted[0],
            Wire::Ndjson => &self.dotted[1],
        };
        slot.get_or_init(|| {
            Bytes::from(wire.encode(
                Some(self.logged.sequence),
                self.logged.event.event_type().as_str(),
                &self.line,
            ))
        })
        .clone()
    }
}

/// The process's fan-out of the event log to stream subscribers.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    sender: broadcast::Sender<Arc<Shared>>,
    /// Set when the server shuts down: every stream ends.
    closed: tokio::sync::watch::Sender<bool>,
    /// Whether the tail task runs (it stops when the last subscriber leaves).
    tailing: Mutex<bool>,
    subscribers: AtomicU64,
    dropped: prometheus_client::metrics::counter::Counter,
    keep_alive: Duration,
    buffer: usize,
}

impl Hub {
    /// A hub whose subscribers may fall `buffer` events behind, with a keep-alive every
    /// `keep_alive`.
    pub fn new(buffer: usize, keep_alive: Duration) -> Self {
        let buffer = buffer.max(16);
        Self {
            inner: Arc::new(HubInner {
                sender: broadcast::channel(buffer).0,
                closed: tokio::sync::watch::channel(false).0,
                tailing: Mutex::new(false),
                subscribers: AtomicU64::new(0),
                dropped: prometheus_client::metrics::counter::Counter::default(),
                keep_alive: keep_alive.max(Duration::from_millis(10)),
                buffer,
            }),
        }
    }

    /// Ends every stream (the server is shutting down, and waits for open requests).
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// Streams open now.
    pub fn subscribers(&self) -> u64 {
        self.inner.subscribers.load(Ordering::Relaxed)
    }

    /// Streams dropped for falling behind, since the start (a metrics counter).
    pub fn dropped(&self) -> &prometheus_client::metrics::counter::Counter {
        &self.inner.dropped
    }

    /// How often an idle stream sends a keep-alive.
    pub(super) fn keep_alive(&self) -> Duration {
        self.inner.keep_alive
    }

    /// A watch that turns `true` when the server shuts down.
    pub(super) fn closed(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    /// A receiver of live events, starting the tail task if it is not running.
    pub(super) fn subscribe(&self, state: &AppState) -> broadcast::Receiver<Arc<Shared>> {
        let mut tailing = self
            .inner
            .tailing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let receiver = self.inner.sender.subscribe();
        if !*tailing {
            *tailing = true;
            let wakeup = state
                .database
                .as_ref()
                .map(|db| db.wakeup(athlos_store::Topic::Events));
            tokio::spawn(tail(self.inner.clone(), state.store.clone(), wakeup));
        }
        receiver
    }
}

/// Reads the log from its end and broadcasts every new event until nobody listens.
async fn tail(hub: Arc<HubInner>, store: SharedStore, mut wakeup: Option<athlos_store::Wakeup>) {
    // Without wake-ups (the memory store) poll briskly; with them, poll only as a fallback.
    let poll = if wakeup.is_some() {
        Duration::from_millis(500)
    } else {
        Duration::from_millis(20)
    };
    let mut follower = loop {
        match store.last_sequence().await {
            Ok(last) => break LogFollower::new(last, PAGE),
            Err(error) => {
                tracing::warn!(%error, "stream tail cannot read the log; retrying");
                tokio::time::sleep(poll).await;
            }
        }
    };
    loop {
        {
            let mut tailing = hub.tailing.lock().unwrap_or_else(PoisonError::into_inner);
            if hub.sender.receiver_count() == 0 {
                *tailing = false;
                return;
            }
        }
        match follower.next_page(&store).await {
            Ok(page) => {
                let full = page.len() == follower.page_size();
                for addressed in page {
                    // No receiver is fine: the next subscriber replays from the log.
                    let _ = hub.sender.send(Arc::new(Shared::new(addressed)));
                }
                if full {
                    continue;
                }
            }
            Err(error) => tracing::warn!(%error, "stream tail cannot read the log; retrying"),
        }
        let sleep = tokio::time::sleep(poll);
        match &mut wakeup {
            Some(wakeup) => {
                tokio::select! {
                    () = wakeup.wait() => {}
                    () = sleep => {}
                }
            }
            None => sleep.await,
        }
    }
}

/// What a stream follows.
#[derive(Debug, Clone)]
enum Scope {
    /// The public events whose audience includes this aggregate.
    Aggregate(AggregateRef),
    /// The announcements of every tournament ([`Announcement`]).
    Announcements,
}

/// How events are named on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// The catalog's dotted types.
    Dotted,
    /// Bot-arena names (`tournamentStarted`, `roundStarted`, `pairingReady` …).
    Arena,
    /// The platform's event shapes ([`PlatformEvent`]: `state_changed`, `match_result`,
    /// `round_advanced`, `chat_message`, `chat_message_deleted`).
    Platform,
}

/// How a stream is written: Server-Sent Events, or NDJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wire {
    Sse,
    Ndjson,
}

impl Wire {
    /// NDJSON when the client accepts `application/x-ndjson`, else SSE.
    pub(super) fn of(headers: &HeaderMap) -> Self {
        let ndjson = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/x-ndjson"));
        if ndjson {
            Wire::Ndjson
        } else {
            Wire::Sse
        }
    }

    /// One frame: an SSE event (with its `id` when given) or an NDJSON line.
    pub(super) fn encode(self, id: Option<u64>, name: &str, line: &str) -> Vec<u8> {
        match self {
            Wire::Sse => {
                let mut frame = String::with_capacity(line.len() + 48);
                if let Some(id) = id {
                    frame.push_str(&format!("id: {id}\n"));
                }
                frame.push_str(&format!("event: {name}\ndata: {line}\n\n"));
                frame.into_bytes()
            }
            Wire::Ndjson => {
                let mut frame = line.as_bytes().to_vec();
                frame.push(b'\n');
                frame
            }
        }
    }

    /// A keep-alive: an SSE comment, or an empty NDJSON line.
    pub(super) fn keep_alive(self) -> Bytes {
        Bytes::from_static(match self {
            Wire::Sse => b": keep-alive\n\n",
            Wire::Ndjson => b"\n",
        })
    }

    /// The response of a stream of `body` in this wire format.
    pub(super) fn respond(self, body: Body) -> Response {
        let content_type = match self {
            Wire::Sse => "text/event-stream",
            Wire::Ndjson => "application/x-ndjson",
        };
        (
            StatusCode::OK,
            [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
            [("x-accel-buffering", "no")],
            body,
        )
            .into_response()
    }
}

/// Where a stream starts and how it names events.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Replay events with a log sequence greater than this (the `Last-Event-ID` header
    /// wins when both are given); without either, the whole history is replayed first.
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
    /// `dotted` (default: the catalog's types), `arena` (bot-arena names:
    /// `tournamentStarted`, `roundStarted`, `pairingReady`, `roundFinished`,
    /// `tournamentFinished`; other events are left out) or `platform` (the platform's event
    /// shapes: `state_changed` with `from_state`/`to_state`, `match_result` with `winner` and
    /// `round`, `round_advanced` with `new_round` and `matches_count`, `chat_message`,
    /// `chat_message_deleted`, each with `tournament_id`, `sequence` and `timestamp`; other
    /// events are left out).
    pub names: Option<String>,
    /// With `names=arena`: the participant (bot) whose pairing, colour and opponent
    /// `pairingReady` carries; rounds it does not play are left out.
    pub participant: Option<String>,
}

struct Subscriber {
    state: AppState,
    /// What it follows: a tournament, an event (with its divisions), a draft, or the
    /// announcements of every tournament.
    scope: Scope,
    names: Names,
    participant: Option<ParticipantId>,
    wire: Wire,
    receiver: broadcast::Receiver<Arc<Shared>>,
    closed: tokio::sync::watch::Receiver<bool>,
    /// Its position: the last log sequence looked at (sent or filtered out). It reads the
    /// log itself while catching up.
    follower: LogFollower,
    /// Replay from the log before going live.
    catching_up: bool,
    /// Fell behind the broadcast by this many events: dropped at the next call.
    lagged: Option<u64>,
    finished: bool,
    /// Frames ready to send, each its own write to the connection (which joins what is
    /// ready into one system call): an event's frame is shared by every subscriber of it.
    pending: std::collections::VecDeque<Bytes>,
    /// When the stream last sent something, and the one timer that sends a keep-alive when
    /// it has been idle for the hub's keep-alive period (moved only when it fires, not at
    /// every event).
    sent_at: tokio::time::Instant,
    idle: std::pin::Pin<Box<tokio::time::Sleep>>,
    _guard: SubscriberGuard,
}

struct SubscriberGuard(Arc<HubInner>);

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Subscriber {
    /// The next bytes to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<Bytes> {
        let frame = self.produce().await;
        if frame.is_some() {
            self.sent_at = tokio::time::Instant::now();
        }
        frame
    }

    async fn produce(&mut self) -> Option<Bytes> {
        if self.finished || *self.closed.borrow() {
            return None;
        }
        if let Some(frame) = self.pending.pop_front() {
            return Some(frame);
        }
        if let Some(missed) = self.lagged {
            return Some(self.drop_slow(missed));
        }
        loop {
            if self.catching_up {
                // Subscribe afresh first: anything broadcast from now on is received, and
                // anything before is in the log.
                self.receiver = self.receiver.resubscribe();
                match self.follower.next_page(&self.state.store).await {
                    Ok(page) => {
                        if page.len() < self.follower.page_size() {
                            self.catching_up = false;
                        }
                        for addressed in page {
                            if let Some(frame) = self.frame(&Shared::new(addressed)) {
                                self.pending.push_back(frame);
                            }
                        }
                        if let Some(frame) = self.pending.pop_front() {
                            return Some(frame);
                        }
                        continue;
                    }
                    Err(error) => {
                        return Some(
                            self.finish("the event log cannot be read", &error.to_string()),
                        );
                    }
                }
            }
            let received = tokio::select! {
                biased;
                received = self.receiver.recv() => Some(received),
                () = self.idle.as_mut() => None,
            };
            match received {
                None => {
                    let keep_alive = self.state.streams.inner.keep_alive;
                    let now = tokio::time::Instant::now();
                    if self.sent_at + keep_alive > now {
                        // Not idle that long: the timer goes off a period after the last send.
                        self.idle.as_mut().reset(self.sent_at + keep_alive);
                        continue;
                    }
                    self.idle.as_mut().reset(now + keep_alive);
                    // Idle: anything committed that no broadcast brought (the tail task may
                    // have started after this stream's replay read the log) is read from the
                    // log now, so an idle stream never waits on the next commit for it.
                    if let Ok(last) = self.state.store.last_sequence().await {
                        if last > self.follower.position() {
                            self.catching_up = true;
                            continue;
                        }
                    }
                    return Some(self.wire.keep_alive());
                }
                Some(Ok(shared)) => {
                    // Take what is ready with it (fan-out of bursts: the connection writes
                    // the frames in one system call).
                    let mut bytes = 0;
                    let mut next = Some(shared);
                    while let Some(shared) = next.take() {
                        let sequence = shared.logged.sequence;
                        let position = self.follower.position();
                        if sequence > position + 1 {
                            // Committed before this receiver existed: read the gap from the log.
                            self.catching_up = true;
                            break;
                        }
                        if sequence == position + 1 {
                            self.follower.seek(sequence);
                            if let Some(frame) = self.frame(&shared) {
                                bytes += frame.len();
                                self.pending.push_back(frame);
                            }
                        }
                        if bytes >= BURST {
                            break;
                        }
                        match self.receiver.try_recv() {
                            Ok(shared) => next = Some(shared),
                            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                                self.lagged = Some(missed);
                            }
                            Err(_) => {}
                        }
                    }
                    if let Some(frame) = self.pending.pop_front() {
                        return Some(frame);
                    }
                    if let Some(missed) = self.lagged {
                        return Some(self.drop_slow(missed));
                    }
                }
                Some(Err(broadcast::error::RecvError::Lagged(missed))) => {
                    return Some(self.drop_slow(missed));
                }
                Some(Err(broadcast::error::RecvError::Closed)) => return None,
            }
        }
    }

    /// Drops a client that fell `missed` events behind the broadcast.
    fn drop_slow(&mut self, missed: u64) -> Bytes {
        self.state.streams.inner.dropped.inc();
        let buffer = self.state.streams.inner.buffer;
        self.finish(
            "slow_consumer",
            &format!(
                "the client fell more than {buffer} events behind ({missed} missed): \
                 reconnect with Last-Event-ID to resume from the log"
            ),
        )
    }

    /// The final `stream.dropped` event; the stream ends after it.
    fn finish(&mut self, reason: &str, message: &str) -> Bytes {
        self.finished = true;
        let body = StreamDropped {
            kind: StreamDroppedType::StreamDropped,
            reason: reason.to_owned(),
            message: message.to_owned(),
            resume_after: self.follower.position(),
        };
        self.encoded(None, "stream.dropped", &json_text(&body))
    }

    fn encoded(&self, id: Option<u64>, name: &str, line: &str) -> Bytes {
        Bytes::from(self.wire.encode(id, name, line))
    }

    /// The frame of `shared` for this subscriber, if it concerns it.
    fn frame(&self, shared: &Shared) -> Option<Bytes> {
        let scope = match &self.scope {
            Scope::Aggregate(scope) => scope,
            Scope::Announcements => {
                let announced = AnnouncementBody::of(&shared.logged)?;
                let name = announced.kind.as_str();
                return Some(self.encoded(Some(announced.sequence), name, &json_text(&announced)));
            }
        };
        if !shared.audience.includes(scope) {
            return None;
        }
        // Streams are public reads.
        if !shared.logged.event.event_type().is_public() {
            return None;
        }
        let sequence = shared.logged.sequence;
        match self.names {
            Names::Dotted => Some(shared.dotted(self.wire)),
            Names::Arena => {
                let frame = ArenaFrame::of(shared, self.participant.as_ref())?;
                Some(self.encoded(Some(sequence), frame.name, &json_text(&frame)))
            }
            Names::Platform => {
                let shaped = PlatformEvent::of(&shared.logged.event, sequence)?;
                Some(self.encoded(Some(sequence), shaped.name(), &json_text(&shaped)))
            }
        }
    }
}

/// The last frame of a stream that ends early (the client fell behind, or the log could not
/// be read): reconnect with `Last-Event-ID: {resume_after}` to resume from the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamDropped {
    /// Always `stream.dropped`.
    #[serde(rename = "type")]
    pub kind: StreamDroppedType,
    /// `slow_consumer`, or why the stream could not go on.
    pub reason: String,
    /// What happened, for a person.
    pub message: String,
    /// The last log sequence the stream looked at.
    pub resume_after: u64,
}

/// The type of a [`StreamDropped`] frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum StreamDroppedType {
    /// `stream.dropped`.
    #[serde(rename = "stream.dropped")]
    StreamDropped,
}

/// A bot-arena frame (`names=arena`): the arena name of an event, its log sequence and
/// time, and what the name carries.
#[derive(Debug, Serialize)]
struct ArenaFrame<'a> {
    /// `tournamentStarted`, `roundStarted`, `pairingReady`, `roundFinished` or
    /// `tournamentFinished`.
    #[serde(rename = "type")]
    name: &'static str,
    sequence: u64,
    timestamp: DateTime<Utc>,
    tournament: &'a TournamentId,
    #[serde(skip_serializing_if = "Option::is_none")]
    round: Option<u32>,
    /// `pairingReady` for one participant: its match, colour and opponent (`null`: a bye).
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    match_id: Option<&'a MatchId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    opponent: Option<&'a Option<ParticipantId>>,
    /// `pairingReady` for everyone: the round's pairings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pairings: Option<&'a [Pairing]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placements: Option<&'a [Placement]>,
}

impl<'a> ArenaFrame<'a> {
    /// The frame of `shared`, if its event has an arena name (and, for `pairingReady` with
    /// a `participant`, if the participant plays in the round).
    fn of(shared: &'a Shared, participant: Option<&ParticipantId>) -> Option<Self> {
        let bare = |name, tournament| ArenaFrame {
            name,
            sequence: shared.logged.sequence,
            timestamp: shared.logged.event.timestamp,
            tournament,
            round: None,
            match_id: None,
            color: None,
            opponent: None,
            pairings: None,
            placements: None,
        };
        let frame = match &shared.logged.event.data {
            EventData::TournamentStateChanged { tournament, to, .. }
                if *to == TournamentState::Active =>
            {
                bare("tournamentStarted", tournament)
            }
            EventData::RoundStarted { tournament, round } => ArenaFrame {
                round: Some(*round),
                ..bare("roundStarted", tournament)
            },
            EventData::PairingReady {
                tournament,
                round,
                pairings,
            } => {
                let frame = ArenaFrame {
                    round: Some(*round),
                    ..bare("pairingReady", tournament)
                };
                match participant {
                    Some(me) => {
                        let (pairing, slot) = own_pairing(pairings, me)?;
                        ArenaFrame {
                            match_id: Some(&pairing.match_id),
                            color: Some(if slot == 0 { "white" } else { "black" }),
                            opponent: Some(&pairing.sides[1 - slot]),
                            ..frame
                        }
                    }
                    None => ArenaFrame {
                        pairings: Some(pairings),
                        ..frame
                    },
                }
            }
            EventData::RoundFinished { tournament, round } => ArenaFrame {
                round: Some(*round),
                ..bare("roundFinished", tournament)
            },
            EventData::TournamentFinished {
                tournament,
                placements,
            } => ArenaFrame {
                placements: Some(placements),
                ..bare("tournamentFinished", tournament)
            },
            _ => return None,
        };
        Some(frame)
    }
}

/// `value` as JSON text (`null` if it cannot be encoded, which the frames here never are).
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// The pairing `me` plays in and its slot (0: first side, white in a Swiss).
fn own_pairing<'a>(pairings: &'a [Pairing], me: &ParticipantId) -> Option<(&'a Pairing, usize)> {
    pairings.iter().find_map(|p| {
        p.sides
            .iter()
            .position(|s| s.as_ref() == Some(me))
            .map(|slot| (p, slot))
    })
}

/// The largest log sequence: the databases keep sequences as signed 64-bit numbers.
const MAX_SEQUENCE: u64 = i64::MAX as u64;

/// `value` of the request's `field` if it is at most [`MAX_SEQUENCE`] (the bound the document
/// gives every position, id and number kept as a signed 64-bit number), else 400 saying
/// that `field` must be a `what` up to it.
pub(super) fn within_bound(field: &str, what: &str, value: u64) -> Result<u64, ApiError> {
    if value > MAX_SEQUENCE {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must be a {what} up to {MAX_SEQUENCE}"),
        ));
    }
    Ok(value)
}

pub(super) fn start_position(headers: &HeaderMap, query: &StreamQuery) -> Result<u64, ApiError> {
    // Checked even when the header wins: a request with a bad `after` is a bad request.
    let after = within_bound("after", "log sequence", query.after.unwrap_or(0))?;
    match headers.get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|&sequence| sequence <= MAX_SEQUENCE)
            .ok_or_else(|| {
                ApiError::bad_input(
                    "Last-Event-ID",
                    format!("must be a log sequence (a whole number up to {MAX_SEQUENCE})"),
                )
            }),
        None => Ok(after),
    }
}

fn open(
    state: AppState,
    scope: Scope,
    headers: &HeaderMap,
    query: StreamQuery,
) -> Result<Response, ApiError> {
    let position = start_position(headers, &query)?;
    let names = match query.names.as_deref() {
        None | Some("dotted") => Names::Dotted,
        Some("arena") => Names::Arena,
        Some("platform") => Names::Platform,
        Some(_) => {
            return Err(ApiError::bad_input(
                "names",
                "names must be dotted, arena or platform",
            ))
        }
    };
    let participant = query
        .participant
        .as_deref()
        .map(|p| {
            ParticipantId::new(p).map_err(|e| ApiError::bad_input("participant", e.to_string()))
        })
        .transpose()?;
    let wire = Wire::of(headers);
    let hub = state.streams.clone();
    let receiver = hub.subscribe(&state);
    hub.inner.subscribers.fetch_add(1, Ordering::Relaxed);
    let subscriber = Subscriber {
        state,
        scope,
        names,
        participant,
        wire,
        receiver,
        closed: hub.inner.closed.subscribe(),
        follower: LogFollower::new(position, PAGE),
        catching_up: true,
        lagged: None,
        finished: false,
        pending: std::collections::VecDeque::new(),
        sent_at: tokio::time::Instant::now(),
        idle: Box::pin(tokio::time::sleep(hub.keep_alive())),
        _guard: SubscriberGuard(hub.inner.clone()),
    };
    let stream = futures_util::stream::unfold(subscriber, |mut subscriber| async move {
        subscriber
            .next()
            .await
            .map(|bytes| (Ok::<Bytes, Infallible>(bytes), subscriber))
    });
    Ok(wire.respond(Body::from_stream(stream)))
}

/// One Server-Sent Event of a stream, as a client reads it: `data` is the JSON event
/// envelope (with `sequence`), `event` its type, `id` its log sequence.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the wire format; the stream writes it directly
pub struct SseEvent {
    /// The log sequence (the value to send back as `Last-Event-ID`).
    pub id: Option<String>,
    /// The event type (`match.result`, `pairingReady`, `match_result`, `stream.dropped` …).
    pub event: Option<String>,
    /// The event as JSON text.
    pub data: String,
    /// A reconnection delay in milliseconds, when the server sets one.
    pub retry: Option<u64>,
}

/// A tournament's events, live, its chat's included (`chat.posted`, `chat.deleted`):
/// Server-Sent Events, or NDJSON when the client accepts `application/x-ndjson`. Each event's SSE `id` (and `sequence` in its JSON) is its log
/// sequence: reconnect with `Last-Event-ID` (or `?after=`) to get exactly what was missed.
/// Keep-alives are SSE comments (empty lines in NDJSON); a client that falls too far behind
/// gets a final `stream.dropped` event.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/stream", tag = "streams",
    params(("tournament_id" = String, Path, description = "Tournament id"),
        ("Last-Event-ID" = Option<u64>, Header, maximum = 9223372036854775807_u64,
            description = "Resume after this log sequence"),
        StreamQuery),
    responses((status = 200, description = "An endless stream of events",
            content((SseEvent = "text/event-stream"), (String = "application/x-ndjson"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn tournament_stream(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id =
        TournamentId::new(&id).map_err(|e| ApiError::bad_input("tournament_id", e.to_string()))?;
    state.service.tournament(&id).await?;
    open(
        state,
        Scope::Aggregate(AggregateRef::Tournament(id)),
        &headers,
        query,
    )
}

/// An event's events (the event itself and its divisions), live, as the tournament stream.
#[utoipa::path(get, path = "/v1/events/{event_id}/stream", tag = "streams",
    params(("event_id" = String, Path, description = "Event id"),
        ("Last-Event-ID" = Option<u64>, Header, maximum = 9223372036854775807_u64,
            description = "Resume after this log sequence"),
        StreamQuery),
    responses((status = 200, description = "An endless stream of events",
            content((SseEvent = "text/event-stream"), (String = "application/x-ndjson"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn event_stream(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = CompetitionId::new(&id).map_err(|e| ApiError::bad_input("event_id", e.to_string()))?;
    if state.store.competition(&id).await?.is_none() {
        return Err(
            athlos_core::error::ServiceError::UnknownCompetition { id: id.to_string() }.into(),
        );
    }
    open(
        state,
        Scope::Aggregate(AggregateRef::Competition(id)),
        &headers,
        query,
    )
}

/// A draft's events, live, as the tournament stream: `draft.started`, `draft.pick_made`,
/// `draft.autopicked`, `draft.paused`, `draft.resumed`, `draft.pick_undone`,
/// `draft.picks_traded` and `draft.completed`. Queue changes (`draft.queue_set`) are left out:
/// a queue is private to its team.
#[utoipa::path(get, path = "/v1/drafts/{draft_id}/stream", tag = "streams",
    params(("draft_id" = String, Path, description = "Draft id"),
        ("Last-Event-ID" = Option<u64>, Header, maximum = 9223372036854775807_u64,
            description = "Resume after this log sequence"),
        StreamQuery),
    responses((status = 200, description = "An endless stream of events",
            content((SseEvent = "text/event-stream"), (String = "application/x-ndjson"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn draft_stream(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = super::drafts::draft_id(&id)?;
    state.service.draft(&id).await?;
    open(
        state,
        Scope::Aggregate(AggregateRef::Draft(id)),
        &headers,
        query,
    )
}

/// The final standings as NDJSON, one line per entry in rank order (`rank`, `participant`,
/// `name`, `points`, `wins`, `draws`, `losses`, `tiebreaks`); 409 until the tournament is
/// complete.
#[utoipa::path(get, path = "/v1/tournaments/{tournament_id}/results", tag = "play",
    params(("tournament_id" = String, Path, description = "Tournament id")),
    responses((status = 200, description = "NDJSON lines", content((String = "application/x-ndjson"))),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn results(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id =
        TournamentId::new(&id).map_err(|e| ApiError::bad_input("tournament_id", e.to_string()))?;
    let tournament = state.service.tournament(&id).await?;
    let t = &tournament.value;
    if !matches!(
        t.state,
        TournamentState::Completed | TournamentState::Archived
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_final",
            format!(
                "tournament \"{}\" is {}: its results are final once it is completed",
                t.id, t.state
            ),
        )
        .with("state", t.state.to_string()));
    }
    let mut body = String::new();
    for row in &table_of(t).rows {
        let line = serde_json::to_string(row)
            .map_err(|e| ApiError::internal(format!("cannot encode a standings row: {e}")))?;
        body.push_str(&line);
        body.push('\n');
    }
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// An announcement as the API writes it: a tournament published, started or finished.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementBody {
    /// `tournament_published`, `tournament_started` or `tournament_finished`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "tournament_finished")]
    pub kind: AnnouncementKind,
    /// The log sequence of the event that made it (resume after it).
    pub sequence: u64,
    /// When it happened.
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    /// The tournament.
    #[schema(value_type = String)]
    pub tournament: TournamentId,
    /// With `tournament_finished`: the participants placed first (more than one when the
    /// format shares first place); empty otherwise.
    #[schema(value_type = Vec<String>)]
    pub winners: Vec<ParticipantId>,
}

impl AnnouncementBody {
    /// The announcement `logged` makes, if any.
    fn of(logged: &LoggedEvent) -> Option<Self> {
        let announced = Announcement::of(&logged.event)?;
        Some(Self {
            kind: announced.kind,
            sequence: logged.sequence,
            timestamp: announced.timestamp,
            tournament: announced.tournament.clone(),
            winners: announced.winners.into_iter().cloned().collect(),
        })
    }
}

/// Where a page of announcements starts and how long it is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementQuery {
    /// Announcements made after this log sequence (default 0: from the start).
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
    /// Announcements per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// A page of announcements.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementPage {
    /// In log order.
    pub announcements: Vec<AnnouncementBody>,
    /// The log sequence this page read up to: ask for the next page `after` it.
    pub next_after: u64,
    /// Whether the log goes on past `next_after` (a page reads at most
    /// [`ANNOUNCEMENT_SCAN`] events of the log, so a page may hold fewer announcements than
    /// asked for, even none, while more follow).
    pub more: bool,
}

/// Events of the log one page of announcements reads at most.
pub const ANNOUNCEMENT_SCAN: usize = 10_000;

/// Where the whole platform hears of its tournaments: each tournament published
/// (`tournament_published`), started (`tournament_started`) and finished
/// (`tournament_finished`, with its winners), in log order, a page at a time.
#[utoipa::path(get, path = "/v1/announcements", tag = "streams",
    params(AnnouncementQuery),
    responses((status = 200, body = AnnouncementPage), (status = 400, body = ErrorBody)))]
async fn announcements(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AnnouncementQuery>,
) -> Result<Json<AnnouncementPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let after = within_bound("after", "log sequence", query.after.unwrap_or(0))?;
    let mut follower = LogFollower::new(after, PAGE);
    let mut found = Vec::new();
    let mut scanned = 0;
    let mut more = true;
    while found.len() < limit && scanned < ANNOUNCEMENT_SCAN {
        let page = follower.next_page(&state.store).await?;
        let read = page.len();
        for addressed in page {
            scanned += 1;
            if let Some(announced) = AnnouncementBody::of(&addressed.logged) {
                found.push(announced);
                if found.len() == limit {
                    follower.seek(addressed.logged.sequence);
                    break;
                }
            }
        }
        if read < PAGE && found.len() < limit {
            more = false;
            break;
        }
    }
    // At the last announcement of a full page, else at the last event read.
    let next_after = follower.position();
    if more {
        more = state.store.last_sequence().await? > next_after;
    }
    Ok(Json(AnnouncementPage {
        announcements: found,
        next_after,
        more,
    }))
}

/// The `limit` of a page (of announcements, of a chat): 1 to 500, 100 when not given.
///
/// # Errors
/// 400 naming `limit` outside that range.
pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(100),
        Some(limit @ 1..=500) => Ok(limit),
        Some(_) => Err(ApiError::bad_input("limit", "limit must be 1 to 500")),
    }
}

/// Where a stream of announcements starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementStreamQuery {
    /// Replay announcements made after this log sequence (the `Last-Event-ID` header wins
    /// when both are given); without either, every announcement so far is replayed first.
    #[param(maximum = 9223372036854775807_u64)]
    pub after: Option<u64>,
}

/// The announcements, live, as `GET /v1/announcements` writes them: Server-Sent Events
/// named by their `type`, or NDJSON when the client accepts `application/x-ndjson`. The SSE
/// `id` is the log sequence: reconnect with `Last-Event-ID` to get exactly what was missed.
#[utoipa::path(get, path = "/v1/announcements/stream", tag = "streams",
    params(("Last-Event-ID" = Option<u64>, Header, maximum = 9223372036854775807_u64,
            description = "Resume after this log sequence"),
        AnnouncementStreamQuery),
    responses((status = 200, description = "An endless stream of announcements",
            content((SseEvent = "text/event-stream"), (AnnouncementBody = "application/x-ndjson"))),
        (status = 400, body = ErrorBody)))]
async fn announcement_stream(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AnnouncementStreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = StreamQuery {
        after: query.after,
        names: None,
        participant: None,
    };
    open(state, Scope::Announcements, &headers, query)
}
