//! A short run of every fuzz target (the bodies in `athlos_core::testing::fuzz`, which the
//! cargo-fuzz binaries in `fuzz/` call too): each replays its seed corpus from `fuzz/seeds/`
//! and then deterministic pseudo-random inputs (seeds with bytes flipped, inserted, removed
//! and spliced, and plain random bytes). Any invariant broken or panic fails the test with the
//! input, ready to be kept as a regression test. `scripts/fuzz` runs the long version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use athlos_core::testing::fuzz::{Target, TARGETS};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Pseudo-random inputs per target, on top of the seeds.
fn cases(target: &str) -> usize {
    match target {
        // Each input pairs a round three times: fewer, larger inputs.
        "swiss_pair" => 600,
        "bracket_progression" | "tiebreak_standings" => 1500,
        _ => 3000,
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// One mutated input: a seed (or nothing) changed in a few random ways.
fn mutate(seeds: &[Vec<u8>], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let below = |rng: &mut ChaCha8Rng, n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    let mut input = if seeds.is_empty() || below(rng, 8) == 0 {
        let len = below(rng, 200);
        (0..len).map(|_| rng.next_u32() as u8).collect()
    } else {
        seeds[below(rng, seeds.len())].clone()
    };
    for _ in 0..=below(rng, 6) {
        let at = below(rng, input.len() + 1);
        match below(rng, 8) {
            0 if !input.is_empty() => {
                let i = at.min(input.len() - 1);
                input[i] ^= 1 << below(rng, 8);
            }
            1 => input.insert(at, rng.next_u32() as u8),
            2 if at < input.len() => {
                let end = (at + below(rng, 16)).min(input.len());
                input.drain(at..end);
            }
            3 if !seeds.is_empty() => {
                let other = &seeds[below(rng, seeds.len())];
                let from = below(rng, other.len() + 1);
                let end = (from + below(rng, 64)).min(other.len());
                input.splice(at..at, other[from..end].iter().copied());
            }
            4 => input.insert(at, b"0123456789 -+=.:,\nwbWBHFUZ"[below(rng, 26)]),
            6 => {
                let text = [
                    "\u{e9}",
                    "\u{2028}",
                    "\u{1f3c6}",
                    "\r\n",
                    "001",
                    "XXR",
                    "0000 - U",
                ];
                let text = text[below(rng, text.len())].as_bytes();
                input.splice(at..at, text.iter().copied());
            }
            5 if !input.is_empty() => {
                let i = at.min(input.len() - 1);
                input[i] = [0, 1, 0x7f, 0x80, 0xff, b'\r'][below(rng, 6)];
            }
            _ => input.truncate(at),
        }
    }
    input
}

fn run(name: &str, body: Target) {
    let seeds = seeds(name);
    assert!(!seeds.is_empty(), "{name} has no seeds");
    let check = |input: &[u8]| {
        let outcome = std::panic::catch_unwind(|| body(input));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(violation)) => panic!("{name}: {violation}\ninput: {input:?}"),
            Err(_) => panic!("{name} panicked on input: {input:?}"),
        }
    };
    for seed in &seeds {
        check(seed);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_f022);
    for _ in 0..cases(name) {
        check(&mutate(&seeds, &mut rng));
    }
}

#[test]
fn every_target_has_a_binary_and_seeds() {
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml"),
    )
    .unwrap();
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no binary {name}"
        );
        assert!(!seeds(name).is_empty(), "no seeds for {name}");
    }
}

macro_rules! smoke {
    ($($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (name, body) = TARGETS
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .copied()
                    .unwrap();
                run(name, body);
            }
        )+
    };
}

smoke!(
    import_csv,
    import_json,
    bracket_document,
    bracket_progression,
    trf_parse,
    swiss_pair,
    tiebreak_standings,
    lifecycle_actions,
);
