//! Pairing one middle round (round 6 after 5 played, of 9) of a large Swiss event with the
//! Dutch engine, and — when `BBPPAIRINGS` names a bbpPairings binary — the same round with it
//! on the same TRF input, in the same run.
//!
//! `cargo bench -p athlos-core --bench swiss` (sizes from `SWISS_BENCH_SIZES`, default
//! `1000`; e.g. `SWISS_BENCH_SIZES=1000,4000,9999`). When `SWISS_BENCH_OUT` names a directory,
//! the athlos pairing of each size is written there as `swiss-<n>.athlos.txt`.
//!
//! The history is generated deterministically from a seed: players rated in start-number
//! order, each of rounds 1–5 paired by a simple score-ordered greedy rule (no rematches,
//! alternating colours, one pairing-allocated bye per round when the count is odd) and
//! results drawn from the rating difference.

#![allow(clippy::panic)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use athlos_core::seeding::DrawRng;
use athlos_core::swiss::{
    pair_next_round, Acceleration, Colour, GameResult, RoundRecord, SwissField, SwissPlayer,
};
use athlos_core::trf::TrfDocument;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const PLAYED: usize = 5;
const TOTAL: u32 = 9;

fn simulated(n: usize, seed: u64) -> SwissField {
    let mut rng = DrawRng::new(seed);
    let mut players: Vec<SwissPlayer> = (1..=n as u32)
        .map(|number| SwissPlayer {
            number,
            name: format!("Player {number:04}"),
            rating: (2700 - (number as usize * 1500 / n.max(1)) as u16).max(1000),
            rounds: Vec::new(),
        })
        .collect();
    for round in 0..PLAYED {
        let score = |p: &SwissPlayer| p.rounds.iter().map(RoundRecord::half_points).sum::<u32>();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(score(&players[i])), i));
        let mut records: Vec<Option<RoundRecord>> = vec![None; n];
        if n % 2 == 1 {
            let bye = order
                .iter()
                .rev()
                .copied()
                .find(|&i| !players[i].rounds.contains(&RoundRecord::PairingBye))
                .unwrap_or(order[n - 1]);
            records[bye] = Some(RoundRecord::PairingBye);
        }
        let mut open: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| records[i].is_none())
            .collect();
        while let Some(&a) = open.first() {
            open.remove(0);
            let met = |b: usize| {
                players[a]
                    .rounds
                    .iter()
                    .any(|r| matches!(r, RoundRecord::Game { opponent, .. } if *opponent == players[b].number))
            };
            let pick = open.iter().position(|&b| !met(b)).unwrap_or(0);
            if open.is_empty() {
                records[a] = Some(RoundRecord::ZeroBye);
                break;
            }
            let b = open.remove(pick);
            let whites = |i: usize| {
                players[i]
                    .rounds
                    .iter()
                    .filter(|r| {
                        matches!(
                            r,
                            RoundRecord::Game {
                                colour: Colour::White,
                                ..
                            }
                        )
                    })
                    .count()
            };
            let (white, black) =
                if whites(a) < whites(b) || (whites(a) == whites(b) && round % 2 == 0) {
                    (a, b)
                } else {
                    (b, a)
                };
            let gap = i32::from(players[white].rating) - i32::from(players[black].rating);
            let roll = rng.index(1000) as i32;
            let white_wins = 380 + gap.clamp(-400, 400) / 2;
            let (rw, rb) = if roll < white_wins {
                (GameResult::Win, GameResult::Loss)
            } else if roll < white_wins + 300 {
                (GameResult::Draw, GameResult::Draw)
            } else {
                (GameResult::Loss, GameResult::Win)
            };
            records[white] = Some(RoundRecord::Game {
                opponent: players[black].number,
                colour: Colour::White,
                result: rw,
            });
            records[black] = Some(RoundRecord::Game {
                opponent: players[white].number,
                colour: Colour::Black,
                result: rb,
            });
        }
        for (p, r) in players.iter_mut().zip(records) {
            p.rounds.push(r.unwrap_or(RoundRecord::ZeroBye));
        }
    }
    SwissField {
        players,
        total_rounds: TOTAL,
        initial_colour: Colour::White,
        acceleration: Acceleration::None,
        forbidden_pairs: Default::default(),
    }
}

/// The tournament as a TRF-16 file that other pairing programs read.
fn trf(tournament: &SwissField) -> String {
    let mut text = String::from("012 Simulated open\n");
    for p in &tournament.players {
        text.push_str(&format!(
            "001 {:4}      {:<33} {:4}{:28}{:>4} {:>4}\n",
            p.number, p.name, p.rating, "", "0.0", p.number
        ));
    }
    let mut doc = TrfDocument::parse(&text).unwrap_or_else(|e| panic!("generated TRF: {e}"));
    doc.set_rounds(tournament);
    doc.total_rounds = Some(tournament.total_rounds);
    doc.initial_colour = Some(Colour::White);
    doc.write()
}

fn sizes() -> Vec<usize> {
    std::env::var("SWISS_BENCH_SIZES")
        .unwrap_or_else(|_| "1000".to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Times bbpPairings on `file` once; `None` when it is not configured or fails.
fn bbp(file: &PathBuf) -> Option<Duration> {
    let binary = std::env::var_os("BBPPAIRINGS")?;
    let out = file.with_extension("bbp.txt");
    let start = Instant::now();
    let status = Command::new(binary)
        .arg("--dutch")
        .arg(file)
        .arg("-p")
        .arg(&out)
        .status()
        .ok()?;
    let took = start.elapsed();
    status.success().then_some(took)
}

fn round_six(c: &mut Criterion) {
    let mut group = c.benchmark_group("swiss_dutch_round6");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for n in sizes() {
        let tournament = simulated(n, 2026);
        let file = dir.join(format!("swiss-{n}.trf"));
        std::fs::write(&file, trf(&tournament)).unwrap_or_else(|e| panic!("write: {e}"));
        let start = Instant::now();
        let ours = pair_next_round(&tournament).unwrap_or_else(|e| panic!("pairing: {e}"));
        let once = start.elapsed();
        if let Some(out) = std::env::var_os("SWISS_BENCH_OUT") {
            let path = PathBuf::from(out).join(format!("swiss-{n}.athlos.txt"));
            std::fs::write(&path, ours.to_engine_text()).unwrap_or_else(|e| panic!("write: {e}"));
        }
        let theirs = bbp(&file);
        if let Some(t) = theirs {
            let same = std::fs::read_to_string(file.with_extension("bbp.txt"))
                .map(|text| {
                    text == ours.to_engine_text() || same_pairing(&text, &ours.to_engine_text())
                })
                .unwrap_or(false);
            eprintln!(
                "swiss n={n}: athlos {:.3} s, bbpPairings {:.3} s, ratio athlos/bbp {:.3}, same pairing: {same}",
                once.as_secs_f64(),
                t.as_secs_f64(),
                once.as_secs_f64() / t.as_secs_f64()
            );
        } else {
            eprintln!(
                "swiss n={n}: athlos {:.3} s (set BBPPAIRINGS to compare)",
                once.as_secs_f64()
            );
        }
        group.bench_with_input(BenchmarkId::new("athlos", n), &n, |b, _| {
            b.iter(|| pair_next_round(black_box(&tournament)))
        });
    }
    group.finish();
}

/// Compares two engine outputs as sets of lines (board order aside).
fn same_pairing(a: &str, b: &str) -> bool {
    let set = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(|l| l.trim().to_string()).collect();
        lines.sort();
        lines
    };
    set(a) == set(b)
}

criterion_group!(benches, round_six);
criterion_main!(benches);
