//! FIDE tie-breaks against the values of FIDE's reference implementation (TieBreakServer):
//! - the 60 tournaments of the Swiss corpus in both editions of C.07
//!   (`../shared/conformance/tiebreaks/`, skipped loudly when absent, a failure under `CI=true`);
//! - the cases pinned in `tests/data/tiebreaks/` (round robins, withdrawals, late entries, byes,
//!   forfeits, 3-1-0 and 2-1-0 points; README there), every tie-break the reference computes.
//!
//! Every value of every player must agree; a failure lists the first disagreements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use athlos_core::tiebreak::{standings, Edition, EventKind, Options, Tiebreak, Value};
use athlos_core::trf::TrfDocument;

fn shared(dir: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(dir);
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "conformance data missing at {}",
        path.display()
    );
    eprintln!(
        "\n!!! SKIPPED: tie-break conformance data not found at {} !!!\n",
        path.display()
    );
    None
}

/// A reference value: a decimal, or `-0`/empty for "no value".
fn reference_value(text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() || t == "-0" || t == "None" {
        return None;
    }
    let negative = t.starts_with('-');
    let t = t.trim_start_matches('-');
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let frac = format!("{:0<2}", frac.trim_end_matches('0'));
    assert!(frac.len() == 2, "unexpected reference value {text:?}");
    let v = whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    Some(Value(if negative { -v } else { v }))
}

/// Compares one reference table with our standings; returns the disagreements and the number
/// of values compared.
fn compare(
    name: &str,
    trf: &str,
    tsv: &str,
    edition: Edition,
    kind: Option<EventKind>,
) -> (Vec<String>, usize) {
    compare_with(name, trf, tsv, edition, kind, None)
}

fn compare_with(
    name: &str,
    trf: &str,
    tsv: &str,
    edition: Edition,
    kind: Option<EventKind>,
    unrated_rating: Option<u16>,
) -> (Vec<String>, usize) {
    let document = TrfDocument::parse(trf).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut lines = tsv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    // Columns after StartNo and Rank; PTS is the points column.
    let codes: Vec<&str> = header[2..].to_vec();
    let order: Vec<Tiebreak> = codes
        .iter()
        .filter(|c| **c != "PTS")
        .map(|c| Tiebreak::parse(c).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    let mut options = Options::for_trf(&document);
    options.edition = edition;
    if let Some(kind) = kind {
        options.kind = kind;
    }
    options.unrated_rating = unrated_rating;
    let rows = standings(&document.to_tournament(), &order, &options);
    let mut problems = Vec::new();
    let mut compared = 0;
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let number: u32 = fields[0].trim().parse().unwrap();
        let row = rows
            .iter()
            .find(|r| r.number == number)
            .unwrap_or_else(|| panic!("{name}: no row for player {number}"));
        let mut ours = row.tiebreaks.values();
        for (code, text) in codes.iter().zip(&fields[2..]) {
            let expected = reference_value(text);
            let got = if *code == "PTS" {
                Some(row.points)
            } else {
                ours.next().unwrap()
            };
            compared += 1;
            if got != expected {
                problems.push(format!(
                    "{name} ({edition}) player {number} {code}: ours {}, reference {}",
                    got.map_or("none".into(), |v| v.to_string()),
                    expected.map_or("none".into(), |v| v.to_string()),
                ));
            }
        }
    }
    (problems, compared)
}

fn report(what: &str, problems: &[String], compared: usize) {
    eprintln!(
        "{what}: {} of {compared} values agree",
        compared - problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} values differ from the reference, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn swiss_corpus_agrees_with_the_reference_in_both_editions() {
    let Some(tiebreaks) = shared("tiebreaks") else {
        return;
    };
    let Some(swiss) = shared("swiss-dutch") else {
        return;
    };
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut files = 0;
    for (folder, edition) in [
        ("fide-2026", Edition::Fide2026),
        ("fide-2024", Edition::Fide2024),
    ] {
        let mut tables: Vec<PathBuf> = std::fs::read_dir(tiebreaks.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
            .collect();
        tables.sort();
        assert_eq!(tables.len(), 60, "{folder}: expected 60 tables");
        for table in tables {
            let stem = table.file_stem().unwrap().to_string_lossy().to_string();
            let trf = std::fs::read_to_string(swiss.join(format!("{stem}.trf"))).unwrap();
            let tsv = std::fs::read_to_string(&table).unwrap();
            let (p, c) = compare(&format!("{folder}/{stem}"), &trf, &tsv, edition, None);
            problems.extend(p);
            compared += c;
            files += 1;
        }
    }
    report(
        &format!("Tie-break conformance: {files} tables"),
        &problems,
        compared,
    );
}

fn pinned() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiebreaks")
}

fn pinned_cases() -> Vec<String> {
    let manifest = std::fs::read_to_string(pinned().join("cases.tsv")).unwrap();
    manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn pinned_cases_agree_with_the_reference() {
    let dir = pinned();
    let cases = pinned_cases();
    assert!(cases.len() >= 20, "the pinned cases are missing");
    let mut problems = Vec::new();
    let mut compared = 0;
    for name in &cases {
        let trf = read(&dir.join(format!("{name}.trf")));
        let kind = if name.starts_with("rr-") {
            EventKind::RoundRobin
        } else {
            EventKind::Swiss
        };
        // The round robins declare themselves on their 092 line; check that it is read.
        let document = TrfDocument::parse(&trf).unwrap();
        assert_eq!(Options::for_trf(&document).kind, kind, "{name}: event kind");
        for (suffix, edition) in [
            ("fide-2026", Edition::Fide2026),
            ("fide-2024", Edition::Fide2024),
            ("de.fide-2026", Edition::Fide2026),
        ] {
            let tsv = read(&dir.join(format!("{name}.{suffix}.tsv")));
            let (p, c) = compare(&format!("{name}.{suffix}"), &trf, &tsv, edition, None);
            problems.extend(p);
            compared += c;
        }
    }
    report(
        &format!("Pinned tie-break cases: {}", cases.len()),
        &problems,
        compared,
    );
}

#[test]
fn unrated_players_leave_the_rating_tiebreaks_empty_unless_a_rating_stands_in() {
    let dir = pinned();
    let trf = read(&dir.join("unrated-sw-15p7r.trf"));
    let mut problems = Vec::new();
    let mut compared = 0;
    for (table, unrated) in [
        ("unrated-sw-15p7r.fide-2026.tsv", None),
        ("unrated-sw-15p7r.u1000.fide-2026.tsv", Some(1000)),
    ] {
        let tsv = read(&dir.join(table));
        let (p, c) = compare_with(table, &trf, &tsv, Edition::Fide2026, None, unrated);
        problems.extend(p);
        compared += c;
    }
    report("Unrated players", &problems, compared);
}
