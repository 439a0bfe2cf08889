//! The draft board over real HTTP: the board for anyone, the 404 page for an unknown draft,
//! the pick form for the manager on the clock only, form posts refused without the session's
//! CSRF token, refusals shown on the board with their status, and the queue form.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::json;

/// A two-team, two-round linear draft: team 0 managed by `manager`, team 1 by the
/// commissioner alone.
fn league(manager: &str) -> serde_json::Value {
    json!({
        "id": "page-league", "teams": 2, "rounds": 2, "order": "linear",
        "seconds_per_pick": 300,
        "roster": [{"position": "GK", "starters": 1, "max": 1}, {"position": "FW", "starters": 1}],
        "pool": [
            {"id": "gk<1>", "position": "GK", "rank": 1}, {"id": "gk2", "position": "GK", "rank": 2},
            {"id": "fw1", "position": "FW", "rank": 3}, {"id": "fw2", "position": "FW", "rank": 4},
        ],
        "managers": [manager, null],
    })
}

/// A request as a browser sends it (no redirects followed): status, headers, body.
async fn browse(
    server: &Server,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method, server.url(path))
        .header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(form) = form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Signs `username` up through the API and in through the sign-in page, as a browser: its
/// id, its session cookie, and the CSRF token the board's forms carry.
async fn session(server: &Server, username: &str) -> (String, String, String) {
    let password = "correct horse battery";
    let body = json!({"username": username, "password": password, "display_name": username});
    let (status, user) = server.send("POST", "/v1/accounts", None, Some(&body)).await;
    assert_eq!(status, 201, "{user}");
    let form = format!("username={username}&password=correct+horse+battery");
    let (status, headers, _) = browse(server, "POST", "/sign-in", None, Some(&form)).await;
    assert_eq!(status, 303);
    let set = headers["set-cookie"].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let (_, _, html) = browse(server, "GET", "/me", Some(&cookie), None).await;
    let at = html.find("name=\"csrf_token\" value=\"").unwrap() + 25;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    (user["id"].as_str().unwrap().to_owned(), cookie, csrf)
}

/// The status of posting `form` to `path` with `cookie`.
async fn post_status(server: &Server, path: &str, cookie: &str, form: &str) -> u16 {
    browse(server, "POST", path, Some(cookie), Some(form))
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_its_forms_and_their_refusals() {
    let server = Server::start().await;
    let (id, cookie, csrf) = session(&server, "boardman").await;
    let commissioner = token("commish", "director");
    server
        .post("/v1/drafts", &commissioner, league(&id), 201)
        .await;
    let board = "/drafts/page-league";
    let get = |cookie: Option<&str>| {
        let cookie = cookie.map(str::to_owned);
        let server = &server;
        async move { browse(server, "GET", board, cookie.as_deref(), None).await }
    };

    // Unknown drafts and ids that cannot be one answer the 404 page.
    let (status, _, html) = browse(&server, "GET", "/drafts/nope", None, None).await;
    assert_eq!(status, 404);
    assert!(html.contains("There is no draft &#34;nope&#34;"), "{html}");
    let long = format!("/drafts/{}", "x".repeat(300));
    assert_eq!(browse(&server, "GET", &long, None, None).await.0, 404);
    let form = format!("csrf_token={csrf}&pick=1&team=0&player=fw1");
    assert_eq!(
        post_status(&server, "/drafts/nope/pick", &cookie, &form).await,
        404
    );

    // Scheduled: the board says so; the manager has a queue but no pick form.
    let (status, _, html) = get(Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(html.contains("has not started") && html.contains("id=\"queue-heading\""));
    assert!(!html.contains("id=\"pick-heading\""));
    // Every text is escaped.
    assert!(
        html.contains("gk&#60;1&#62;") && !html.contains("gk<1>"),
        "{html}"
    );

    server
        .post(
            "/v1/drafts/page-league/start",
            &commissioner,
            json!({}),
            200,
        )
        .await;
    // A spectator: the clock with its deadline, no form, no token.
    let (status, _, html) = get(None).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-deadline=\"") && html.contains("role=\"timer\""));
    assert!(!html.contains("csrf_token") && !html.contains("<form"));
    // The manager on the clock: the pick form.
    let (_, _, html) = get(Some(&cookie)).await;
    assert!(html.contains("id=\"pick-heading\">Pick<"), "{html}");

    // Posts need the session's CSRF token, and a session.
    let pick = "/drafts/page-league/pick";
    assert_eq!(
        post_status(&server, pick, &cookie, "pick=1&team=0&player=fw1").await,
        403
    );
    let (status, headers, _) = browse(&server, "POST", pick, None, Some(&form)).await;
    assert_eq!(
        (status, &headers["location"]),
        (303, &"/sign-in".parse().unwrap())
    );

    // Refusals: a form that is not a pick (400), a team the viewer does not manage (403).
    let bad = format!("csrf_token={csrf}&pick=first&team=0&player=fw1");
    let (status, _, html) = browse(&server, "POST", pick, Some(&cookie), Some(&bad)).await;
    assert_eq!(status, 400);
    assert!(
        html.contains("role=\"alert\"") && html.contains("refused"),
        "{html}"
    );
    let theirs = format!("csrf_token={csrf}&pick=1&team=1&player=fw1");
    assert_eq!(post_status(&server, pick, &cookie, &theirs).await, 403);

    // The pick, then the same form again: not on the clock any more (409).
    let (status, headers, _) = browse(&server, "POST", pick, Some(&cookie), Some(&form)).await;
    assert_eq!(
        (status, &headers["location"]),
        (303, &board.parse().unwrap())
    );
    let (status, _, html) = browse(&server, "POST", pick, Some(&cookie), Some(&form)).await;
    assert_eq!(status, 409);
    assert!(html.contains("pick 1 is not on the clock"), "{html}");
    assert!(
        !html.contains("id=\"pick-heading\""),
        "team 1 is on the clock"
    );
    let live = server.get("/v1/drafts/page-league/state").await;
    assert_eq!(live["picks_made"], 1);
    assert_eq!(live["recent_picks"][0]["player"], "fw1");

    // The queue: add; then a bad change, a player outside the pool, another team's queue,
    // an unknown team, no CSRF token.
    let queue = "/drafts/page-league/teams/0/queue";
    let add = format!("csrf_token={csrf}&op=add&player=gk2");
    let (status, headers, _) = browse(&server, "POST", queue, Some(&cookie), Some(&add)).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/drafts/page-league#queue-0");
    let (_, _, html) = get(Some(&cookie)).await;
    assert!(html.contains("aria-label=\"Remove gk2\""), "{html}");
    let refusals = [
        (
            queue,
            format!("csrf_token={csrf}&op=shuffle&player=gk2"),
            400,
        ),
        (
            queue,
            format!("csrf_token={csrf}&op=add&player=nobody"),
            422,
        ),
        ("/drafts/page-league/teams/1/queue", add.clone(), 403),
        ("/drafts/page-league/teams/7/queue", add.clone(), 404),
        (queue, "op=add&player=gk2".to_owned(), 403),
    ];
    for (path, form, expected) in refusals {
        assert_eq!(
            post_status(&server, path, &cookie, &form).await,
            expected,
            "{path} {form}"
        );
    }

    // Paused: the time left is frozen (no deadline to count down to), nobody may pick.
    server
        .post(
            "/v1/drafts/page-league/pause",
            &commissioner,
            json!({}),
            200,
        )
        .await;
    let (_, _, html) = get(Some(&cookie)).await;
    assert!(
        html.contains("(paused)") && !html.contains("data-deadline"),
        "{html}"
    );
    assert!(!html.contains("id=\"pick-heading\""));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_script_is_served_and_small() {
    let server = Server::start().await;
    let response = server
        .client
        .get(server.url("/static/draft.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(response.text().await.unwrap().len() <= 4096);
    server.stop().await;
}
