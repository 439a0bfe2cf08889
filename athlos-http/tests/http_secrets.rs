//! Secrets never reach the logs: a live `athlos serve` (the binary, logging at `trace`, JSON
//! lines) signs a user up and in, makes and uses an API token, signs in through the page and
//! makes a token there; no password, session id, CSRF token or token secret appears in
//! anything it wrote, and none but the one shown at creation in any response after.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const PASSWORD: &str = "Sup3r-secret-passw0rd";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_secrets_never_reach_the_logs() {
    let work = std::env::temp_dir().join(format!("athlos-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let database = format!("sqlite://{}/a.db", work.display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_athlos"))
        .args(["serve", "--address", "127.0.0.1:0", "--database", &database])
        .args(["--log-format", "json"])
        .env("ATHLOS_JWT_SECRET", "secrets-test-secret")
        .env("RUST_LOG", "trace")
        .stdout(std::fs::File::create(work.join("out.log")).unwrap())
        .stderr(std::fs::File::create(work.join("err.log")).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut base = String::new();
    for _ in 0..200 {
        let out = std::fs::read_to_string(work.join("out.log")).unwrap_or_default();
        if let Some(line) = out
            .lines()
            .find_map(|l| l.strip_prefix("athlos listening on "))
        {
            base = line.trim().to_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!base.is_empty(), "the server did not start");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = |path: &str| format!("{base}{path}");

    let up = json!({"username": "zed", "password": PASSWORD, "display_name": "Zed"});
    let created = client
        .post(url("/v1/accounts"))
        .json(&up)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.text().await.unwrap();
    let signed = client
        .post(url("/v1/sessions"))
        .json(&json!({"username": "zed", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status().as_u16(), 201);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session_id = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let signed: Value = signed.json().await.unwrap();
    let csrf = signed["csrf_token"].as_str().unwrap().to_owned();
    let user = signed["user"]["id"].as_str().unwrap().to_owned();
    let made: Value = client
        .post(url(&format!("/v1/users/{user}/tokens")))
        .header("cookie", format!("athlos_session={session_id}"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_token = made["token"].as_str().unwrap().to_owned();
    let secret = api_token.rsplit('.').next().unwrap().to_owned();
    let listed = client
        .get(url(&format!("/v1/users/{user}/tokens")))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status().as_u16(), 200);
    let listed = listed.text().await.unwrap();
    // A wrong password and the sign-in page (a form post).
    let wrong = client
        .post(url("/v1/sessions"))
        .json(&json!({"username": "zed", "password": "Wr0ng-password-here"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let page = client
        .post(url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=zed&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 303);

    server.kill().unwrap();
    server.wait().unwrap();
    let logs = std::fs::read_to_string(work.join("out.log")).unwrap()
        + &std::fs::read_to_string(work.join("err.log")).unwrap();
    assert!(
        logs.lines().count() > 10,
        "the server logged at trace: {logs}"
    );
    for (what, secret) in [
        ("password", PASSWORD),
        ("wrong password", "Wr0ng-password-here"),
        ("session id", session_id.as_str()),
        ("CSRF token", csrf.as_str()),
        ("token secret", secret.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
        assert!(
            !created.contains(secret) && !listed.contains(secret),
            "the {what} is in a response after its creation"
        );
    }
    std::fs::remove_dir_all(&work).unwrap();
}
