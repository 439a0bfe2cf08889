//! A live server on 127.0.0.1:0 and a small JSON client for the HTTP tests.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use athlos_http::server::auth::{mint, Claims};
use athlos_http::server::{self, Config, Running};
use serde_json::Value;

/// The secret the test servers sign with.
pub const SECRET: &str = "test-secret";

/// A running server and a client for it.
pub struct Server {
    pub running: Option<Running>,
    pub base: String,
    pub client: reqwest::Client,
}

/// A database for one test: its URL, and what to drop afterwards.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    File(std::path::PathBuf),
    Postgres { admin: String, name: String },
}

impl TestDatabase {
    /// Removes the SQLite file or drops the PostgreSQL database.
    pub async fn drop_it(self) {
        match self.cleanup {
            Cleanup::None => {}
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin, name } => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A file, unique to this call, that holds runs at their last checkpoint while it exists
/// (`Config::hold_runs`, `serve --hold-runs`); created here, removed by the test to let go.
pub fn hold_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(unique("athlos_hold"));
    std::fs::write(&path, b"hold").unwrap();
    path
}

/// The databases the end-to-end tests run against: in memory, a fresh SQLite file, and a
/// fresh PostgreSQL database made on the server `ATHLOS_TEST_DATABASE_URL` names (unset: a
/// loud skip, or a failure when `CI=true`).
pub async fn databases() -> Vec<TestDatabase> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("athlos_http")));
    let mut out = vec![
        TestDatabase {
            url: "memory://".to_owned(),
            cleanup: Cleanup::None,
        },
        TestDatabase {
            url: format!("sqlite://{}", path.display()),
            cleanup: Cleanup::File(path),
        },
    ];
    match std::env::var("ATHLOS_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = unique("athlos_http");
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = match admin.rfind('/') {
                Some(i) if admin[..i].ends_with(|c: char| c != '/') => admin[..i].to_owned(),
                _ => admin.trim_end_matches('/').to_owned(),
            };
            out.push(TestDatabase {
                url: format!("{base}/{name}"),
                cleanup: Cleanup::Postgres { admin, name },
            });
        }
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ATHLOS_TEST_DATABASE_URL is not set under CI=true: the PostgreSQL HTTP tests cannot run"
            );
            eprintln!(
                "\n*** SKIPPED: PostgreSQL HTTP tests (set ATHLOS_TEST_DATABASE_URL, e.g. postgres://root@127.0.0.1:5432/test) ***\n"
            );
        }
    }
    out
}

/// The test servers' configuration: any free port, the test secret, a quick job poll.
fn config() -> Config {
    Config {
        address: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: SECRET.to_owned(),
        job_poll: Duration::from_millis(20),
        ..Config::default()
    }
}

/// The state of a server over `database` with `config` tweaks.
async fn state(database: &str, tweak: impl FnOnce(&mut Config)) -> server::AppState {
    let mut config = config();
    tweak(&mut config);
    let opened = server::open_store(database).await.unwrap();
    opened.into_state(config, std::sync::Arc::new(athlos_core::clock::SystemClock))
}

impl Server {
    /// Starts a server over `database` with `config` tweaks.
    pub async fn start_with(database: &str, tweak: impl FnOnce(&mut Config)) -> Server {
        Self::start_state(state(database, tweak).await).await
    }

    /// Starts a server in memory that reads the time from `clock`.
    pub async fn start_on_clock(clock: server::SharedClock) -> Server {
        Self::start_on_clock_with("memory://", clock, |_| {}).await
    }

    /// Starts a server over `database` with `config` tweaks that reads the time from `clock`
    /// (its handlers, job worker and deadline scheduler alike).
    pub async fn start_on_clock_with(
        database: &str,
        clock: server::SharedClock,
        tweak: impl FnOnce(&mut Config),
    ) -> Server {
        Self::start_state(state(database, tweak).await.with_clock(clock)).await
    }

    async fn start_state(state: server::AppState) -> Server {
        let running = server::start(state).await.unwrap();
        let base = format!("http://{}", running.address);
        Server {
            running: Some(running),
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Starts a server in memory.
    pub async fn start() -> Server {
        Self::start_with("memory://", |_| {}).await
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request and returns the status and the JSON body (Null when empty).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{path}: server error {status}: {text}");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send("GET", path, None, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST that must answer `expected`.
    /// Creates the tournament `create` describes (as `director`), publishes it, has `bots`
    /// bots `b1`, `b2` … join with their own tokens, and starts it; every step must succeed.
    pub async fn started_with_bots(&self, director: &str, create: Value, bots: u32) {
        let id = create["id"]
            .as_str()
            .expect("the tournament has an id")
            .to_owned();
        self.post("/v1/tournaments", director, create, 201).await;
        let base = format!("/v1/tournaments/{id}");
        self.post(&format!("{base}/publish"), director, Value::Null, 200)
            .await;
        for n in 1..=bots {
            let body = serde_json::json!({"name": format!("Bot {n}")});
            let bot = token(&format!("b{n}"), "bot");
            self.post(&format!("{base}/join"), &bot, body, 200).await;
        }
        self.post(&format!("{base}/start"), director, Value::Null, 200)
            .await;
    }

    /// Creates the event `event` with one single-elimination division `division` (no
    /// participants yet), as `director`.
    pub async fn event_with_division(&self, director: &str, event: &str, division: &str) {
        let body = serde_json::json!({"id": event, "name": format!("Event {event}")});
        self.post("/v1/events", director, body, 201).await;
        self.single_elimination_division(director, event, division)
            .await;
    }

    /// Creates the event `event` with the single-elimination division `division` of
    /// `entries` entries `p1`, `p2` … (named `Entry 1` …) and generates its bracket (version 1),
    /// as `director`.
    pub async fn generated_division(
        &self,
        director: &str,
        event: &str,
        division: &str,
        entries: usize,
    ) {
        self.event_with_division(director, event, division).await;
        let field: Vec<Value> = (1..=entries)
            .map(|i| serde_json::json!({"id": format!("p{i}"), "name": format!("Entry {i}")}))
            .collect();
        let base = format!("/v1/events/{event}/divisions/{division}");
        self.post(
            &format!("{base}/participants"),
            director,
            Value::Array(field),
            200,
        )
        .await;
        self.post(&format!("{base}/generate"), director, Value::Null, 200)
            .await;
    }

    /// Adds the single-elimination division `division` to `event`, as `director`.
    pub async fn single_elimination_division(&self, director: &str, event: &str, division: &str) {
        let body = serde_json::json!({
            "id": division,
            "name": format!("Division {division}"),
            "rules": {"format": "single_elimination"},
        });
        self.post(
            &format!("/v1/events/{event}/divisions"),
            director,
            body,
            201,
        )
        .await;
    }

    /// Polls `GET path` until `done` holds for its answer (at most 60 s); returns it.
    pub async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self.get(path).await;
            if done(&answer) {
                return answer;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path} never got there: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates the event `event` with single-elimination divisions `d0`, `d1` … (`divisions`
    /// of them) of `entries` entries each (`d0-1` …), as `director`.
    pub async fn event_with_divisions(
        &self,
        director: &str,
        event: &str,
        divisions: usize,
        entries: usize,
    ) {
        let body = serde_json::json!({"id": event, "name": format!("Event {event}")});
        self.post("/v1/events", director, body, 201).await;
        for d in 0..divisions {
            let id = format!("d{d}");
            self.single_elimination_division(director, event, &id).await;
            let field: Vec<Value> = (1..=entries)
                .map(|i| serde_json::json!({"id": format!("{id}-{i}"), "name": format!("Entry {i}")}))
                .collect();
            let path = format!("/v1/events/{event}/divisions/{id}/participants");
            self.post(&path, director, Value::Array(field), 200).await;
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value, expected: u16) -> Value {
        let (status, answer) = self.send("POST", path, Some(token), Some(&body)).await;
        assert_eq!(status, expected, "POST {path} {body}: {answer}");
        answer
    }
}

/// Serves `app` on 127.0.0.1 (any free port) in the background, e.g. a webhook receiver;
/// answers its address.
pub async fn serve_on_loopback(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// The PostgreSQL test database alone (the others dropped); `None` when there is none
/// ([`databases`] said why: a loud skip, or a failure under `CI=true`).
pub async fn postgres_only() -> Option<TestDatabase> {
    let mut databases = databases().await;
    let at = databases.iter().position(|d| d.url.starts_with("postgres"));
    let postgres = at.map(|at| databases.remove(at));
    for db in databases {
        db.drop_it().await;
    }
    postgres
}

/// Sends `form` (`application/x-www-form-urlencoded`) to `base` + `path` as `bearer`;
/// answers the status and the JSON body (`null` when not JSON).
pub async fn post_form(base: &str, path: &str, bearer: &str, form: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(bearer)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GETs `base` + `path` asking for `accept`; checks the answer is a 200 and answers its text.
pub async fn get_text(base: &str, path: &str, accept: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Starts an `athlos serve` process on a free port of 127.0.0.1 over `database` (signing
/// with [`SECRET`]), with `args` and `env` added; answers it with its base URL.
pub fn serve_process(
    database: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_athlos"))
        .args(["serve", "--address", "127.0.0.1:0", "--log-format", "json"])
        .args(args)
        .env("ATHLOS_DATABASE_URL", database)
        .env("ATHLOS_JWT_SECRET", SECRET)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("athlos listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, base)
}

/// A token for `sub` with `role`, valid for an hour (or already expired).
pub fn token(sub: &str, role: &str) -> String {
    token_at(sub, role, 3600)
}

pub fn token_at(sub: &str, role: &str, ttl: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    token_from(sub, role, now, ttl)
}

/// A token issued at `now` (seconds since the epoch) for `ttl` seconds (negative: expired).
pub fn token_from(sub: &str, role: &str, now: u64, ttl: i64) -> String {
    let exp = if ttl >= 0 {
        now + ttl as u64
    } else {
        now - (-ttl) as u64
    };
    mint(
        &Claims {
            sub: sub.to_owned(),
            role: role.to_owned(),
            exp,
            iat: now,
        },
        SECRET.as_bytes(),
    )
    .unwrap()
}

/// The ids in a match's two slots (JSON of a bracket match).
pub fn sides(m: &Value) -> Vec<String> {
    m["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["occupant"]["id"].as_str().map(str::to_owned))
        .collect()
}
