//! The event and division pages over real HTTP: 404 pages for unknown events and divisions
//! (and for a division asked for under another event), 400 for a bad `?jobs=`, no forms for
//! someone who directs nothing, and forms that refuse a post without a session, without the
//! CSRF token, or from a viewer the core does not let act — changing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::{json, Value};

/// A client that follows no redirect, as a page's form post is seen.
fn unfollowing() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A browser-like request: `GET` when `form` is `None`, else a form post; no redirects are
/// followed. Answers the status, the `location` header and the body.
async fn browse(
    server: &Server,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    let client = unfollowing();
    let mut request = match form {
        None => client.get(server.url(path)),
        Some(body) => client
            .post(server.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned()),
    };
    request = request.header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// Signs `username` up through the sign-up form: the session cookie and its CSRF token.
async fn signed_up(server: &Server, username: &str) -> (String, String) {
    let origin = server.base.clone();
    let body = format!("username={username}&display_name={username}&password=long-enough-secret");
    let response = unfollowing()
        .post(server.url("/sign-up"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", origin)
        .body(body)
        .send()
        .await
        .unwrap();
    let set = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let (_, _, me) = browse(server, "/me", Some(&cookie), None).await;
    let marker = "name=\"csrf_token\" value=\"";
    let start = me.find(marker).unwrap() + marker.len();
    let csrf = me[start..].split('"').next().unwrap().to_owned();
    (cookie, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_pages_refuse_what_the_core_refuses() {
    let server = Server::start().await;
    let director = token("dora", "director");
    server.event_with_division(&director, "open", "u73").await;
    server.event_with_division(&director, "other", "x1").await;
    let field: Vec<_> = (1..=4)
        .map(|n| json!({"id": format!("p{n}"), "name": format!("P <{n}>")}))
        .collect();
    let path = "/v1/events/open/divisions/u73/participants";
    server.post(path, &director, json!(field), 200).await;

    // Unknown addresses: the 404 page.
    for unknown in [
        "/events/nope",
        "/events/open/divisions/nope",
        "/events/open/divisions/x1",
        "/events/%20/divisions/u73",
    ] {
        let (status, _, html) = browse(&server, unknown, None, None).await;
        assert_eq!(status, 404, "{unknown}");
        assert!(html.contains("<h1>Not found</h1>"), "{unknown}");
    }
    for bad in ["/events/open?jobs=abc", "/events/open?jobs=1,-2"] {
        let (status, _, _) = browse(&server, bad, None, None).await;
        assert_eq!(status, 400, "{bad}");
    }

    // A spectator: the divisions and their states, escaped names, no forms.
    let (status, _, html) = browse(&server, "/events/open", None, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("/events/open/divisions/u73") && html.contains(">none</span>"));
    assert!(!html.contains("Generate all brackets") && !html.contains("<form"));
    let (status, _, html) = browse(&server, "/events/open/divisions/u73", None, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("P &#60;1&#62;") && !html.contains("P <1>"));
    assert!(!html.contains("<form"));

    // Posts: signed out → the sign-in page; without the token → 403; someone who does not
    // direct the event → 403 with the page and the reason; nothing changes.
    let generate = "/events/open/generate-all";
    let (status, location, _) = browse(&server, generate, None, Some("csrf_token=x")).await;
    assert_eq!((status, location.as_str()), (303, "/sign-in"));
    let (cookie, csrf) = signed_up(&server, "sam").await;
    let (status, _, _) = browse(&server, generate, Some(&cookie), Some("")).await;
    assert_eq!(status, 403);
    let form = format!("csrf_token={csrf}");
    let (status, _, html) = browse(&server, generate, Some(&cookie), Some(&form)).await;
    assert_eq!(status, 403);
    assert!(html.contains("You cannot generate this event"), "{html}");
    server
        .post(
            "/v1/events/open/divisions/u73/generate",
            &director,
            json!(null),
            200,
        )
        .await;
    let form = format!("csrf_token={csrf}&max_seeds=2");
    for action in ["preview", "save", "lock", "generate"] {
        let path = format!("/events/open/divisions/u73/{action}");
        let (status, _, html) = browse(&server, &path, Some(&cookie), Some(&form)).await;
        assert_eq!(status, 403, "{action}");
        assert!(html.contains("role=\"alert\""), "{action}");
        let (status, _, _) = browse(&server, &path, Some(&cookie), Some("max_seeds=2")).await;
        assert_eq!(status, 403, "{action} without the token");
    }
    let division = server.get("/v1/events/open/divisions/u73").await;
    assert_eq!(
        (division["state"].as_str(), division["versions"].as_u64()),
        (Some("ready"), Some(1))
    );
    let (_, _, html) = browse(&server, "/events/open", Some(&cookie), None).await;
    assert!(html.contains(">generated</span>") && !html.contains("Generate all brackets"));
    server.stop().await;
}

/// An API write with a page session: its cookie and CSRF token, as the pages' scripts send.
async fn session_write(
    server: &Server,
    (cookie, csrf): &(String, String),
    path: &str,
    body: Value,
) {
    let response = server
        .client
        .post(server.url(path))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_is_saved_only_at_its_version_then_locked() {
    let server = Server::start().await;
    let session = signed_up(&server, "dora").await;
    let (cookie, csrf) = (session.0.as_str(), session.1.as_str());
    session_write(
        &server,
        &session,
        "/v1/events",
        json!({"id": "cup", "name": "Cup"}),
    )
    .await;
    let division = json!({"id": "open", "name": "Open", "rules": {"format": "single_elimination"}});
    session_write(&server, &session, "/v1/events/cup/divisions", division).await;
    let field: Vec<_> = (1..=6)
        .map(|n| json!({"id": format!("p{n}"), "name": format!("P{n}"), "rating": 100 - n}))
        .collect();
    let participants = "/v1/events/cup/divisions/open/participants";
    session_write(&server, &session, participants, json!(field)).await;
    // A draft division has nothing to preview yet: its first bracket is generated.
    let page = "/events/cup/divisions/open";
    let (_, _, html) = browse(&server, page, Some(cookie), None).await;
    assert!(!html.contains("aria-labelledby=\"preview-heading\""));
    assert!(html.contains(">Generate bracket</button>"));
    let token_only = format!("csrf_token={csrf}");
    let generate = format!("{page}/generate");
    let (status, _, _) = browse(&server, &generate, Some(cookie), Some(&token_only)).await;
    assert_eq!(status, 303);
    let (_, _, html) = browse(&server, page, Some(cookie), None).await;
    assert!(
        html.contains("aria-labelledby=\"preview-heading\"") && html.contains(">Lock</button>")
    );
    assert!(!html.contains(">Generate bracket</button>"));

    // The preview: report and diff, nothing saved; the save form carries its version.
    let form = format!("csrf_token={csrf}&seed=42&third_place=yes");
    let (status, _, html) = browse(
        &server,
        &format!("{page}/preview"),
        Some(cookie),
        Some(&form),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Quality report") && html.contains("+++ preview"));
    let marker = "name=\"version\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let version: u64 = html[at..].split('"').next().unwrap().parse().unwrap();
    assert_eq!(
        server.get("/v1/events/cup/divisions/open").await["versions"],
        1
    );
    // A bad override: 422 with the reason, nothing saved; an unknown form: 404.
    let bad = format!("csrf_token={csrf}&format=knockout");
    let (status, _, html) = browse(
        &server,
        &format!("{page}/preview"),
        Some(cookie),
        Some(&bad),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""));
    let (status, _, _) = browse(&server, &format!("{page}/other"), Some(cookie), Some(&form)).await;
    assert_eq!(status, 404);

    // Saved at a stale version: 409, nothing saved; at its version: saved, the same draw.
    let previewed = server
        .post(
            "/v1/events/cup/divisions/open/preview-bracket",
            &token("anyone", "player"),
            json!({"overrides": {"rules": {"third_place": true}, "seed": 42}}),
            200,
        )
        .await;
    let stale = format!("{form}&version={}", version - 1);
    let (status, _, html) =
        browse(&server, &format!("{page}/save"), Some(cookie), Some(&stale)).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("changed since the preview"));
    assert_eq!(
        server.get("/v1/events/cup/divisions/open").await["versions"],
        1
    );
    let fresh = format!("{form}&version={version}");
    let (status, location, _) =
        browse(&server, &format!("{page}/save"), Some(cookie), Some(&fresh)).await;
    assert_eq!((status, location.as_str()), (303, page));
    let saved = server.get("/v1/events/cup/divisions/open/bracket").await;
    assert_eq!(saved["bracket"], previewed["bracket"]);
    assert_eq!(saved["version"], 2);

    // Locked: then neither lock nor preview again.
    let (status, _, _) = browse(
        &server,
        &format!("{page}/lock"),
        Some(cookie),
        Some(&token_only),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        server.get("/v1/events/cup/divisions/open").await["state"],
        "locked"
    );
    for action in ["lock", "preview", "save", "generate"] {
        let (status, _, html) = browse(
            &server,
            &format!("{page}/{action}"),
            Some(cookie),
            Some(&fresh),
        )
        .await;
        assert_eq!(status, 403, "{action}");
        assert!(html.contains("You cannot"), "{action}");
    }
    server.stop().await;
}
