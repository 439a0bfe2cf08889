//! The `athlos serve` and `athlos token` commands as an operator runs them: configuration from
//! the environment, SQLite on disk, a minted token, SIGTERM, and data kept across restarts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn athlos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_athlos"))
}

fn mint(sub: &str) -> String {
    let output = athlos()
        .args(["token", "--sub", sub, "--role", "director"])
        .env("ATHLOS_JWT_SECRET", common::SECRET)
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Sends SIGTERM to the server this test started and waits for a clean exit.
fn terminate(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "athlos serve exited with {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "athlos serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_sqlite_keeps_data_across_a_restart() {
    let path = std::env::temp_dir().join(format!("athlos_serve_{}.db", std::process::id()));
    let database = format!("sqlite://{}", path.display());
    let client = reqwest::Client::new();
    let organiser = mint("organiser");

    let (child, base) = common::serve_process(&database, &[], &[]);
    let ready: Value = client
        .get(format!("{base}/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let created = client
        .post(format!("{base}/v1/events"))
        .bearer_auth(&organiser)
        .json(&json!({"id": "kept", "name": "Kept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    // A token signed with another secret is refused.
    let foreign = athlos()
        .args(["token", "--sub", "organiser", "--jwt-secret", "other"])
        .output()
        .unwrap();
    let foreign = String::from_utf8(foreign.stdout).unwrap();
    let refused = client
        .patch(format!("{base}/v1/events/kept"))
        .bearer_auth(foreign.trim())
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    terminate(child);

    let (child, base) = common::serve_process(&database, &[], &[]);
    let event: Value = client
        .get(format!("{base}/v1/events/kept"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(event["name"], "Kept");
    assert_eq!(event["director"], "organiser");
    let other = client
        .patch(format!("{base}/v1/events/kept"))
        .bearer_auth(mint("someone-else"))
        .json(&json!({"name": "Taken"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 403);
    terminate(child);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
