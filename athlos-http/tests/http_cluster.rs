//! Three `athlos serve` processes on one PostgreSQL database under a short load (issue 28):
//! generate-all of 20 divisions, 200 drafts with 5 s pick clocks, 100 stream subscribers and
//! 2 webhooks spread over the three; one server killed with SIGKILL midway (and started
//! again), and every connection to the database terminated once. Nothing may be lost or
//! doubled (the checks, clock lateness reported only, are listed in
//! `support/cluster.rs`, shared with `examples/cluster_load.rs`, the full-size run).
//! PostgreSQL only: a loud skip without `ATHLOS_TEST_DATABASE_URL`, a failure under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/processes.rs"]
mod processes;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_postgres_lose_and_double_nothing() {
    let admin = match std::env::var("ATHLOS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ATHLOS_TEST_DATABASE_URL is not set under CI=true: the cluster test cannot run"
            );
            eprintln!(
                "\n*** SKIPPED: the three-server PostgreSQL test (set ATHLOS_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test) ***\n"
            );
            return;
        }
    };
    // Clock lateness is reported, not asserted, here (a debug build on a shared machine);
    // `cluster_load --short` in release asserts recovery within 5 s. A lost clock (overdue
    // by more than 5 s when its draft is paused) still fails.
    let plan = cluster::Plan {
        enforce_recovery: false,
        ..cluster::Plan::short(env!("CARGO_BIN_EXE_athlos").into(), admin)
    };
    let report = cluster::run(plan).await.unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert_eq!(
        report["checks"]["failures"].as_u64(),
        Some(0),
        "{}",
        report["checks"]
    );
}
