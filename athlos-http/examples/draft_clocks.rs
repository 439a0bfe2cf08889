//! Pick clocks under load: many concurrent drafts on two `athlos serve` processes sharing one
//! PostgreSQL database, with managers picking by hand or letting the clock run out, and one
//! process killed with SIGKILL mid-run.
//!
//! The run makes a fresh database on `--database` (dropped at the end unless `--keep`),
//! starts two servers (`--athlos`, the release binary), creates `--drafts` drafts of 12 teams
//! × 15 rounds (a fantasy-football roster and a 288-player pool) and starts them spread over
//! one clock period, so deadlines fall evenly. One task per draft plays its managers: each
//! pick is made by hand at a random moment of the clock (`--manual`), sent right at the
//! deadline to race the clock (`--race`), or left to the clock. Picks go to either server
//! over HTTP with the team manager's token; reads come from the database. After
//! `--kill-after` seconds the second server is killed with SIGKILL; its managers move to the
//! first server. After `--minutes`, the managers stop, the surviving server is stopped, and
//! the log is checked:
//!
//! - every draft's invariants hold (legal rosters, no player twice) and its event log replays
//!   to the stored draft;
//! - each pick number was taken by exactly one event; every manual pick the API accepted is
//!   in the draft as made;
//! - lateness of each auto-pick: when its event was recorded (the committing transaction's
//!   start, PostgreSQL's clock) minus when the clock ran out (the arming event's time plus
//!   the pick time): p50, p99, max and the share within 100 ms, overall and outside the
//!   recovery window; and the recovery: how long after the kill deadlines fired late.
//!
//! ```sh
//! cargo build --release -p athlos-http --bin athlos
//! cargo run --release -p athlos-http --example draft_clocks -- \
//!     --database postgres://postgres@127.0.0.1:5432/test --drafts 10000 --minutes 10
//! ```
//!
//! Prints one JSON object with the figures; exits non-zero if a check fails.

#[path = "../tests/support/processes.rs"]
mod processes;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Parser;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use athlos_core::clock::SystemClock;
use athlos_core::draft::{Command, Draft};
use athlos_core::event::{Event, EventData};
use athlos_core::id::DraftId;
use athlos_core::lifecycle::DraftState;
use athlos_core::model::ParticipantId;
use athlos_core::service::Service;
use athlos_core::store::{AggregateRef, AggregateStore};
use athlos_examples::{fantasy_draft, FANTASY_ROUNDS, FANTASY_TEAMS};
use athlos_http::server::auth::{mint, Claims};
use processes::{summary, wait_ready, Failure, RunDatabase, Server};

/// The run's shape.
#[derive(Debug, Parser)]
struct Args {
    /// The `athlos` binary.
    #[arg(long, default_value = "target/release/athlos")]
    athlos: String,
    /// A PostgreSQL URL whose server gets a fresh database for the run.
    #[arg(long, env = "ATHLOS_TEST_DATABASE_URL")]
    database: String,
    /// Concurrent drafts.
    #[arg(long, default_value_t = 10_000)]
    drafts: usize,
    /// Seconds per pick.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Minutes the managers play.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Share of picks made by hand before the clock runs out.
    #[arg(long, default_value_t = 0.3)]
    manual: f64,
    /// Share of picks sent right at the deadline, racing the clock.
    #[arg(long, default_value_t = 0.02)]
    race: f64,
    /// Seconds after the start at which the second server is killed (negative: never).
    #[arg(long, default_value_t = 300.0)]
    kill_after: f64,
    /// How long a server's claim on a due clock lasts, seconds.
    #[arg(long, default_value_t = 5)]
    claim: u64,
    /// First port of the two servers.
    #[arg(long, default_value_t = 3201)]
    port: u16,
    /// Seed of the managers' choices.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Keep the database afterwards.
    #[arg(long)]
    keep: bool,
}

const SECRET: &str = "draft-clocks-secret";
const TEAMS: u32 = FANTASY_TEAMS;
const ROUNDS: u32 = FANTASY_ROUNDS;

fn manager(draft: &DraftId, team: u32) -> String {
    format!("{draft}/team-{team}")
}

fn token(sub: &str) -> Result<String, Failure> {
    let now = Utc::now().timestamp().max(0) as u64;
    Ok(mint(
        &Claims {
            sub: sub.to_owned(),
            role: "manager".to_owned(),
            exp: now + 24 * 3600,
            iat: now,
        },
        SECRET.as_bytes(),
    )?)
}

fn spawn_server(args: &Args, url: &str, port: u16, log: &str) -> Result<Server, Failure> {
    let env = [
        ("ATHLOS_JWT_SECRET", SECRET.to_owned()),
        ("ATHLOS_DEADLINE_CLAIM", args.claim.to_string()),
    ];
    Server::spawn(
        std::path::Path::new(&args.athlos),
        url,
        &format!("127.0.0.1:{port}"),
        &env,
        std::path::Path::new(log),
    )
}

/// What the managers saw.
#[derive(Default)]
struct Tally {
    manual_sent: AtomicU64,
    manual_accepted: AtomicU64,
    manual_refused: AtomicU64,
    race_sent: AtomicU64,
    race_accepted: AtomicU64,
    transport_errors: AtomicU64,
    failovers: AtomicU64,
    /// Accepted manual picks: (draft, pick number) → player.
    accepted: Mutex<BTreeMap<(String, u32), String>>,
}

struct Shared {
    /// The managers' reads (their own pool, so the run's own commands never wait on them).
    store: athlos_store::AnyStore,
    /// Reads at once (the pool's size).
    reads: tokio::sync::Semaphore,
    read_errors: AtomicU64,
    http: reqwest::Client,
    bases: [String; 2],
    second_dead: AtomicBool,
    stop: AtomicBool,
    tally: Tally,
    args: Args,
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

async fn sleep_until(at: DateTime<Utc>) {
    if let Ok(wait) = (at - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// A fitting player for `team`, chosen at random.
fn choose(draft: &Draft, team: u32, rng: &mut ChaCha8Rng) -> Option<ParticipantId> {
    let pool = draft.settings().pool();
    let start = below(rng, pool.len() as u64) as usize;
    (0..pool.len())
        .map(|k| &pool[(start + k) % pool.len()].id)
        .find(|id| draft.taken_by(id).is_none() && draft.fits(team, id))
        .cloned()
}

/// Plays the managers of draft `index` until the draft completes or the run stops.
async fn play(shared: Arc<Shared>, id: DraftId, index: usize) -> Result<(), Failure> {
    let mut rng = ChaCha8Rng::seed_from_u64(shared.args.seed ^ (index as u64).wrapping_mul(0x9E37));
    let seconds = i64::from(shared.args.seconds);
    let mut last_seen = u32::MAX;
    while !shared.stop.load(Ordering::Relaxed) {
        let read = {
            let _permit = shared.reads.acquire().await?;
            shared.store.draft(&id).await
        };
        let stored = match read {
            Ok(Some(stored)) => stored,
            Ok(None) => return Err(format!("draft {id} vanished").into()),
            Err(_) => {
                shared.read_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let draft = stored.value.draft;
        if draft.state() == DraftState::Completed {
            return Ok(());
        }
        let (Some(clock), Some(deadline)) = (draft.on_the_clock(), draft.next_deadline()) else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        if clock.pick == last_seen {
            // The clock has run out but the pick is not in yet: look again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        last_seen = clock.pick;
        let armed = deadline.at - chrono::Duration::seconds(seconds);
        let roll = unit(&mut rng);
        let send_at = if roll < shared.args.manual {
            Some(
                armed
                    + chrono::Duration::milliseconds(
                        (unit(&mut rng) * 0.9 * seconds as f64 * 1000.0) as i64,
                    ),
            )
        } else if roll < shared.args.manual + shared.args.race {
            Some(deadline.at)
        } else {
            None
        };
        let racing = send_at == Some(deadline.at);
        match send_at {
            Some(at) => {
                sleep_until(at).await;
                if shared.stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                if let Some(player) = choose(&draft, clock.team, &mut rng) {
                    pick(&shared, &id, index, clock.pick, clock.team, &player, racing).await;
                }
            }
            None => sleep_until(deadline.at + chrono::Duration::milliseconds(150)).await,
        }
    }
    Ok(())
}

async fn pick(
    shared: &Shared,
    id: &DraftId,
    index: usize,
    number: u32,
    team: u32,
    player: &ParticipantId,
    racing: bool,
) {
    let tally = &shared.tally;
    if racing {
        tally.race_sent.fetch_add(1, Ordering::Relaxed);
    } else {
        tally.manual_sent.fetch_add(1, Ordering::Relaxed);
    }
    let Ok(token) = token(&manager(id, team)) else {
        return;
    };
    let body = json!({"pick": number, "team": team, "player": player.as_str()});
    let mut server = index % 2;
    for _ in 0..3 {
        if server == 1 && shared.second_dead.load(Ordering::Relaxed) {
            server = 0;
            tally.failovers.fetch_add(1, Ordering::Relaxed);
        }
        let sent = shared
            .http
            .post(format!("{}/v1/drafts/{id}/picks", shared.bases[server]))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                if racing {
                    tally.race_accepted.fetch_add(1, Ordering::Relaxed);
                } else {
                    tally.manual_accepted.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut accepted) = tally.accepted.lock() {
                    accepted.insert((id.to_string(), number), player.to_string());
                }
                return;
            }
            Ok(response) if response.status().is_client_error() => {
                tally.manual_refused.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // A server error or a dead server: the pick may or may not have landed; the
            // check at the end accepts either, but a retry must name the same pick.
            _ => {
                tally.transport_errors.fetch_add(1, Ordering::Relaxed);
                server = 0;
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let database = RunDatabase::create(&args.database, "athlos_draft_clocks").await?;
    let result = run(args, &database.url).await;
    let keep = result.as_ref().map(|(_, keep)| *keep).unwrap_or(false);
    if !keep {
        database.drop_it().await?;
    }
    let (report, _) = result?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report["checks"]["failures"].as_u64() != Some(0) {
        return Err("checks failed".into());
    }
    Ok(())
}

async fn run(args: Args, url: &str) -> Result<(Value, bool), Failure> {
    let keep = args.keep;
    let store = athlos_store::connect(url).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(20))
        .build()?;
    let mut first = spawn_server(&args, url, args.port, "draft_clocks_server1.log")?;
    let mut second = spawn_server(&args, url, args.port + 1, "draft_clocks_server2.log")?;
    wait_ready(&http, &first.base).await?;
    wait_ready(&http, &second.base).await?;

    // Create the drafts (not timed).
    let service = Arc::new(Service::new(store.clone(), SystemClock));
    let created = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut all = Vec::with_capacity(args.drafts);
    for n in 0..args.drafts {
        all.push(fantasy_draft(
            &format!("load-{n:05}"),
            args.seconds,
            &mut rng,
        )?);
    }
    let ids: Vec<DraftId> = all.iter().map(|s| s.id().clone()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in all.chunks(args.drafts.div_ceil(16).max(1)) {
        let service = service.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for settings in chunk {
                let id = settings.id().clone();
                let managers = (0..TEAMS).map(|t| Some(manager(&id, t))).collect();
                service
                    .create_draft(settings, "commissioner", managers)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let create_seconds = created.elapsed().as_secs_f64();
    eprintln!("{} drafts created in {create_seconds:.1} s", args.drafts);

    let shared = Arc::new(Shared {
        store: athlos_store::connect(url).await?,
        reads: tokio::sync::Semaphore::new(12),
        read_errors: AtomicU64::new(0),
        http: http.clone(),
        bases: [first.base.clone(), second.base.clone()],
        second_dead: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        tally: Tally::default(),
        args,
    });
    let args = &shared.args;

    // Start them spread over one clock period, each with its managers.
    let begun = Instant::now();
    let begun_at = Utc::now();
    let spread = Duration::from_secs(u64::from(args.seconds));
    // Each draft starts at its moment of the spread (at most 16 starts in flight), then its
    // managers play.
    let starting = Arc::new(tokio::sync::Semaphore::new(16));
    let late_starts = Arc::new(AtomicU64::new(0));
    let mut managers = tokio::task::JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let offset = spread.mul_f64(index as f64 / ids.len() as f64);
        let (service, shared, starting, late_starts) = (
            service.clone(),
            shared.clone(),
            starting.clone(),
            late_starts.clone(),
        );
        let id = id.clone();
        managers.spawn(async move {
            if let Some(wait) = offset.checked_sub(begun.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            {
                let _permit = starting.acquire().await?;
                service
                    .draft_command(&id, &Command::Start)
                    .await
                    .map_err(|e| format!("{id}: start: {e}"))?;
            }
            if begun.elapsed() > offset + Duration::from_secs(1) {
                late_starts.fetch_add(1, Ordering::Relaxed);
            }
            play(shared, id, index).await
        });
    }
    // Wait until the last one started.
    tokio::time::sleep(spread).await;
    while starting.available_permits() < 16 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    eprintln!(
        "{} drafts started by {:.1} s ({} more than 1 s after their moment)",
        ids.len(),
        begun.elapsed().as_secs_f64(),
        late_starts.load(Ordering::Relaxed)
    );
    // Kill the second server mid-run.
    let mut killed_at = None;
    let run_for = Duration::from_secs_f64(args.minutes * 60.0);
    if args.kill_after >= 0.0 {
        let kill_at = Duration::from_secs_f64(args.kill_after);
        if let Some(wait) = kill_at.checked_sub(begun.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        second.kill()?;
        shared.second_dead.store(true, Ordering::Relaxed);
        killed_at = Some(Utc::now());
        eprintln!(
            "second server killed at {:.1} s",
            begun.elapsed().as_secs_f64()
        );
    }
    if let Some(wait) = run_for.checked_sub(begun.elapsed()) {
        tokio::time::sleep(wait).await;
    }
    shared.stop.store(true, Ordering::Relaxed);
    let ended_at = Utc::now();
    let mut manager_errors = 0u64;
    while let Some(done) = managers.join_next().await {
        if !matches!(done, Ok(Ok(()))) {
            manager_errors += 1;
        }
    }
    // Stop the servers (SIGTERM lets the survivor finish its round).
    first.terminate();
    if killed_at.is_none() {
        second.terminate();
    }

    eprintln!(
        "stopped at {:.1} s; checking the log",
        begun.elapsed().as_secs_f64()
    );
    // The checks.
    let mut failures = Vec::new();
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let rows =
        sqlx::query("SELECT aggregate, event, recorded_at FROM athlos_events ORDER BY sequence")
            .fetch_all(&mut conn)
            .await?;
    let mut logs: BTreeMap<String, Vec<(Event, DateTime<Utc>)>> = BTreeMap::new();
    for row in &rows {
        let aggregate: AggregateRef = serde_json::from_value(row.try_get("aggregate")?)?;
        let event: Event = serde_json::from_value(row.try_get("event")?)?;
        let recorded: DateTime<Utc> = row.try_get("recorded_at")?;
        if let AggregateRef::Draft(id) = aggregate {
            logs.entry(id.to_string())
                .or_default()
                .push((event, recorded));
        }
    }
    let period = chrono::Duration::seconds(i64::from(args.seconds));
    let mut lateness_all = Vec::new();
    let mut lateness_steady = Vec::new();
    // Lateness by when the clock ran out, in windows of one pick period from the start: where
    // in the run the late ones are (the start-up burst, the kill, steady play).
    let mut by_window: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    let mut late_after_kill: f64 = 0.0;
    let mut recovered_after: f64 = 0.0;
    let mut picks_total = 0usize;
    let mut autopicks = 0usize;
    let mut completed = 0usize;
    let accepted = shared
        .tally
        .accepted
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    for id in &ids {
        let Some(stored) = store.draft(id).await? else {
            failures.push(format!("{id}: missing"));
            continue;
        };
        let draft = stored.value.draft;
        if let Err(reason) = draft.check_invariants() {
            failures.push(format!("{id}: {reason}"));
        }
        if draft.state() == DraftState::Completed {
            completed += 1;
        }
        let log = logs.remove(id.as_str()).unwrap_or_default();
        let events: Vec<Event> = log.iter().map(|(e, _)| e.clone()).collect();
        match Draft::replay(draft.settings().clone(), &events) {
            Ok(replayed) if replayed == draft => {}
            Ok(_) => failures.push(format!("{id}: the log replays to another draft")),
            Err(error) => failures.push(format!("{id}: {error}")),
        }
        picks_total += draft.picks().len();
        let mut taken = BTreeMap::new();
        let mut armed: Option<DateTime<Utc>> = None;
        for (event, recorded) in &log {
            let number = match &event.data {
                EventData::DraftStarted { .. } => {
                    armed = Some(event.timestamp);
                    continue;
                }
                EventData::DraftPickMade { pick, .. } => {
                    armed = Some(event.timestamp);
                    *pick
                }
                EventData::DraftAutopicked { pick, .. } => {
                    autopicks += 1;
                    if let Some(armed) = armed {
                        let due = armed + period;
                        let late =
                            (*recorded - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
                        lateness_all.push(late);
                        let window = (due - begun_at).num_seconds().max(0) / period.num_seconds();
                        by_window.entry(window).or_default().push(late);
                        match killed_at {
                            Some(kill)
                                if due
                                    >= kill - chrono::Duration::seconds(args.claim as i64 + 1)
                                    && due <= kill + chrono::Duration::seconds(30) =>
                            {
                                late_after_kill = late_after_kill.max(late);
                                if late > 0.1 {
                                    let since =
                                        (*recorded - kill).num_milliseconds() as f64 / 1000.0;
                                    recovered_after = recovered_after.max(since);
                                }
                            }
                            _ => lateness_steady.push(late),
                        }
                    }
                    armed = Some(event.timestamp);
                    *pick
                }
                _ => continue,
            };
            if taken.insert(number, ()).is_some() {
                failures.push(format!("{id}: pick {number} was taken twice"));
            }
        }
        for pick in draft.picks() {
            if let Some(player) = accepted.get(&(id.to_string(), pick.number)) {
                if pick.auto || pick.player.as_str() != player {
                    failures.push(format!(
                        "{id}: accepted manual pick {} is not in the draft",
                        pick.number
                    ));
                }
            }
        }
        let made: usize = draft.picks().len();
        let promised = accepted.keys().filter(|(d, _)| d == id.as_str()).count();
        if promised > made {
            failures.push(format!(
                "{id}: {promised} accepted manual picks but {made} picks"
            ));
        }
    }
    let tally = &shared.tally;
    let report = json!({
        "drafts": ids.len(),
        "teams": TEAMS,
        "rounds": ROUNDS,
        "seconds_per_pick": args.seconds,
        "minutes": args.minutes,
        "create_seconds": create_seconds,
        "late_starts": late_starts.load(Ordering::Relaxed),
        "started_at": begun_at,
        "ended_at": ended_at,
        "killed_at": killed_at,
        "claim_seconds": args.claim,
        "picks": picks_total,
        "autopicks": autopicks,
        "completed_drafts": completed,
        "manual": {
            "sent": tally.manual_sent.load(Ordering::Relaxed),
            "accepted": tally.manual_accepted.load(Ordering::Relaxed),
            "refused": tally.manual_refused.load(Ordering::Relaxed),
            "race_sent": tally.race_sent.load(Ordering::Relaxed),
            "race_accepted": tally.race_accepted.load(Ordering::Relaxed),
            "transport_errors": tally.transport_errors.load(Ordering::Relaxed),
            "failovers": tally.failovers.load(Ordering::Relaxed),
            "manager_task_errors": manager_errors,
            "read_errors": shared.read_errors.load(Ordering::Relaxed),
        },
        "lateness": summary(&mut lateness_all),
        "lateness_outside_recovery": summary(&mut lateness_steady),
        "lateness_by_window": by_window
            .iter_mut()
            .map(|(window, values)| {
                let mut s = summary(values);
                s["from_second"] = json!(window * period.num_seconds());
                s
            })
            .collect::<Vec<_>>(),
        "recovery": {
            "max_lateness_ms": late_after_kill * 1000.0,
            "late_until_seconds_after_kill": recovered_after,
        },
        "checks": {
            "failures": failures.len(),
            "first": failures.iter().take(10).collect::<Vec<_>>(),
        },
    });
    Ok((report, keep))
}
