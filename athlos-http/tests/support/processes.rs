//! `athlos serve` processes for load runs and tests, a fresh PostgreSQL database for a run,
//! and the percentile summaries the load runs print. Shared by `examples/draft_clocks.rs`,
//! `examples/cluster_load.rs` and `tests/http_cluster.rs` (included with `#[path]`).
#![allow(dead_code)]

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Connection;

/// What a load run fails with.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A server process, killed if still running when dropped (a failed run leaves none).
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Starts `athlos` (the binary at `binary`) serving `database` on `address` (port 0: any
    /// free port) with `env` added, its log (JSON, warnings and worse) written to `log`;
    /// answers once it listens.
    ///
    /// # Errors
    /// When it cannot start or does not say where it listens.
    pub fn spawn(
        binary: &Path,
        database: &str,
        address: &str,
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<Server, Failure> {
        let log = std::fs::File::create(log)?;
        let mut child = Command::new(binary)
            .arg("serve")
            .env("ATHLOS_ADDRESS", address)
            .env("ATHLOS_DATABASE_URL", database)
            .env("ATHLOS_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("the server's output is not piped".into());
        };
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        // Whatever else it prints is drained, so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let Some(base) = line.trim().strip_prefix("athlos listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("unexpected first line from the server: {line:?}").into());
        };
        Ok(Server {
            base: base.to_owned(),
            child,
        })
    }

    /// Kills it with SIGKILL and reaps it.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn kill(&mut self) -> Result<(), Failure> {
        self.child.kill()?;
        let _ = self.child.wait();
        Ok(())
    }

    /// Stops it with SIGTERM (it finishes what it started) and waits for it.
    pub fn terminate(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `base` answers `/ready` (at most 30 s).
///
/// # Errors
/// When it is not ready in time.
pub async fn wait_ready(http: &reqwest::Client, base: &str) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        if let Ok(response) = http.get(format!("{base}/ready")).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("{base} not ready after 30 s").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A database made for one run on the PostgreSQL server of an admin URL.
#[derive(Debug)]
pub struct RunDatabase {
    /// The admin URL it was made from.
    pub admin: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl RunDatabase {
    /// Creates the database `<prefix>_<pid>` on the server `admin` (a `postgres://` URL
    /// naming some database) names.
    ///
    /// # Errors
    /// A malformed URL, or the server's.
    pub async fn create(admin: &str, prefix: &str) -> Result<RunDatabase, Failure> {
        let name = format!("{prefix}_{}", std::process::id());
        let server = match admin.rfind('/') {
            Some(i) if admin.starts_with("postgres") && !admin[..i].ends_with('/') => &admin[..i],
            _ => return Err("the database must be a postgres:// URL with a database".into()),
        };
        let url = format!("{server}/{name}");
        let mut conn = sqlx::PgConnection::connect(admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        Ok(RunDatabase {
            admin: admin.to_owned(),
            name,
            url,
        })
    }

    /// Drops it (its connections are closed first).
    ///
    /// # Errors
    /// The server's.
    pub async fn drop_it(&self) -> Result<(), Failure> {
        let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

/// The value at rank `p` (0–1) of `sorted`; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Count, p50, p99 and max (in ms) of `values` (seconds), and the share within 100 ms.
pub fn summary(values: &mut [f64]) -> Value {
    values.sort_by(f64::total_cmp);
    let within = values.iter().filter(|&&v| v <= 0.1).count();
    json!({
        "count": values.len(),
        "p50_ms": percentile(values, 0.5) * 1000.0,
        "p99_ms": percentile(values, 0.99) * 1000.0,
        "max_ms": values.last().copied().unwrap_or(f64::NAN) * 1000.0,
        "within_100ms": if values.is_empty() { f64::NAN } else { within as f64 / values.len() as f64 },
    })
}
