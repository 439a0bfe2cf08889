//! The typed answers of the webhook, draft, job and ops routes: the OpenAPI document names
//! the body of every success answer (a `$ref` to a schema of the components with its
//! properties, never a bare object), and the JSON on the wire keeps its fields, `null`
//! where a value is missing.

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
        serde_json::json!(["queued", "running", "succeeded", "retrying", "failed"])
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
