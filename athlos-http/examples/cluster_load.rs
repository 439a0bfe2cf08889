//! Three `athlos serve` processes on one PostgreSQL database under load (issue 28):
//! generate-all of 500 divisions, 10,000 live drafts with pick clocks, 5,000 stream
//! subscribers spread over the three, webhooks to a local receiver; one server killed with
//! SIGKILL midway (and started again), and the database's connections cut once (or, with
//! `--restart-postgres`, PostgreSQL restarted). Then nothing may be lost or doubled, and pick
//! clocks must be on time again within 5 s of each disturbance. The run and its checks are in
//! `tests/support/cluster.rs`, shared with the short version in `tests/http_cluster.rs`.
//!
//! ```sh
//! cargo build --release -p athlos-http --bin athlos
//! cargo run --release -p athlos-http --example cluster_load -- \
//!     --database postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! `--short` runs the test suite's sizes; the other flags shrink or move parts of the run.
//! Prints one JSON object with the figures; exits non-zero if a check fails.

#[path = "../tests/support/cluster.rs"]
mod cluster;
#[path = "../tests/support/processes.rs"]
mod processes;

use std::path::PathBuf;

use clap::Parser;

use cluster::Plan;
use processes::Failure;

/// The run's shape (unset: the issue's sizes, or the short run's with `--short`).
#[derive(Debug, Parser)]
struct Args {
    /// The `athlos` binary.
    #[arg(long, default_value = "target/release/athlos")]
    athlos: PathBuf,
    /// A PostgreSQL URL whose server gets a fresh database for the run.
    #[arg(long, env = "ATHLOS_TEST_DATABASE_URL")]
    database: String,
    /// The test suite's sizes (20 divisions, 200 drafts with 5 s picks, 100 subscribers, 2
    /// webhooks, 30 s).
    #[arg(long)]
    short: bool,
    /// Divisions generated all at once.
    #[arg(long)]
    divisions: Option<usize>,
    /// Live drafts.
    #[arg(long)]
    drafts: Option<usize>,
    /// Seconds per pick.
    #[arg(long)]
    seconds: Option<u32>,
    /// Stream subscribers.
    #[arg(long)]
    subscribers: Option<usize>,
    /// Webhook subscriptions.
    #[arg(long)]
    webhooks: Option<usize>,
    /// Seconds from the first draft's start to the freeze.
    #[arg(long)]
    duration: Option<f64>,
    /// When generate-all is sent, seconds.
    #[arg(long)]
    generate_at: Option<f64>,
    /// When the second server is killed, seconds.
    #[arg(long)]
    kill_at: Option<f64>,
    /// Seconds after the kill at which the killed server starts again.
    #[arg(long)]
    restart_after: Option<f64>,
    /// Leave the killed server down.
    #[arg(long)]
    no_restart: bool,
    /// When the database's connections are cut (or PostgreSQL restarted), seconds.
    #[arg(long)]
    postgres_at: Option<f64>,
    /// Restart the whole PostgreSQL cluster with `pg_ctlcluster` instead of terminating the
    /// run database's connections (disturbs every other user of the cluster).
    #[arg(long)]
    restart_postgres: bool,
    /// How long a server's claim on a due clock lasts, seconds.
    #[arg(long)]
    claim: Option<u64>,
    /// Where the servers' logs go.
    #[arg(long)]
    logs: Option<PathBuf>,
    /// Keep the database afterwards.
    #[arg(long)]
    keep: bool,
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let mut plan = if args.short {
        Plan::short(args.athlos, args.database)
    } else {
        Plan::full(args.athlos, args.database)
    };
    plan.divisions = args.divisions.unwrap_or(plan.divisions);
    plan.drafts = args.drafts.unwrap_or(plan.drafts);
    plan.seconds = args.seconds.unwrap_or(plan.seconds);
    plan.subscribers = args.subscribers.unwrap_or(plan.subscribers);
    plan.webhooks = args.webhooks.unwrap_or(plan.webhooks);
    plan.duration = args.duration.unwrap_or(plan.duration);
    plan.generate_at = args.generate_at.unwrap_or(plan.generate_at);
    plan.kill_at = args.kill_at.unwrap_or(plan.kill_at);
    plan.postgres_at = args.postgres_at.unwrap_or(plan.postgres_at);
    plan.claim = args.claim.unwrap_or(plan.claim);
    plan.logs = args.logs.unwrap_or(PathBuf::from("."));
    plan.restart_postgres = args.restart_postgres;
    plan.keep = args.keep;
    if args.no_restart {
        plan.restart_killed_after = None;
    } else if let Some(after) = args.restart_after {
        plan.restart_killed_after = Some(after);
    }
    let report = cluster::run(plan).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report["checks"]["failures"].as_u64() != Some(0) {
        return Err("checks failed".into());
    }
    Ok(())
}
