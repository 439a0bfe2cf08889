//! Re-pairs every round of the Dutch conformance corpus and compares with the recorded
//! pairings (pairs, colours and the pairing-allocated bye).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use athlos_core::swiss::{check_round, rounds_paired, RoundPairing};
use athlos_core::trf::TrfDocument;

/// Rounds that still differ from the reference engine, as `(file, round)`. The test fails when
/// any other round differs and when a listed round starts agreeing, so this list only shrinks.
const KNOWN_DIVERGENT: &[(&str, u32)] = &[];

fn corpus() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/swiss-dutch");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "conformance corpus missing at {}",
        dir.display()
    );
    eprintln!(
        "\n!!! SKIPPED: Dutch conformance corpus not found at {} !!!\n",
        dir.display()
    );
    None
}

fn expected_rounds(text: &str) -> Vec<RoundPairing> {
    let mut rounds: Vec<RoundPairing> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<u32> = line
            .split('\t')
            .map(|f| f.trim().parse().unwrap())
            .collect();
        let (round, white, black) = (fields[0] as usize, fields[1], fields[2]);
        while rounds.len() < round {
            rounds.push(RoundPairing::default());
        }
        if black == 0 {
            rounds[round - 1].bye = Some(white);
        } else {
            rounds[round - 1].pairs.push((white, black));
        }
    }
    rounds
}

#[test]
fn dutch_corpus_agrees() {
    let Some(dir) = corpus() else { return };
    let only = std::env::var("SWISS_ONLY").ok();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .trf files in {}", dir.display());
    let known: BTreeSet<(String, u32)> = KNOWN_DIVERGENT
        .iter()
        .map(|(f, r)| (f.to_string(), *r))
        .collect();
    let (mut agree, mut total, mut files_agree) = (0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let tournament = TrfDocument::parse(&text).unwrap().to_tournament();
        let expected =
            expected_rounds(&std::fs::read_to_string(file.with_extension("pairings")).unwrap());
        assert_eq!(
            expected.len() as u32,
            rounds_paired(&tournament),
            "{name}: round count"
        );
        let mut file_ok = true;
        for round in 1..=expected.len() as u32 {
            total += 1;
            let outcome = check_round(&tournament, round);
            let same = matches!(outcome, Ok(None));
            if let Ok(Some((recorded, _))) = &outcome {
                assert_eq!(
                    recorded.canonical(),
                    expected[round as usize - 1].canonical(),
                    "{name} round {round}: recorded pairing"
                );
            }
            let listed = known.contains(&(name.clone(), round));
            if same {
                agree += 1;
                if listed {
                    unexpected.push(format!(
                        "{name} round {round}: now agrees, remove it from KNOWN_DIVERGENT"
                    ));
                }
            } else {
                file_ok = false;
                if listed && std::env::var_os("SWISS_SHOW").is_some() {
                    if let Ok(Some((recorded, ours))) = &outcome {
                        eprintln!(
                            "{name} round {round} (known): expected {:?}\n  ours {:?}",
                            recorded.canonical(),
                            ours.canonical()
                        );
                    }
                }
                if !listed {
                    unexpected.push(match outcome {
                        Ok(Some((recorded, ours))) => format!(
                            "{name} round {round}: differs\n  expected {:?}\n  ours     {:?}",
                            recorded.canonical(),
                            ours.canonical()
                        ),
                        Err(e) => format!("{name} round {round}: error {e}"),
                        Ok(None) => unreachable!(),
                    });
                }
            }
        }
        if file_ok {
            files_agree += 1;
        }
    }
    eprintln!(
        "Dutch conformance: {files_agree}/{} files, {agree}/{total} rounds agree",
        files.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected outcomes:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
