//! Runs seeded fantasy drafts with a manual clock and prints throughput figures: each draft
//! has 12 teams and 15 rounds; managers pick by hand or let the clock run out (the
//! scheduler's timeout auto-picks). Every draft is checked (complete, legal rosters, no
//! player twice) and rebuilt from its event log.
//!
//! `cargo run --release -p athlos-examples --example draft -- [DRAFTS] [SEED]`
//! (defaults: 1000 drafts, seed 2026)

use std::error::Error;
use std::time::{Duration as WallDuration, Instant};

use athlos_core::clock::{Clock, ManualClock};
use athlos_core::draft::{Command, Draft, DraftSettings};
use athlos_core::event::Event;
use athlos_core::model::ParticipantId;
use athlos_examples::{fantasy_draft, FANTASY_ROUNDS, FANTASY_TEAMS};
use chrono::{Duration, TimeZone, Utc};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TEAMS: u32 = FANTASY_TEAMS;
const ROUNDS: u32 = FANTASY_ROUNDS;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let drafts: u64 = args.next().map_or(Ok(1000), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(2026), |a| a.parse())?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let mut totals = Totals::default();
    let wall = Instant::now();
    for n in 0..drafts {
        let settings =
            fantasy_draft(&format!("draft-{n}"), 30, &mut rng).map_err(|e| e as Box<dyn Error>)?;
        let (draft, log) = run(settings.clone(), &mut rng, &mut totals.live)?;
        totals.commands += draft.version();
        totals.events += log.len() as u64;
        totals.picks += draft.picks().len() as u64;
        totals.auto += draft.picks().iter().filter(|p| p.auto).count() as u64;

        let started = Instant::now();
        let replayed = Draft::replay(settings, &log)?;
        totals.replay += started.elapsed();
        if replayed != draft {
            return Err(format!("draft {n}: the replayed state differs").into());
        }
        draft
            .check_invariants()
            .map_err(|broken| format!("draft {n}: {broken}"))?;
    }
    let elapsed = wall.elapsed();

    let rate = |count: u64, time: WallDuration| count as f64 / time.as_secs_f64().max(1e-9);
    println!("drafts:            {drafts} ({TEAMS} teams x {ROUNDS} rounds, seed {seed})");
    println!(
        "picks:             {} ({} auto-picked on timeout)",
        totals.picks, totals.auto
    );
    println!("commands applied:  {}", totals.commands);
    println!("events emitted:    {}", totals.events);
    println!(
        "picks applied:     {:.3} s in Draft::apply, {:.0} picks/s",
        totals.live.as_secs_f64(),
        rate(totals.picks, totals.live)
    );
    println!(
        "replay of the log: {:.3} s, {:.0} events/s",
        totals.replay.as_secs_f64(),
        rate(totals.events, totals.replay)
    );
    println!(
        "total incl. setup and checks: {:.3} s",
        elapsed.as_secs_f64()
    );
    Ok(())
}

#[derive(Debug, Default)]
struct Totals {
    picks: u64,
    auto: u64,
    commands: u64,
    events: u64,
    live: WallDuration,
    replay: WallDuration,
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

/// One draft: each pick is made by hand within the clock (70 %) or by the timeout the
/// scheduler fires at the deadline; some teams set queues first.
/// Adds the time spent in [`Draft::apply`] to `engine`; the simulated managers' choices are
/// not counted.
fn run(
    settings: DraftSettings,
    rng: &mut ChaCha8Rng,
    engine: &mut WallDuration,
) -> Result<(Draft, Vec<Event>), Box<dyn Error>> {
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0)
            .single()
            .ok_or("invalid start time")?,
    );
    let mut draft = Draft::new(settings);
    let mut log = Vec::new();
    for team in 0..TEAMS {
        if below(rng, 2) == 0 {
            let pool = draft.settings().pool();
            let players = (0..5)
                .map(|_| pool[below(rng, pool.len() as u64) as usize].id.clone())
                .fold(Vec::new(), |mut queue, id| {
                    if !queue.contains(&id) {
                        queue.push(id);
                    }
                    queue
                });
            log.extend(draft.apply(&Command::SetQueue { team, players }, clock.now())?);
        }
    }
    log.extend(draft.apply(&Command::Start, clock.now())?);
    while let Some(deadline) = draft.next_deadline() {
        let on = draft.on_the_clock().ok_or("no pick on the clock")?;
        let command = if below(rng, 10) < 7 {
            let left = (deadline.at - clock.now()).num_milliseconds().max(1);
            clock.advance(Duration::milliseconds(below(rng, left as u64) as i64));
            // A manager takes one of the best few players that fit.
            let fitting: Vec<&ParticipantId> = draft
                .settings()
                .pool()
                .iter()
                .map(|p| &p.id)
                .filter(|id| draft.fits(on.team, id))
                .take(12)
                .collect();
            let player = fitting
                .get(below(rng, fitting.len() as u64) as usize)
                .ok_or("no fitting player")?;
            Command::Pick {
                pick: on.pick,
                team: on.team,
                player: (*player).clone(),
            }
        } else {
            clock.set(deadline.at);
            Command::Timeout {
                sequence: deadline.sequence,
            }
        };
        let started = Instant::now();
        let events = draft.apply(&command, clock.now())?;
        *engine += started.elapsed();
        log.extend(events);
    }
    Ok((draft, log))
}
