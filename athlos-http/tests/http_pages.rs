//! The web pages over real HTTP: HTML with the page headers, content that follows the core
//! (states, filters, the current round), every text escaped, and the 404 page for browsers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{token, Server};
use serde_json::json;

/// The page at `path` as a browser asks for it: status, content type, policy and body.
async fn page(server: &Server, path: &str) -> (u16, String, String, String) {
    let response = server
        .client
        .get(server.url(path))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, policy) = (header("content-type"), header("content-security-policy"));
    let status = response.status().as_u16();
    (status, content_type, policy, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_core_and_escape_every_text() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        let director = token("director", "director");
        let create = json!({"id": "spring", "name": "Spring <b>Open</b> & Co",
            "rules": {"options": {"format": "single_elimination"}}});
        server.started_with_bots(&director, create, 4).await;
        let create = json!({"id": "blitz", "name": "Friday Blitz",
            "rules": {"swiss": {"rounds": 3}}});
        server.post("/v1/tournaments", &director, create, 201).await;

        let (status, content_type, policy, home) = page(&server, "/").await;
        assert_eq!(status, 200, "{}", database.url);
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
        assert!(home.contains("<dt>active</dt><dd><a href=\"/tournaments?state=active\">1</a>"));
        assert!(home.contains("<dt>draft</dt><dd><a href=\"/tournaments?state=draft\">1</a>"));
        // The name is escaped, never markup.
        assert!(
            home.contains("Spring &#60;b&#62;Open&#60;/b&#62; &#38; Co"),
            "{home}"
        );
        assert!(!home.contains("<b>Open</b>"));

        let (status, _, _, list) = page(&server, "/tournaments?format=swiss").await;
        assert_eq!(status, 200);
        assert!(list.contains("Friday Blitz") && !list.contains("Spring"));
        assert!(
            list.contains("<p class=\"meta\">1 tournament</p>"),
            "{list}"
        );
        let (_, _, _, list) = page(&server, "/tournaments?q=OPEN&state=active").await;
        assert!(list.contains("/tournaments/spring") && !list.contains("Blitz"));
        let (_, _, _, list) = page(&server, "/tournaments?state=completed").await;
        assert!(list.contains("No tournament matches these filters."));
        for bad in [
            "/tournaments?state=weird",
            "/tournaments?format=auto",
            "/tournaments?page=x",
        ] {
            let (status, content_type, _, body) = page(&server, bad).await;
            assert_eq!(
                (status, content_type.as_str()),
                (400, "text/html; charset=utf-8"),
                "{bad}"
            );
            assert!(body.contains("<h1>"), "{bad}");
        }

        // Active: the current round's games by name, standings, the bracket; signed out, no
        // action button and no results form.
        let (status, _, _, spring) = page(&server, "/tournaments/spring").await;
        assert_eq!(status, 200);
        assert!(spring.contains("<h2 id=\"round-heading\">Round 1</h2>"));
        assert!(
            spring.contains(
                "<td data-entry=\"b1\">Bot 1</td><td data-entry=\"b4\">Bot 4</td><td class=\"outcome\">ready</td>"
            ),
            "{spring}"
        );
        assert!(!spring.contains("data-action") && !spring.contains("results-heading"));
        assert!(spring.contains("src=\"/v1/tournaments/spring/bracket.svg\""));
        // Draft, signed out: the "not open yet" page, nothing of the tournament's content.
        let (status, _, _, blitz) = page(&server, "/tournaments/blitz").await;
        assert_eq!(status, 200);
        assert!(
            blitz.contains("This tournament has not opened yet"),
            "{blitz}"
        );
        assert!(!blitz.contains("round-heading") && !blitz.contains("entries-heading"));
        assert!(!blitz.contains("data-action") && !blitz.contains("configuration-heading"));

        // Browsers get the 404 page; API clients the JSON error.
        for missing in ["/tournaments/nope", "/no/such/page"] {
            let (status, content_type, _, body) = page(&server, missing).await;
            assert_eq!(
                (status, content_type.as_str()),
                (404, "text/html; charset=utf-8")
            );
            assert!(body.contains("<h1>Not found</h1>"), "{missing}");
        }
        let (status, body) = server.send("GET", "/no/such/page", None, None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

        let css = server
            .client
            .get(server.url("/static/app.css"))
            .send()
            .await
            .unwrap();
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        server.stop().await;
        database.drop_it().await;
    }
}

/// A form post as a browser makes it (no redirects followed): status, headers, body.
async fn post_form(
    server: &Server,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(server.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// The value of the hidden `csrf_token` field of a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf_token\" value=\"").unwrap() + 25;
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_pages_sign_up_in_and_out_with_csrf_tokens() {
    for database in common::databases().await {
        let server = Server::start_with(&database.url, |_| {}).await;
        // A refused sign-up shows the form again with the reason, keeping what was typed
        // except the password.
        let (status, _, html) = post_form(
            &server,
            "/sign-up",
            "username=ivo&display_name=Ivo+%3Cb%3E&password=short",
            &[],
        )
        .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("role=\"alert\"") && html.contains("value=\"ivo\""));
        assert!(html.contains("value=\"Ivo &#60;b&#62;\"") && !html.contains("short"));
        // Malformed forms and other sites' posts are refused, never a server error.
        let (status, _, _) = post_form(&server, "/sign-up", "username=%zz&&=", &[]).await;
        assert!(status == 400 || status == 422, "{status}");
        let evil = [("origin", "http://evil.example")];
        let body = "username=ivo&display_name=Ivo&password=long-enough-password";
        let (status, _, _) = post_form(&server, "/sign-up", body, &evil).await;
        assert_eq!(status, 403);

        // Signed up: signed in, on to "me".
        let host = server.base.trim_start_matches("http://").to_owned();
        let origin = format!("http://{host}");
        let (status, headers, _) =
            post_form(&server, "/sign-up", body, &[("origin", origin.as_str())]).await;
        assert_eq!(status, 303);
        assert_eq!(headers["location"], "/me");
        let set = headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        let me = server
            .client
            .get(server.url("/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status().as_u16(), 200);
        let html = me.text().await.unwrap();
        assert!(html.contains("<h1>My account</h1>") && html.contains(">Sign out</button>"));
        let csrf = csrf_field(&html);

        // The session's posts need its CSRF token.
        let jar = [("cookie", cookie.as_str())];
        let (status, _, _) = post_form(&server, "/me/tokens", "name=ci", &jar).await;
        assert_eq!(status, 403);
        let forged = "csrf_token=0000&name=ci";
        let (status, _, _) = post_form(&server, "/me/tokens", forged, &jar).await;
        assert_eq!(status, 403);
        let made = format!("csrf_token={csrf}&name=ci");
        let (status, _, html) = post_form(&server, "/me/tokens", &made, &jar).await;
        assert_eq!(status, 201, "{html}");
        assert!(html.contains("athlos.u"), "the new token is shown once");

        // Signing out ends the session: "me" sends to the sign-in page.
        let (status, headers, _) =
            post_form(&server, "/sign-out", &format!("csrf_token={csrf}"), &jar).await;
        assert_eq!(status, 303);
        assert!(headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
        let (status, headers, _) = {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let response = client
                .get(server.url("/me"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.headers().clone(), ())
        };
        assert_eq!(
            (status, &headers["location"]),
            (303, &"/sign-in".parse().unwrap())
        );

        // A wrong password: 401 and the form again.
        let wrong = "username=IVO&password=not-the-password";
        let (status, _, html) = post_form(&server, "/sign-in", wrong, &[]).await;
        assert_eq!(status, 401);
        assert!(html.contains("wrong password") && html.contains("value=\"IVO\""));
        let right = "username=ivo&password=long-enough-password";
        let (status, headers, _) = post_form(&server, "/sign-in", right, &[]).await;
        assert_eq!(
            (status, &headers["location"]),
            (303, &"/me".parse().unwrap())
        );
        server.stop().await;
        database.drop_it().await;
    }
}

/// The pages' scripts stay small and plain: under 20 KB in all, and no file of another
/// project among them.
#[test]
fn the_pages_scripts_stay_under_twenty_kilobytes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let mut total = 0;
    let mut scripts = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("static/ is readable") {
        let path = entry.expect("an entry of static/").path();
        if path.extension().is_some_and(|e| e == "js") {
            let text = std::fs::read_to_string(&path).expect("a script is text");
            assert!(
                !text.contains("Copyright") && !text.contains("@license"),
                "{} looks like a vendored file",
                path.display()
            );
            total += text.len();
            scripts.push(path);
        }
    }
    assert!(scripts.len() >= 4, "the live scripts: {scripts:?}");
    assert!(total < 20 * 1024, "{total} bytes of script in {scripts:?}");
}
