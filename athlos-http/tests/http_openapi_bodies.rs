//! The OpenAPI document names the body of every success answer of the webhook, draft and
//! ops routes: a `$ref` to a schema of the components, an object with its properties (never
//! a bare object).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Server;
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
