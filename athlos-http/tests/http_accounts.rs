//! Accounts over real HTTP, on memory, SQLite and PostgreSQL, with the server on a manual
//! clock: sign-up (and its refusals), sign-in with a session cookie and a CSRF token,
//! profiles, API tokens used as bearer tokens and revoked, sign-out, the sign-in throttle,
//! session expiry; and that no answer ever shows a password or a token secret after the one
//! that created it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use athlos_core::clock::ManualClock;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::Server;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap()
}

const ALICE_PASSWORD: &str = "alice-password-1";
const BOB_PASSWORD: &str = "bob-password-22";

/// A response: status, headers, body text.
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

/// A client that records every answer's body, to check afterwards that no secret leaked.
struct Client<'a> {
    server: &'a Server,
    seen: std::sync::Mutex<Vec<String>>,
}

/// How a request authenticates.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// The session cookie and, when given, the CSRF token.
    Session(&'a str, Option<&'a str>),
}

impl Client<'_> {
    async fn call(&self, method: &str, path: &str, auth: Auth<'_>, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.server.client.request(method, self.server.url(path));
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => request = request.bearer_auth(token),
            Auth::Session(cookie, csrf) => {
                request = request.header("cookie", format!("theme=dark; athlos_session={cookie}"));
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf);
                }
            }
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{path}: {status} {text}");
        self.seen.lock().unwrap().push(text.clone());
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn expect(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let answer = self.call(method, path, auth, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text);
        answer.json()
    }

    /// Every body answered so far.
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// The session cookie's value and attributes from a sign-in's answer.
fn session_cookie(answer: &Answer) -> (String, Vec<String>) {
    let header = answer.headers["set-cookie"].to_str().unwrap().to_owned();
    let mut parts = header.split(';').map(|p| p.trim().to_owned());
    let pair = parts.next().unwrap();
    let value = pair.strip_prefix("athlos_session=").unwrap().to_owned();
    (value, parts.collect())
}

async fn sign_in(client: &Client<'_>, username: &str, password: &str) -> Answer {
    let body = json!({"username": username, "password": password});
    client
        .call("POST", "/v1/sessions", Auth::None, Some(body))
        .await
}

#[tokio::test]
async fn accounts_sessions_profiles_and_tokens() {
    for database in common::databases().await {
        let clock = Arc::new(ManualClock::new(start()));
        let server = Server::start_on_clock_with(&database.url, clock.clone(), |_| {}).await;
        let client = Client {
            server: &server,
            seen: std::sync::Mutex::default(),
        };
        let now = || u64::try_from(clock_now(&clock).timestamp()).unwrap();
        let admin = common::token_from("root", "admin", now(), 86_400 * 60);

        // Sign-up: the account, without any secret.
        let alice = client
            .expect(
                "POST",
                "/v1/accounts",
                Auth::None,
                Some(json!({"username": "Alice", "password": ALICE_PASSWORD, "display_name": " Alice L. "})),
                201,
            )
            .await;
        let alice_id = alice["id"].as_str().unwrap().to_owned();
        assert!(alice_id.starts_with('u') && alice_id.len() == 21, "{alice}");
        assert_eq!(
            alice,
            json!({
                "id": alice_id, "username": "Alice", "display_name": "Alice L.", "club": null,
                "nation": null, "rating": null, "role": "user",
                "created": "2031-05-01T12:00:00Z", "version": 1,
            })
        );
        let bob = client
            .expect(
                "POST",
                "/v1/accounts",
                Auth::None,
                Some(json!({"username": "bob", "password": BOB_PASSWORD, "display_name": "Bob"})),
                201,
            )
            .await;
        let bob_id = bob["id"].as_str().unwrap().to_owned();

        // Refusals of sign-up, each with its code; none creates anything.
        let refusals = [
            (
                json!({"username": "ALICE", "password": "another-password", "display_name": "A"}),
                409,
                "username_taken",
            ),
            (
                json!({"username": "carol", "password": "short", "display_name": "C"}),
                422,
                "invalid_password",
            ),
            (
                json!({"username": "c a", "password": "long-enough-1", "display_name": "C"}),
                422,
                "invalid_username",
            ),
            (
                json!({"username": "carol", "password": "long-enough-1", "display_name": " "}),
                422,
                "invalid_display_name",
            ),
            (
                json!({"username": "carol", "password": "long-enough-1"}),
                400,
                "invalid_input",
            ),
            (
                json!({"username": "carol", "password": "long-enough-1", "display_name": "C", "role": "admin"}),
                400,
                "invalid_input",
            ),
        ];
        for (body, status, code) in refusals {
            let refused = client
                .expect(
                    "POST",
                    "/v1/accounts",
                    Auth::None,
                    Some(body.clone()),
                    status,
                )
                .await;
            assert_eq!(refused["code"], code, "{body}: {refused}");
        }
        let carol = sign_in(&client, "carol", "long-enough-1").await;
        assert_eq!(carol.status, 401, "no carol was created");

        // Sign-in: a session cookie with its flags, and a CSRF token.
        let signed_in = sign_in(&client, "aLiCe", ALICE_PASSWORD).await;
        assert_eq!(signed_in.status, 201, "{}", signed_in.text);
        let (cookie, attributes) = session_cookie(&signed_in);
        assert_eq!(cookie.len(), 43);
        assert_eq!(
            attributes,
            ["Path=/", "Max-Age=1209600", "HttpOnly", "SameSite=Lax"]
        );
        let session = signed_in.json();
        assert_eq!(session["user"]["id"], alice_id.as_str());
        assert_eq!(session["expires_at"], "2031-05-15T12:00:00Z");
        let csrf = session["csrf_token"].as_str().unwrap().to_owned();
        // Derived from the session id (so that pages can put it in their forms): 64 hex
        // digits, unlike the id.
        assert!(csrf.len() == 64 && csrf.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(csrf, cookie);

        // A wrong password and an unknown user get the same answer.
        let wrong = sign_in(&client, "alice", "not-her-password").await;
        let unknown = sign_in(&client, "nobody", "not-her-password").await;
        assert_eq!((wrong.status, unknown.status), (401, 401));
        assert_eq!(wrong.json(), unknown.json());
        assert_eq!(wrong.json()["code"], "invalid_credentials");
        assert!(wrong.headers.get("set-cookie").is_none());

        // The session acts as Alice: reads need no CSRF token, writes do.
        let alice_path = format!("/v1/users/{alice_id}");
        let patch = json!({"club": "Oslo SK", "nation": "NOR", "rating": 2012});
        let no_csrf = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, None),
                Some(patch.clone()),
                403,
            )
            .await;
        assert_eq!(no_csrf["code"], "csrf_failed");
        let bad_csrf = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some("guess")),
                Some(patch.clone()),
                403,
            )
            .await;
        assert_eq!(bad_csrf["code"], "csrf_failed");
        assert_eq!(
            client
                .expect("GET", &alice_path, Auth::None, None, 200)
                .await["version"],
            1
        );
        let patched = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(patch),
                200,
            )
            .await;
        assert_eq!(
            (
                patched["club"].clone(),
                patched["nation"].clone(),
                patched["rating"].clone(),
                patched["version"].clone()
            ),
            (json!("Oslo SK"), json!("NOR"), json!(2012), json!(2))
        );
        let cleared = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"rating": null})),
                200,
            )
            .await;
        assert_eq!(
            (cleared["rating"].clone(), cleared["club"].clone()),
            (Value::Null, json!("Oslo SK"))
        );
        let invalid = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"nation": "Norway"})),
                422,
            )
            .await;
        assert_eq!(invalid["code"], "invalid_nation");
        let invalid = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"rating": 4001})),
                422,
            )
            .await;
        assert_eq!(invalid["code"], "invalid_rating");
        // Not someone else's profile, not her own role; an admin changes roles.
        let bob_path = format!("/v1/users/{bob_id}");
        let other = client
            .expect(
                "PATCH",
                &bob_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"display_name": "Bobby"})),
                403,
            )
            .await;
        assert_eq!(other["code"], "forbidden");
        client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"role": "admin"})),
                403,
            )
            .await;
        let promoted = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Bearer(&admin),
                Some(json!({"role": "director"})),
                200,
            )
            .await;
        assert_eq!(promoted["role"], "director");
        let unknown_role = client
            .expect(
                "PATCH",
                &alice_path,
                Auth::Bearer(&admin),
                Some(json!({"role": "superuser"})),
                400,
            )
            .await;
        assert_eq!(unknown_role["field"], "role");
        let missing = client
            .expect("GET", "/v1/users/u0000", Auth::None, None, 404)
            .await;
        assert_eq!(missing["code"], "unknown_user");
        assert_eq!(
            client.expect("GET", &bob_path, Auth::None, None, 200).await["display_name"],
            "Bob"
        );

        // A write with the session: Alice directs what she creates.
        let created = client
            .expect(
                "POST",
                "/v1/tournaments",
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"id": "by-session", "name": "By session", "rules": {"options": {"format": "single_elimination"}}})),
                201,
            )
            .await;
        assert_eq!(created["director"], alice_id.as_str());

        // API tokens: the secret once, then only its name and times.
        let tokens_path = format!("/v1/users/{alice_id}/tokens");
        let made = client
            .expect(
                "POST",
                &tokens_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"name": "laptop"})),
                201,
            )
            .await;
        let secret = made["token"].as_str().unwrap().to_owned();
        let token_id = made["id"].as_str().unwrap().to_owned();
        assert!(
            secret.starts_with(&format!("athlos.{alice_id}.{token_id}.")),
            "{made}"
        );
        assert_eq!(
            (made["name"].clone(), made["created"].clone()),
            (json!("laptop"), json!("2031-05-01T12:00:00Z"))
        );
        let seen_before_use = client.seen().len();
        // Nobody else makes tokens for her, not even an admin; bad names are refused.
        client
            .expect(
                "POST",
                &tokens_path,
                Auth::Bearer(&admin),
                Some(json!({"name": "x"})),
                403,
            )
            .await;
        let nameless = client
            .expect(
                "POST",
                &tokens_path,
                Auth::Session(&cookie, Some(&csrf)),
                Some(json!({"name": ""})),
                422,
            )
            .await;
        assert_eq!(nameless["code"], "invalid_token_name");
        let listed = client
            .expect("GET", &tokens_path, Auth::Session(&cookie, None), None, 200)
            .await;
        assert_eq!(
            listed,
            json!({"tokens": [{"id": token_id, "name": "laptop", "created": "2031-05-01T12:00:00Z", "revoked_at": null}]})
        );
        client
            .expect(
                "GET",
                &tokens_path,
                Auth::Bearer(&common::token_from(&bob_id, "user", now(), 3600)),
                None,
                403,
            )
            .await;
        assert_eq!(
            client
                .expect("GET", &tokens_path, Auth::Bearer(&admin), None, 200)
                .await,
            listed
        );
        // The token acts as Alice (a director now).
        let by_token = client
            .expect(
                "POST",
                "/v1/tournaments",
                Auth::Bearer(&secret),
                Some(json!({"id": "by-token", "name": "By token", "rules": {"options": {"format": "single_elimination"}}})),
                201,
            )
            .await;
        assert_eq!(by_token["director"], alice_id.as_str());
        let forged = secret[..secret.len() - 2].to_owned() + "xx";
        let refused = client
            .expect(
                "DELETE",
                "/v1/tournaments/by-token",
                Auth::Bearer(&forged),
                None,
                401,
            )
            .await;
        assert_eq!(refused["code_detail"], "unknown_token");
        // Revoked: refused from then on; revoking again changes nothing.
        clock.advance(Duration::seconds(30));
        let revoked = client
            .expect(
                "DELETE",
                &format!("{tokens_path}/{token_id}"),
                Auth::Bearer(&secret),
                None,
                200,
            )
            .await;
        assert_eq!(revoked["revoked_at"], "2031-05-01T12:00:30Z");
        let after = client
            .expect(
                "DELETE",
                "/v1/tournaments/by-token",
                Auth::Bearer(&secret),
                None,
                401,
            )
            .await;
        assert_eq!(after["code_detail"], "revoked");
        let again = client
            .expect(
                "DELETE",
                &format!("{tokens_path}/{token_id}"),
                Auth::Session(&cookie, Some(&csrf)),
                None,
                200,
            )
            .await;
        assert_eq!(again["revoked_at"], "2031-05-01T12:00:30Z");
        let unknown_token = client
            .expect(
                "DELETE",
                &format!("{tokens_path}/t0"),
                Auth::Session(&cookie, Some(&csrf)),
                None,
                404,
            )
            .await;
        assert_eq!(unknown_token["code"], "unknown_token");

        // Sign-out needs the CSRF token, removes the cookie and ends the session.
        client
            .expect(
                "DELETE",
                "/v1/sessions/current",
                Auth::Session(&cookie, None),
                None,
                403,
            )
            .await;
        let bearer_out = client
            .expect(
                "DELETE",
                "/v1/sessions/current",
                Auth::Bearer(&admin),
                None,
                401,
            )
            .await;
        assert_eq!(bearer_out["code_detail"], "no_session");
        let out = client
            .call(
                "DELETE",
                "/v1/sessions/current",
                Auth::Session(&cookie, Some(&csrf)),
                None,
            )
            .await;
        assert_eq!(out.status, 204);
        assert_eq!(
            out.headers["set-cookie"],
            "athlos_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        );
        let ended = client
            .expect("GET", &tokens_path, Auth::Session(&cookie, None), None, 401)
            .await;
        assert_eq!(ended["code_detail"], "no_session");

        // A session ends by itself when its lifetime is over.
        let bobs = sign_in(&client, "bob", BOB_PASSWORD).await;
        let (bob_cookie, _) = session_cookie(&bobs);
        let bob_tokens = format!("/v1/users/{bob_id}/tokens");
        client
            .expect(
                "GET",
                &bob_tokens,
                Auth::Session(&bob_cookie, None),
                None,
                200,
            )
            .await;
        clock.advance(Duration::days(14));
        client
            .expect(
                "GET",
                &bob_tokens,
                Auth::Session(&bob_cookie, None),
                None,
                401,
            )
            .await;

        // The throttle: five failures for a username within 15 minutes, then 429 with
        // Retry-After, even with the right password, until the window has passed.
        for _ in 0..5 {
            assert_eq!(sign_in(&client, "BOB", "wrong-password").await.status, 401);
        }
        clock.advance(Duration::seconds(60));
        let limited = sign_in(&client, "bob", BOB_PASSWORD).await;
        assert_eq!(limited.status, 429, "{}", limited.text);
        assert_eq!(limited.headers["retry-after"], "840");
        assert_eq!(limited.json()["code"], "too_many_attempts");
        // The client's address is limited too: another username from it waits as long.
        let other_user = sign_in(&client, "alice", ALICE_PASSWORD).await;
        assert_eq!(other_user.status, 429);
        clock.advance(Duration::seconds(840));
        assert_eq!(sign_in(&client, "bob", BOB_PASSWORD).await.status, 201);

        // No answer after its creation shows a password or a token secret.
        let seen = client.seen();
        for (i, text) in seen.iter().enumerate() {
            for password in [ALICE_PASSWORD, BOB_PASSWORD, "long-enough-1"] {
                assert!(
                    !text.contains(password),
                    "answer {i} shows a password: {text}"
                );
            }
            assert!(!text.contains("argon2"), "answer {i} shows a hash: {text}");
            if i >= seen_before_use {
                let secret_part = secret.rsplit('.').next().unwrap();
                assert!(
                    !text.contains(secret_part),
                    "answer {i} shows the token's secret: {text}"
                );
            }
        }

        // Nor does any stored document: only hashes are kept.
        let secret_part = secret.rsplit('.').next().unwrap().to_owned();
        let secrets = [
            ALICE_PASSWORD,
            BOB_PASSWORD,
            cookie.as_str(),
            csrf.as_str(),
            secret_part.as_str(),
        ];
        let stored = stored_documents(&database.url).await;
        if database.url != "memory://" {
            assert!(stored.len() >= 6, "{} documents", stored.len());
            assert!(stored.iter().any(|d| d.contains("$argon2id$")));
        }
        for document in &stored {
            for secret in secrets {
                assert!(
                    !document.contains(secret),
                    "a document keeps a secret: {document}"
                );
            }
        }

        drop(client);
        server.stop().await;
        database.drop_it().await;
    }
}

/// Every aggregate document a SQL database holds, as text (none for memory).
async fn stored_documents(url: &str) -> Vec<String> {
    use sqlx::Row;
    let sql = "SELECT CAST(document AS TEXT) AS document FROM athlos_aggregates";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows.iter().map(|row| row.get("document")).collect()
    } else if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows.iter().map(|row| row.get("document")).collect()
    } else {
        Vec::new()
    }
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use athlos_core::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_configured_and_the_api_is_documented() {
    let server = Server::start_with("memory://", |config| config.secure_cookies = true).await;
    let client = Client {
        server: &server,
        seen: std::sync::Mutex::default(),
    };
    client
        .expect(
            "POST",
            "/v1/accounts",
            Auth::None,
            Some(json!({"username": "dora", "password": "dora-password", "display_name": "Dora"})),
            201,
        )
        .await;
    let signed_in = sign_in(&client, "dora", "dora-password").await;
    let (_, attributes) = session_cookie(&signed_in);
    assert_eq!(attributes.last().map(String::as_str), Some("Secure"));
    let api = server.get("/openapi.json").await;
    for (path, method) in [
        ("/v1/accounts", "post"),
        ("/v1/sessions", "post"),
        ("/v1/sessions/current", "delete"),
        ("/v1/users/{id}", "get"),
        ("/v1/users/{id}", "patch"),
        ("/v1/users/{id}/tokens", "post"),
        ("/v1/users/{id}/tokens", "get"),
        ("/v1/users/{id}/tokens/{token}", "delete"),
    ] {
        assert!(
            api["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let sign_in_doc = &api["paths"]["/v1/sessions"]["post"]["responses"];
    for status in ["201", "400", "401", "429"] {
        assert!(
            sign_in_doc[status].is_object(),
            "sign-in documents {status}"
        );
    }
    assert!(api["components"]["securitySchemes"]["session"].is_object());
    let user = &api["components"]["schemas"]["UserView"]["properties"];
    assert!(user.get("password_hash").is_none() && user["username"].is_object());
    server.stop().await;
}
