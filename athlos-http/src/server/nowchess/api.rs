//! The handlers of `/api/tournament`: each reads the request, calls the core's service and
//! answers the document's shape, with the statuses the document lists for the operation.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::browse::TournamentFilter;
use athlos_core::error::{Error, ServiceError};
use athlos_core::id::TournamentId;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::store::Stored;
use athlos_core::swiss::play::SwissRules;
use athlos_core::tournament::{BoardGames, Tournament, TournamentRules, TournamentSettings};

use super::super::auth::Caller;
use super::super::error::ApiError;
use super::super::AppState;
use super::{bot, conform, mix, short_id, views};

/// Statuses of `POST /api/tournament`.
const CREATE: &[u16] = &[400, 401];
/// Statuses of the director's and the bots' writes on a tournament.
const WRITE: &[u16] = &[401, 403, 404, 409];
/// Statuses of the reads of a tournament.
const READ: &[u16] = &[404];

/// The tournament `id` of this API (404 for an id that names none, or a tournament of
/// another kind).
async fn read(state: &AppState, id: &str) -> Result<Stored<Tournament>, ApiError> {
    let unknown = || ApiError::not_found(format!("tournament {id:?} not found"));
    let id = TournamentId::new(id).map_err(|_| unknown())?;
    let found = state.service.tournament(&id).await.map_err(|e| match e {
        Error::Service(ServiceError::UnknownTournament { .. }) => unknown(),
        other => ApiError::from(other),
    })?;
    if views::is_nowchess(&found.value) {
        Ok(found)
    } else {
        Err(unknown())
    }
}

/// A tournament the caller directs (403 otherwise).
async fn directed(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Stored<Tournament>, ApiError> {
    let tournament = read(state, id).await?;
    tournament.value.may_direct(&caller.principal())?;
    Ok(tournament)
}

/// `GET /api/tournament/openapi.yaml`: the seed's document.
pub async fn document() -> Response {
    ([(CONTENT_TYPE, "application/yaml")], super::DOCUMENT).into_response()
}

/// How many tournaments of each status the list shows at most.
const LISTED: usize = 100;

/// `GET /api/tournament`: the tournaments by status, newest ids last.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut lists = serde_json::Map::new();
    for (key, states) in [
        (
            "created",
            &[TournamentState::Registration, TournamentState::Draft][..],
        ),
        ("started", &[TournamentState::Active][..]),
        (
            "finished",
            &[TournamentState::Completed, TournamentState::Archived][..],
        ),
    ] {
        let mut items = Vec::new();
        for tournament_state in states {
            let filter = TournamentFilter {
                state: Some(*tournament_state),
                ..TournamentFilter::default()
            };
            let (page, _) = state.service.browse_tournaments(&filter, 500, 0).await?;
            items.extend(
                page.iter()
                    .filter(|t| views::is_nowchess(&t.value))
                    .map(|t| Value::Object(views::info(&t.value))),
            );
        }
        items.truncate(LISTED);
        lists.insert(key.to_owned(), Value::Array(items));
    }
    Ok(Json(Value::Object(lists)))
}

/// The create form, checked.
struct CreateForm {
    name: String,
    rounds: u32,
    board: BoardGames,
}

/// A whole number field of the form within `min..=u32::MAX` (400 naming it otherwise).
fn number(fields: &[(String, String)], key: &str, min: u32) -> Result<u32, ApiError> {
    let text = field(fields, key)?;
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| {
            ApiError::bad_input(
                key,
                format!("{key} must be a whole number of at least {min}"),
            )
        })
}

/// A required field of the form (400 when missing).
fn field<'a>(fields: &'a [(String, String)], key: &str) -> Result<&'a str, ApiError> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| ApiError::bad_input(key, format!("{key} is required")))
}

/// Reads the form-encoded create body: `name, nbRounds, clockLimit, clockIncrement`
/// required, `rated` (`true` or `false`) defaulting to true.
fn create_form(headers: &HeaderMap, body: &[u8]) -> Result<CreateForm, ApiError> {
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(ApiError::bad_input(
            "body",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::bad_input("body", format!("invalid form: {e}")))?;
    let name = field(&fields, "name")?.trim().to_owned();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::bad_input(
            "name",
            "name must be 1 to 200 bytes, not blank",
        ));
    }
    let rated = match fields
        .iter()
        .find(|(k, _)| k == "rated")
        .map(|(_, v)| v.as_str())
    {
        None => true,
        Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(ApiError::bad_input("rated", "rated must be true or false")),
    };
    Ok(CreateForm {
        name,
        rounds: number(&fields, "nbRounds", 1)?,
        board: BoardGames {
            clock_limit: number(&fields, "clockLimit", 0)?,
            clock_increment: number(&fields, "clockIncrement", 0)?,
            rated,
        },
    })
}

/// Tournaments created by this process, mixed into the next id.
static CREATED: AtomicU64 = AtomicU64::new(0);

/// How many ids a create tries before it gives up.
const ID_ATTEMPTS: u64 = 16;

/// `POST /api/tournament`: a Swiss with the caller as director, Buchholz as tie-break, a
/// random first round (its seed recorded in the rules) and automatic advance, published at
/// once (`created`: bots may join).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = create_form(&headers, &body)?;
    let nanos = state.clock.now().timestamp_nanos_opt().unwrap_or_default();
    let clock = u64::from_ne_bytes(nanos.to_ne_bytes());
    let base = mix(clock ^ mix(CREATED.fetch_add(1, Ordering::Relaxed)));
    let tiebreaks = athlos_core::tiebreak::parse_list(views::TIE_BREAK)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    for attempt in 0..ID_ATTEMPTS {
        let id = short_id(base.wrapping_add(attempt));
        let seed = mix(id.bytes().fold(clock, |h, b| mix(h ^ u64::from(b))));
        let rules = TournamentRules {
            options: BracketOptions::new(Format::SingleElimination),
            min_entries: 2,
            max_entries: None,
            seed: 0,
            swiss: Some(SwissRules {
                tiebreaks: tiebreaks.clone(),
                auto_advance: true,
                first_round_seed: Some(seed),
                ..SwissRules::new(form.rounds)
            }),
        };
        let settings = TournamentSettings {
            director: Some(caller.sub().to_owned()),
            board: Some(form.board),
            auto_advance: true,
            withdrawals_close_at_start: true,
            ..TournamentSettings::default()
        };
        let tournament_id = TournamentId::new(id).map_err(|e| ApiError::internal(e.to_string()))?;
        match state
            .service
            .create_published(tournament_id, form.name.clone(), rules, settings)
            .await
        {
            Ok(published) => {
                let view = views::tournament(&published.tournament.value);
                return Ok((StatusCode::CREATED, Json(view)).into_response());
            }
            Err(Error::Service(ServiceError::IdTaken { .. })) => {}
            Err(other) => return Err(conform(other.into(), CREATE)),
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "no free tournament id was found: try again",
    ))
}

/// `GET /api/tournament/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tournament = read(&state, &id).await?;
    Ok(Json(views::tournament(&tournament.value)))
}

/// `DELETE /api/tournament/{id}`: the director terminates it before the start (cancelled:
/// gone from this API).
pub async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tournament = directed(&state, &caller, &id).await?;
    state
        .service
        .cancel(&tournament.value.id)
        .await
        .map_err(|e| conform(e.into(), WRITE))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/tournament/{id}/start`: the director starts it (round 1 paired).
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tournament = directed(&state, &caller, &id).await?;
    let change = state
        .service
        .start(&tournament.value.id)
        .await
        .map_err(|e| conform(e.into(), WRITE))?;
    Ok(Json(views::tournament(&change.tournament.value)))
}

/// The document's `Ok`.
fn ok() -> Json<Value> {
    Json(json!({"ok": true}))
}

/// `POST /api/tournament/{id}/join`: the token's bot enters.
pub async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tournament = read(&state, &id).await?;
    bot(&caller)?;
    let entry = Participant::new(caller.sub(), caller.sub())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    state
        .service
        .join(&tournament.value.id, entry)
        .await
        .map_err(|e| conform(e.into(), WRITE))?;
    Ok(ok())
}

/// `POST /api/tournament/{id}/withdraw`: the token's bot leaves, before the start only (the
/// document's rule, which this profile's tournaments carry: the core refuses a withdrawal
/// during play, 409).
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tournament = read(&state, &id).await?;
    bot(&caller)?;
    let entry = ParticipantId::new(caller.sub()).map_err(|e| ApiError::forbidden(e.to_string()))?;
    state
        .service
        .withdraw(&tournament.value.id, &entry)
        .await
        .map_err(|e| match e {
            Error::Service(ServiceError::NotEntered { .. }) => ApiError::new(
                StatusCode::CONFLICT,
                "not_entered",
                "the bot has not joined this tournament",
            ),
            other => conform(other.into(), WRITE),
        })?;
    Ok(ok())
}

/// An NDJSON answer.
fn ndjson(body: String) -> Response {
    ([(CONTENT_TYPE, "application/x-ndjson")], body).into_response()
}

/// `GET /api/tournament/{id}/results?nb=`: the ranked results, at any time.
pub async fn results(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).map_err(|e| {
            conform(
                ApiError::bad_input("query", format!("invalid query: {e}")),
                READ,
            )
        })?;
    let nb = match pairs.iter().find(|(k, _)| k == "nb") {
        None => usize::MAX,
        Some((_, value)) => value
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                conform(
                    ApiError::bad_input("nb", "nb must be a whole number of at least 1"),
                    READ,
                )
            })?,
    };
    let tournament = read(&state, &id).await.map_err(|e| conform(e, READ))?;
    let rows: Vec<Value> = views::results(&tournament.value)
        .into_iter()
        .take(nb)
        .collect();
    Ok(ndjson(views::ndjson(&rows)))
}

/// `GET /api/tournament/{id}/round/{round}`: the pairings of a round (none yet for a round
/// not paired; 404 beyond the last round).
pub async fn round(
    State(state): State<AppState>,
    Path((id, round)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let number = round
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            let bad = ApiError::bad_input("round", "round must be a whole number of at least 1");
            conform(bad, READ)
        })?;
    let tournament = read(&state, &id).await?;
    let rounds = tournament
        .value
        .rules
        .swiss
        .as_ref()
        .map_or(0, |r| r.rounds);
    if number > rounds {
        return Err(ApiError::not_found(format!(
            "round {number} not found: the tournament has {rounds} rounds"
        )));
    }
    let pairings: Vec<Value> = views::games(&tournament.value, number)
        .into_iter()
        .map(|game| views::game(&tournament.value, number, game, false))
        .collect();
    Ok(Json(json!({"round": number, "pairings": pairings})))
}

/// `GET /api/tournament/{id}/export/games`: every game, PGN by default or NDJSON when the
/// `Accept` header asks for it (no moves yet: the headers and the result).
pub async fn export_games(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let tournament = read(&state, &id).await?;
    let wants_ndjson = match export_format(&headers) {
        Some(ndjson) => ndjson,
        None => return Err(conform(
            ApiError::bad_input(
                "Accept",
                "the games are exported as application/x-chess-pgn or application/x-ndjson only",
            ),
            READ,
        )),
    };
    if wants_ndjson {
        let t = &tournament.value;
        let games: Vec<Value> = (1..=views::rounds(t))
            .flat_map(|round| {
                views::games(t, round)
                    .into_iter()
                    .map(move |game| views::game(t, round, game, true))
            })
            .collect();
        return Ok(ndjson(views::ndjson(&games)));
    }
    Ok((
        [(CONTENT_TYPE, "application/x-chess-pgn")],
        views::pgn(&tournament.value),
    )
        .into_response())
}

/// The export format the `Accept` header asks for: `Some(true)` NDJSON, `Some(false)` PGN
/// (also without the header, or for a range that takes anything, such as `*/*`), `None` when
/// it accepts neither (the document's refusal for it is 404).
fn export_format(headers: &HeaderMap) -> Option<bool> {
    let mut values = headers.get_all(ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return Some(false);
    }
    let ranges: Vec<String> = values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|range| range.split(';').next())
        .map(|range| range.trim().to_ascii_lowercase())
        .collect();
    let has = |media: &str| ranges.iter().any(|r| r == media);
    if has("application/x-ndjson") {
        Some(true)
    } else if has("application/x-chess-pgn") || has("*/*") || has("application/*") {
        Some(false)
    } else {
        None
    }
}
