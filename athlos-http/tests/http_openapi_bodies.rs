//! The typed answers of the webhook, draft, job, ops, event, division and tournament routes:
//! the OpenAPI document names the body of every success answer (a `$ref` to a schema of the
//! components with its properties, never a bare object) and of every JSON request, and the
//! JSON on the wire keeps its fields, `null` where a value is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::Value;

/// The schema a success answer of `method path` refers to, by name.
fn success_schema<'a>(api: &'a Value, path: &str, method: &str) -> (&'a str, &'a Value) {
    let responses = api["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} missing"));
    let (status, answer) = responses
        .iter()
        .find(|(status, _)| status.starts_with('2'))
        .unwrap_or_else(|| panic!("{method} {path}: no success answer"));
    let reference = answer["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} {status}: the body is not a named schema"));
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("{method} {path}: {reference}"));
    let schema = &api["components"]["schemas"][name];
    assert!(schema.is_object(), "{method} {path}: no schema {name}");
    (name, schema)
}

/// The properties of `schema`, those of the schemas it combines (`allOf`, a flattened part)
/// included.
fn properties(api: &Value, schema: &Value) -> Vec<String> {
    let mut found: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                &api["components"]["schemas"][name]
            }
            None => part,
        };
        found.extend(properties(api, part));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_draft_and_ops_answers_are_named_schemas() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    for (path, method, expected) in [
        ("/health", "get", "ServiceStatus"),
        ("/ready", "get", "ServiceStatus"),
        ("/v1/events/{event_id}/webhooks", "post", "WebhookView"),
        ("/v1/events/{event_id}/webhooks", "get", "WebhookList"),
        (
            "/v1/tournaments/{tournament_id}/webhooks",
            "post",
            "WebhookView",
        ),
        (
            "/v1/tournaments/{tournament_id}/webhooks",
            "get",
            "WebhookList",
        ),
        ("/v1/drafts/{draft_id}/webhooks", "post", "WebhookView"),
        ("/v1/drafts/{draft_id}/webhooks", "get", "WebhookList"),
        ("/v1/webhooks/{webhook_id}", "get", "WebhookView"),
        ("/v1/webhooks/{webhook_id}", "patch", "WebhookView"),
        (
            "/v1/webhooks/{webhook_id}/deliveries",
            "get",
            "DeliveryList",
        ),
        (
            "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            "post",
            "DeliveryView",
        ),
        (
            "/v1/webhooks/{webhook_id}/replay-dead-letters",
            "post",
            "DeliveryList",
        ),
        ("/v1/drafts", "post", "DraftView"),
        ("/v1/drafts", "get", "DraftList"),
        ("/v1/drafts/{draft_id}", "get", "DraftView"),
        ("/v1/drafts/{draft_id}/start", "post", "DraftView"),
        ("/v1/drafts/{draft_id}/pause", "post", "DraftView"),
        ("/v1/drafts/{draft_id}/resume", "post", "DraftView"),
        ("/v1/drafts/{draft_id}/undo", "post", "DraftView"),
        ("/v1/drafts/{draft_id}/trade", "post", "DraftView"),
        ("/v1/drafts/{draft_id}/picks", "post", "DraftView"),
        (
            "/v1/drafts/{draft_id}/teams/{team}/queue",
            "get",
            "QueueView",
        ),
        (
            "/v1/drafts/{draft_id}/teams/{team}/queue",
            "put",
            "QueueView",
        ),
        ("/v1/drafts/{draft_id}/state", "get", "LiveDraft"),
    ] {
        let (name, schema) = success_schema(&api, path, method);
        assert_eq!(name, expected, "{method} {path}");
        assert!(
            !properties(&api, schema).is_empty(),
            "{name} has no properties"
        );
    }
    // A flattened part is described, not left out.
    let draft = properties(&api, &api["components"]["schemas"]["DraftView"]);
    for field in [
        "id",
        "state",
        "next_deadline",
        "settings",
        "picks",
        "events",
    ] {
        assert!(draft.contains(&field.to_owned()), "DraftView: no {field}");
    }
    let schemas = &api["components"]["schemas"];
    // Nested bodies are named too, and so are the frame a stream ends with and a job.
    for name in [
        "WebhookScope",
        "ScopeKind",
        "DeliveryView",
        "DraftSummary",
        "DraftOverview",
        "SummarySettings",
        "LivePick",
        "ClockRunning",
        "ServiceState",
        "StreamDropped",
        "JobView",
        "JobStatus",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    // A secret is only in the answer that creates a subscription; nullable fields say so.
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .map(|r| r.iter().map(|f| f.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    assert!(!required("WebhookView").contains(&"secret".to_owned()));
    assert!(required("WebhookView").contains(&"secret_hint".to_owned()));
    assert!(!required("DeliveryView").contains(&"last_status".to_owned()));
    assert!(!required("QueueView").contains(&"events".to_owned()));
    assert_eq!(
        schemas["ServiceState"]["enum"],
        serde_json::json!(["ok", "ready"])
    );
    assert_eq!(
        schemas["JobStatus"]["enum"],
        serde_json::json!([
            "queued",
            "running",
            "succeeded",
            "retrying",
            "failed",
            "cancelled"
        ])
    );
    server.stop().await;
}

/// The keys of `object`, sorted.
fn keys(object: &Value) -> Vec<&str> {
    let mut found: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    found.sort_unstable();
    found
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

/// The typed answers carry exactly the fields the API has always answered: `null` where a
/// value is missing, and the optional ones (`secret`, `events`) only where they belong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_answers_keep_their_wire_shape() {
    let server = Server::start_with("memory://", |config| {
        config.webhooks.allow_private = true;
    })
    .await;
    let director = token("director", "director");
    assert_eq!(
        server.get("/health").await,
        serde_json::json!({"status": "ok"})
    );
    assert_eq!(
        server.get("/ready").await,
        serde_json::json!({"status": "ready"})
    );

    let pool: Vec<Value> = (1..=4)
        .map(|n| serde_json::json!({"id": format!("p{n}"), "position": "FW", "rank": n}))
        .collect();
    let draft = serde_json::json!({
        "id": "shape", "teams": 2, "rounds": 2, "order": "snake", "seconds_per_pick": 600,
        "roster": [{"position": "FW", "starters": 1}], "pool": pool, "managers": ["m0", null],
    });
    let overview = vec![
        "id",
        "state",
        "version",
        "allowed_actions",
        "commissioner",
        "managers",
        "picks_made",
        "total_picks",
        "on_the_clock",
        "next_deadline",
    ];
    let view = sorted(
        [
            overview.clone(),
            vec!["settings", "order", "picks", "clock"],
        ]
        .concat(),
    );
    let created = server.post("/v1/drafts", &director, draft, 201).await;
    assert_eq!(keys(&created), view);
    for missing in ["on_the_clock", "clock", "next_deadline"] {
        assert!(created[missing].is_null(), "{missing}: {created}");
    }
    assert_eq!(keys(&server.get("/v1/drafts/shape").await), view);

    let list = server.get("/v1/drafts").await;
    assert_eq!(keys(&list), ["drafts", "limit", "offset"]);
    let summary = &list["drafts"][0];
    assert_eq!(
        keys(summary),
        sorted([overview, vec!["settings", "pool_size"]].concat())
    );
    assert_eq!(
        keys(&summary["settings"]),
        sorted(vec![
            "id",
            "teams",
            "rounds",
            "order",
            "seconds_per_pick",
            "roster"
        ])
    );

    // A draft subscription: the secret once, then only its hint.
    let receiver = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let hook = serde_json::json!({"url": format!("http://127.0.0.1:{receiver}/hook")});
    let hook = server
        .post("/v1/drafts/shape/webhooks", &director, hook, 201)
        .await;
    let hook_view = sorted(vec![
        "id",
        "scope",
        "url",
        "event_types",
        "enabled",
        "secret_hint",
        "after_sequence",
        "created_at",
        "circuit",
    ]);
    assert_eq!(
        keys(&hook),
        sorted([hook_view.clone(), vec!["secret"]].concat())
    );
    assert_eq!(
        hook["scope"],
        serde_json::json!({"type": "draft", "id": "shape"})
    );
    let hook_id = hook["id"].as_u64().unwrap();
    let (status, read) = server
        .send(
            "GET",
            &format!("/v1/webhooks/{hook_id}"),
            Some(&director),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&read), hook_view);
    assert_eq!(
        read["circuit"],
        serde_json::json!({"state": "closed", "consecutive_failures": 0, "next_probe_at": null})
    );

    let started = server
        .post("/v1/drafts/shape/start", &director, Value::Null, 200)
        .await;
    assert_eq!(keys(&started), sorted([view, vec!["events"]].concat()));
    assert!(started["events"].as_array().is_some_and(|e| !e.is_empty()));

    let queue = sorted(vec![
        "draft",
        "team",
        "manager",
        "version",
        "players",
        "available",
    ]);
    let (status, read) = server
        .send(
            "GET",
            "/v1/drafts/shape/teams/1/queue",
            Some(&director),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&read), queue);
    assert!(read["manager"].is_null());
    let body = serde_json::json!({"players": ["p4"]});
    let (status, set) = server
        .send(
            "PUT",
            "/v1/drafts/shape/teams/1/queue",
            Some(&director),
            Some(&body),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&set), sorted([queue, vec!["events"]].concat()));

    let live = server.get("/v1/drafts/shape/state").await;
    assert_eq!(
        keys(&live),
        sorted(vec![
            "draft",
            "state",
            "version",
            "server_time",
            "on_the_clock",
            "clock",
            "time_left_ms",
            "next_deadline",
            "picks_made",
            "total_picks",
            "recent_picks",
            "allowed_actions",
        ])
    );
    assert_eq!(
        keys(&live["on_the_clock"]),
        ["manager", "pick", "round", "team"]
    );
    assert_eq!(live["clock"], "running");

    // The delivery of `draft.started`, to a receiver that is not there.
    let deliveries = format!("/v1/webhooks/{hook_id}/deliveries");
    let delivery = loop {
        let (status, list) = server.send("GET", &deliveries, Some(&director), None).await;
        assert_eq!(status, 200);
        assert_eq!(keys(&list), ["deliveries"]);
        if let Some(first) = list["deliveries"].get(0) {
            break first.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(
        keys(&delivery),
        sorted(vec![
            "id",
            "webhook",
            "sequence",
            "webhook_id",
            "state",
            "attempts",
            "round",
            "last_status",
            "last_error",
            "created_at",
            "updated_at",
            "possibly_sent",
        ])
    );
    assert!(delivery["last_status"].is_null(), "{delivery}");

    // A bracket job: its error is null until it fails, and it names its division.
    server
        .event_with_division(&director, "shape-event", "open")
        .await;
    let answer = server
        .post(
            "/v1/events/shape-event/generate-all-brackets",
            &director,
            Value::Null,
            202,
        )
        .await;
    let job = &answer["jobs"][0];
    assert_eq!(
        keys(job),
        sorted(vec![
            "id",
            "kind",
            "status",
            "attempts",
            "payload",
            "error",
            "division",
            "bracket_state",
        ])
    );
    assert!(job["error"].is_null(), "{job}");
    server.stop().await;
}

/// The routes of events, divisions, tournaments and jobs, and the schema each success answer
/// names.
const EVENT_AND_TOURNAMENT_ANSWERS: &[(&str, &str, &str)] = &[
    ("/v1/events", "post", "EventView"),
    ("/v1/events", "get", "EventList"),
    ("/v1/events/{event_id}", "get", "EventView"),
    ("/v1/events/{event_id}", "patch", "EventView"),
    ("/v1/events/{event_id}/divisions", "post", "DivisionView"),
    ("/v1/events/{event_id}/divisions", "get", "DivisionList"),
    (
        "/v1/events/{event_id}/divisions/{division_id}",
        "get",
        "DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}",
        "patch",
        "DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/participants",
        "post",
        "ParticipantsAdded",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/participants",
        "get",
        "ParticipantList",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/generate",
        "post",
        "GeneratedView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/bracket",
        "get",
        "BracketView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/preview-bracket",
        "post",
        "BracketPreview",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/lock-bracket",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/matches/{match_id}/result",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/edits",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/versions",
        "get",
        "VersionList",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags",
        "get",
        "TagList",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}",
        "put",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/undo",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/redo",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/history",
        "get",
        "TagHistory",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}",
        "get",
        "TagView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}",
        "delete",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/undo",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/redo",
        "post",
        "WithEvents_DivisionView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/tags/{tag}/history",
        "get",
        "TagHistory",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/patches/{patch_id}",
        "get",
        "PatchView",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/versions/{version}/patches",
        "get",
        "PatchChainView",
    ),
    (
        "/v1/events/{event_id}/generate-all-brackets",
        "post",
        "BracketJobs",
    ),
    ("/v1/jobs/{job_id}", "get", "JobView"),
    ("/v1/tournaments", "post", "TournamentView"),
    ("/v1/tournaments", "get", "TournamentList"),
    ("/v1/tournaments/{tournament_id}", "get", "TournamentView"),
    (
        "/v1/tournaments/{tournament_id}",
        "patch",
        "WithEvents_TournamentView",
    ),
    ("/v1/tournaments/{tournament_id}/teams", "get", "TeamList"),
    (
        "/v1/tournaments/{tournament_id}/chat",
        "get",
        "ChatPageView",
    ),
    (
        "/v1/tournaments/{tournament_id}/chat",
        "post",
        "WithEvents_ChatMessageView",
    ),
    (
        "/v1/tournaments/{tournament_id}/chat/{message_id}",
        "delete",
        "WithEvents_ChatMessageView",
    ),
    (
        "/v1/tournaments/{tournament_id}/followers",
        "post",
        "Following",
    ),
    (
        "/v1/tournaments/{tournament_id}/followers",
        "delete",
        "Following",
    ),
    (
        "/v1/tournaments/{tournament_id}/followers",
        "get",
        "FollowerList",
    ),
    (
        "/v1/tournaments/{tournament_id}/teams",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/teams/{team_id}",
        "delete",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}",
        "delete",
        "TournamentDeleted",
    ),
    (
        "/v1/tournaments/{tournament_id}/publish",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/join",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/withdraw",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/register",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/unregister",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/start",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/rounds/{round}/pairings",
        "get",
        "Pairings",
    ),
    (
        "/v1/tournaments/{tournament_id}/matches/{match_id}/result",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/advance",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/standings",
        "get",
        "StandingsView",
    ),
    (
        "/v1/tournaments/{tournament_id}/archive",
        "post",
        "WithEvents_TournamentView",
    ),
    (
        "/v1/tournaments/{tournament_id}/cancel",
        "post",
        "WithEvents_TournamentView",
    ),
];

/// The JSON request bodies of the event, division and tournament routes that are not plain
/// records, and the schema each names.
const EVENT_AND_TOURNAMENT_REQUESTS: &[(&str, &str, &str)] = &[
    (
        "/v1/events/{event_id}/divisions/{division_id}/participants",
        "post",
        "NewParticipants",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/preview-bracket",
        "post",
        "PreviewRequest",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/matches/{match_id}/result",
        "post",
        "ResultBody",
    ),
    (
        "/v1/events/{event_id}/divisions/{division_id}/edits",
        "post",
        "BracketEdit",
    ),
    (
        "/v1/tournaments/{tournament_id}/register",
        "post",
        "NewEntry",
    ),
    ("/v1/tournaments/{tournament_id}", "patch", "EditTournament"),
    ("/v1/tournaments/{tournament_id}/teams", "post", "NewTeam"),
    ("/v1/tournaments/{tournament_id}/chat", "post", "PostChat"),
    (
        "/v1/tournaments/{tournament_id}/matches/{match_id}/result",
        "post",
        "ResultBody",
    ),
];

/// The schema the JSON request body of `method path` refers to, by name.
fn request_schema<'a>(api: &'a Value, path: &str, method: &str) -> &'a str {
    let schema =
        &api["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| {
            panic!("{method} {path}: the request body is not a named schema: {schema}")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_division_and_tournament_bodies_are_named_schemas() {
    let server = Server::start().await;
    let api = server.get("/openapi.json").await;
    for (path, method, expected) in EVENT_AND_TOURNAMENT_ANSWERS {
        let (name, schema) = success_schema(&api, path, method);
        assert_eq!(name, *expected, "{method} {path}");
        assert!(
            !properties(&api, schema).is_empty(),
            "{name} has no properties"
        );
    }
    // No operation of these routes is left out of the list, and every JSON answer and
    // request of theirs is named (the NDJSON export, the streams and the SVG pictures are
    // not JSON; a bracket by its hash is the stored document itself, not a view).
    for (path, item) in api["paths"].as_object().unwrap() {
        let ours = ["/v1/events", "/v1/tournaments", "/v1/jobs"]
            .iter()
            .any(|p| path.starts_with(p))
            && ![
                "/webhooks",
                "/stream",
                "/results",
                "/export",
                "/bracket.svg",
            ]
            .iter()
            .any(|p| path.ends_with(p))
            && !path.ends_with("/brackets/{hash}");
        if !ours {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                EVENT_AND_TOURNAMENT_ANSWERS
                    .iter()
                    .any(|(p, m, _)| p == path && m == method),
                "{method} {path} is not listed"
            );
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            let named = body.is_null()
                || body["$ref"].is_string()
                || body["oneOf"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|s| s["$ref"].is_string()));
            assert!(named, "{method} {path}: request body {body}");
        }
    }
    for (path, method, expected) in EVENT_AND_TOURNAMENT_REQUESTS {
        assert_eq!(
            request_schema(&api, path, method),
            *expected,
            "{method} {path}"
        );
    }
    let participants = &api["paths"]["/v1/events/{event_id}/divisions/{division_id}/participants"]
        ["post"]["requestBody"]["content"];
    assert_eq!(participants["text/csv"]["schema"]["type"], "string");

    let schemas = &api["components"]["schemas"];
    let fields = |name: &str| properties(&api, &schemas[name]);
    let has = |name: &str, wanted: &[&str]| {
        let found = fields(name);
        for field in wanted {
            assert!(found.contains(&(*field).to_owned()), "{name}: no {field}");
        }
    };
    // The flattened views are described with the fields they add.
    let division = [
        "id",
        "event_id",
        "version",
        "state",
        "allowed_actions",
        "rules",
        "current_version",
        "tags",
    ];
    has("DivisionView", &division);
    has(
        "WithEvents_DivisionView",
        &[&division[..], &["events"]].concat(),
    );
    has("ParticipantsAdded", &[&division[..], &["added"]].concat());
    has(
        "GeneratedView",
        &[&division[..], &["events", "dropped_edits"]].concat(),
    );
    let tournament = [
        "id",
        "state",
        "round",
        "rounds",
        "entries",
        "director",
        "self_reporting",
        "starts_at",
        "teams",
    ];
    has("TournamentView", &tournament);
    has("TeamView", &["id", "name", "members"]);
    has(
        "EditTournament",
        &["name", "rules", "min_entries", "max_entries", "starts_at"],
    );
    has("NewTeam", &["id", "name", "members"]);
    has(
        "WithEvents_TournamentView",
        &[&tournament[..], &["events"]].concat(),
    );
    has("ResultBody", &["type", "winner", "score", "correction"]);
    has("StandingsView", &["final", "standings"]);
    // Nested bodies are named too.
    for name in [
        "DroppedEdit",
        "GameView",
        "EventView",
        "JobView",
        "WebhookView",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    assert_eq!(
        schemas["Pairings"]["properties"]["pairings"]["items"]["$ref"],
        "#/components/schemas/GameView"
    );
    assert_eq!(
        schemas["BracketJobs"]["properties"]["jobs"]["items"]["$ref"],
        "#/components/schemas/JobView"
    );
    // A subscription is only in the answer of a request that asks for one.
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .map(|r| r.iter().map(|f| f.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    assert!(!required("BracketJobs").contains(&"webhook".to_owned()));
    assert!(required("ResultBody").contains(&"type".to_owned()));
    // Reads of a division or tournament document their ETag.
    for path in [
        "/v1/events/{event_id}/divisions/{division_id}",
        "/v1/tournaments/{tournament_id}",
    ] {
        assert!(
            api["paths"][path]["get"]["responses"]["200"]["headers"]["ETag"].is_object(),
            "GET {path}: no ETag"
        );
    }
    server.stop().await;
}

/// A GET that answers 200 with its JSON body and its `ETag`.
async fn get_tagged(server: &Server, path: &str) -> (Value, Option<String>) {
    let response = server.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.json().await.unwrap(), etag)
}

/// The events, divisions and tournaments keep the fields they have always answered: `null`
/// where a value is missing, `events` in the answers of writes only, a subscription only
/// when one was asked for, and the `ETag` of the version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_divisions_and_tournaments_keep_their_wire_shape() {
    let server = Server::start_with("memory://", |config| {
        config.webhooks.allow_private = true;
    })
    .await;
    let director = token("director", "director");
    let (status, created) = server
        .send(
            "POST",
            "/v1/events",
            Some(&director),
            Some(&serde_json::json!({"id": "wire", "name": "Wire"})),
        )
        .await;
    assert_eq!(status, 201);
    let event = ["director", "divisions", "id", "name", "version"];
    assert_eq!(keys(&created), event);
    assert_eq!(keys(&server.get("/v1/events/wire").await), event);
    let list = server.get("/v1/events").await;
    assert_eq!(keys(&list), ["events", "limit", "offset"]);
    assert_eq!(keys(&list["events"][0]), event);

    let rules = serde_json::json!({"format": "single_elimination"});
    let body = serde_json::json!({"id": "wd", "name": "WD", "rules": rules, "seed": 3});
    let division = server
        .post("/v1/events/wire/divisions", &director, body, 201)
        .await;
    let view = sorted(vec![
        "id",
        "event_id",
        "name",
        "version",
        "state",
        "allowed_actions",
        "rules",
        "seed",
        "participants",
        "current_version",
        "versions",
        "tags",
    ]);
    assert_eq!(keys(&division), view);
    assert!(division["current_version"].is_null(), "{division}");
    let base = "/v1/events/wire/divisions/wd";
    let (read, etag) = get_tagged(&server, base).await;
    assert_eq!(keys(&read), view);
    assert_eq!(etag, Some(format!("\"v{}\"", read["version"])));
    assert_eq!(
        keys(&server.get("/v1/events/wire/divisions").await),
        ["divisions"]
    );
    let field: Vec<Value> = (1..=5)
        .map(|n| serde_json::json!({"id": format!("p{n}"), "name": format!("P{n}")}))
        .collect();
    let added = server
        .post(
            &format!("{base}/participants"),
            &director,
            Value::Array(field),
            200,
        )
        .await;
    assert_eq!(keys(&added), sorted([view.clone(), vec!["added"]].concat()));
    assert_eq!(added["added"], 5);
    assert_eq!(
        keys(&server.get(&format!("{base}/participants")).await),
        ["participants"]
    );
    let changed = sorted([view.clone(), vec!["events"]].concat());
    let generated = server
        .post(&format!("{base}/generate"), &director, Value::Null, 200)
        .await;
    assert_eq!(
        keys(&generated),
        sorted([view.clone(), vec!["events", "dropped_edits"]].concat())
    );
    let (bracket, etag) = get_tagged(&server, &format!("{base}/bracket")).await;
    assert_eq!(keys(&bracket), ["bracket", "division", "state", "version"]);
    assert_eq!(etag, Some(format!("\"v{}\"", generated["version"])));
    let preview = server
        .post(
            &format!("{base}/preview-bracket"),
            &director,
            serde_json::json!({"overrides": {"seed": 9}}),
            200,
        )
        .await;
    assert_eq!(keys(&preview), ["bracket", "diff", "report", "text"]);
    let swap = serde_json::json!({"type": "swap", "a": "p1", "b": "p2"});
    let edited = server
        .post(&format!("{base}/edits"), &director, swap, 200)
        .await;
    assert_eq!(keys(&edited), changed);
    assert_eq!(
        keys(&server.get(&format!("{base}/versions")).await),
        ["versions"]
    );
    assert_eq!(
        keys(&server.get(&format!("{base}/tags")).await),
        ["can_redo", "can_undo", "tags"]
    );
    let undone = server
        .post(&format!("{base}/tags/undo"), &director, Value::Null, 200)
        .await;
    assert_eq!(keys(&undone), changed);
    assert_eq!(
        keys(&server.get(&format!("{base}/tags/history")).await),
        ["history"]
    );
    assert_eq!(
        keys(&server.get(&format!("{base}/tags/current")).await),
        [
            "can_redo",
            "can_undo",
            "hash",
            "protection",
            "tag",
            "version"
        ]
    );
    assert_eq!(
        keys(&server.get(&format!("{base}/tags/current/history")).await),
        ["history"]
    );
    let chain = server.get(&format!("{base}/versions/2/patches")).await;
    assert_eq!(keys(&chain), ["base", "base_hash", "patches", "version"]);
    let patch_id = chain["patches"][0]["id"].as_str().unwrap();
    assert_eq!(
        keys(&server.get(&format!("{base}/patches/{patch_id}")).await),
        [
            "base_hash",
            "id",
            "parent",
            "patch",
            "result_hash",
            "version",
            "versions"
        ]
    );
    let locked = server
        .post(&format!("{base}/lock-bracket"), &director, Value::Null, 200)
        .await;
    assert_eq!(keys(&locked), changed);

    // Jobs, without a subscription and with one (its secret at creation).
    let jobs = server
        .post(
            "/v1/events/wire/generate-all-brackets",
            &director,
            Value::Null,
            202,
        )
        .await;
    assert_eq!(keys(&jobs), ["jobs", "runs"]);
    let receiver = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let hook = serde_json::json!({"webhook": {"url": format!("http://127.0.0.1:{receiver}/hook")}});
    let jobs = server
        .post(
            "/v1/events/wire/generate-all-brackets",
            &director,
            hook,
            202,
        )
        .await;
    assert_eq!(keys(&jobs), ["jobs", "runs", "webhook"]);
    assert!(jobs["webhook"]["secret"].is_string(), "{jobs}");
    let job = server
        .get(&format!("/v1/jobs/{}", jobs["jobs"][0]["id"]))
        .await;
    assert_eq!(keys(&job), keys(&jobs["jobs"][0]));
    let run = server
        .get(&format!("/v1/runs/{}", jobs["runs"][0]["id"]))
        .await;
    assert_eq!(keys(&run), keys(&jobs["runs"][0]));
    assert_eq!(jobs["runs"][0]["id"], jobs["jobs"][0]["id"]);

    // A bracket tournament of five: byes in round 1.
    let body = serde_json::json!({
        "id": "wt", "name": "WT", "rules": {"options": {"format": "single_elimination"}},
    });
    let created = server.post("/v1/tournaments", &director, body, 201).await;
    let tournament = sorted(vec![
        "id",
        "name",
        "version",
        "state",
        "allowed_actions",
        "round",
        "rounds",
        "rules",
        "entries",
        "director",
        "self_reporting",
        "auto_advance",
        "starts_at",
        "teams",
    ]);
    assert_eq!(keys(&created), tournament);
    assert!(created["rounds"].is_null(), "{created}");
    let (read, etag) = get_tagged(&server, "/v1/tournaments/wt").await;
    assert_eq!(keys(&read), tournament);
    assert_eq!(etag, Some(format!("\"v{}\"", read["version"])));
    let list = server.get("/v1/tournaments").await;
    assert_eq!(keys(&list), ["limit", "offset", "tournaments"]);
    assert_eq!(keys(&list["tournaments"][0]), tournament);
    let changed = sorted([tournament.clone(), vec!["events"]].concat());
    let published = server
        .post("/v1/tournaments/wt/publish", &director, Value::Null, 200)
        .await;
    assert_eq!(keys(&published), changed);
    for n in 1..=4 {
        let bot = token(&format!("b{n}"), "bot");
        let joined = server
            .post("/v1/tournaments/wt/join", &bot, serde_json::json!({}), 200)
            .await;
        assert_eq!(keys(&joined), changed);
    }
    let entry = serde_json::json!({"id": "x", "name": "X"});
    let registered = server
        .post("/v1/tournaments/wt/register", &director, entry, 200)
        .await;
    assert_eq!(keys(&registered), changed);
    let response = server
        .client
        .post(server.url("/v1/tournaments/wt/start"))
        .bearer_auth(&director)
        .send()
        .await
        .unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let started: Value = response.json().await.unwrap();
    assert_eq!(keys(&started), changed);
    assert_eq!(etag, Some(format!("\"v{}\"", started["version"])));
    assert!(started["rounds"].is_u64(), "{started}");

    let pairings = server.get("/v1/tournaments/wt/rounds/1/pairings").await;
    assert_eq!(
        keys(&pairings),
        ["complete", "pairings", "round", "tournament"]
    );
    let games = pairings["pairings"].as_array().unwrap();
    for game in games {
        assert_eq!(
            keys(game),
            ["match_id", "result", "round", "sides", "status"]
        );
        assert!(game["result"].is_null(), "{game}");
    }
    let bye = games.iter().find(|g| g["status"] == "bye").unwrap();
    assert!(bye["sides"][1].is_null(), "{bye}");
    let game = games.iter().find(|g| g["status"] == "ready").unwrap();
    let result = serde_json::json!({"type": "win", "winner": game["sides"][0]});
    let path = format!(
        "/v1/tournaments/wt/matches/{}/result",
        game["match_id"].as_str().unwrap()
    );
    let recorded = server.post(&path, &director, result.clone(), 200).await;
    assert_eq!(keys(&recorded), changed);
    let again = server.post(&path, &director, result, 200).await;
    assert_eq!(again["events"], serde_json::json!([]));
    let standings = server.get("/v1/tournaments/wt/standings").await;
    assert_eq!(
        keys(&standings),
        ["final", "round", "standings", "state", "tournament"]
    );

    // The export: one object per line, named by its type.
    let export = server
        .client
        .get(server.url("/v1/tournaments/wt/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let line = |kind: &str| lines.iter().find(|l| l["type"] == kind).unwrap();
    assert_eq!(
        keys(line("tournament")),
        ["id", "name", "round", "rules", "state", "type"]
    );
    assert_eq!(keys(line("entry")), ["participant", "type"]);
    assert_eq!(
        keys(line("match")),
        ["match_id", "result", "round", "sides", "status", "type"]
    );
    let standing = line("standing");
    assert_eq!(standing["rank"], standings["standings"][0]["rank"]);
    assert_eq!(
        keys(standing),
        sorted([keys(&standings["standings"][0]), vec!["type"]].concat())
    );

    let body = serde_json::json!({
        "id": "gone", "name": "Gone", "rules": {"options": {"format": "round_robin"}},
    });
    server.post("/v1/tournaments", &director, body, 201).await;
    let (status, deleted) = server
        .send("DELETE", "/v1/tournaments/gone", Some(&director), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&deleted), ["deleted", "events", "id"]);
    assert_eq!(deleted["deleted"], true);
    server.stop().await;
}
