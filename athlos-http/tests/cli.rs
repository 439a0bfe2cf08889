//! The `athlos` binary end to end: outputs, golden files and exit codes.
//!
//! `UPDATE_GOLDEN=1` rewrites the golden files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

fn athlos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_athlos"))
        .args(args)
        .output()
        .expect("the athlos binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing {} ({e}); run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{} differs; run with UPDATE_GOLDEN=1 and review the diff\n--- actual\n{actual}",
        path.display()
    );
}

/// Exit code 2 with exactly one line on stderr and nothing on stdout.
fn assert_refused(args: &[&str], needle: &str) {
    let output = athlos(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed to stdout");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
}

#[test]
fn serve_refuses_a_webhook_window_outside_1_to_64() {
    for window in ["0", "65", "many"] {
        assert_refused(&["serve", "--webhook-window", window], "--webhook-window");
    }
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("athlos-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    path
}

#[test]
fn judo27_demo_is_byte_identical_and_pinned() {
    let text = stdout(&athlos(&["demo", "judo27"]));
    assert_eq!(text, stdout(&athlos(&["demo", "judo27"])));
    assert_golden("judo27.txt", &text);

    let json = stdout(&athlos(&["demo", "judo27", "--json"]));
    assert_eq!(json, stdout(&athlos(&["demo", "judo27", "--json"])));
    assert_golden("judo27.json", &json);

    let other = stdout(&athlos(&["demo", "judo27", "--seed", "7"]));
    assert_ne!(
        text, other,
        "another seed draws the unseeded athletes differently"
    );
}

#[test]
fn bracket_outputs_for_every_format() {
    for format in [
        "single",
        "double",
        "repechage",
        "round-robin",
        "groups",
        "auto",
    ] {
        let json = stdout(&athlos(&[
            "bracket", "--format", format, "--size", "9", "--json",
        ]));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["participants"].as_array().unwrap().len(),
            9,
            "{format}"
        );
        let text = stdout(&athlos(&["bracket", "--format", format, "--size", "9"]));
        assert!(text.lines().count() > 3, "{format}: {text}");
        let report = stdout(&athlos(&[
            "bracket", "--format", format, "--size", "9", "--report",
        ]));
        assert!(report.starts_with("Draw quality: "), "{format}: {report}");
    }
}

/// `--svg` prints the core's picture of the bracket it draws: the same bytes as the core's
/// golden picture of the same field, options and seed, and as `to_svg` of its `--json`.
#[test]
fn bracket_svg_is_the_cores_picture() {
    let golden =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../athlos-core/tests/golden/bracket/svg");
    let read = |suffix: &str| {
        std::fs::read_to_string(golden.join(format!("single_elimination_{suffix}"))).unwrap()
    };
    // The field of the core's golden pictures, as its pinned document lists it.
    let document: serde_json::Value = serde_json::from_str(&read("in_play.json")).unwrap();
    let path = temp_file("svg-field.json", &document["participants"].to_string());
    let args = [
        "bracket",
        "--format",
        "single",
        "--third-place",
        "--seed",
        "7",
        "--participants",
        path.to_str().unwrap(),
    ];
    let svg = stdout(&athlos(&[&args[..], &["--svg"]].concat()));
    assert_eq!(svg, read("fresh.svg"));
    assert!(svg.contains("Chen Wei &amp; Co"));

    for format in ["double", "repechage", "round-robin", "groups"] {
        let args = ["bracket", "--format", format, "--size", "9"];
        let svg = stdout(&athlos(&[&args[..], &["--svg"]].concat()));
        let json = stdout(&athlos(&[&args[..], &["--json"]].concat()));
        let bracket: athlos_core::bracket::Bracket = serde_json::from_str(&json).unwrap();
        assert_eq!(svg, bracket.to_svg(), "{format}");
        assert!(
            svg.starts_with("<?xml") && svg.ends_with("</svg>\n"),
            "{format}"
        );
    }
    assert_refused(
        &[
            "bracket", "--format", "single", "--size", "4", "--svg", "--json",
        ],
        "cannot be used with",
    );
}

#[test]
fn participants_from_csv_and_json_files() {
    let csv = temp_file(
        "field.csv",
        "id,name,club,rating\na,Ann,X,2000\nb,Bea,X,1900\nc,Cid,Y,1800\nd,Dan,Y,1700\n",
    );
    let from_csv = stdout(&athlos(&[
        "bracket",
        "--format",
        "single",
        "--participants",
        csv.to_str().unwrap(),
        "--json",
    ]));
    let json = temp_file(
        "field.json",
        r#"[{"id":"a","name":"Ann","club":"X","rating":2000},{"id":"b","name":"Bea","club":"X","rating":1900},
            {"id":"c","name":"Cid","club":"Y","rating":1800},{"id":"d","name":"Dan","club":"Y","rating":1700}]"#,
    );
    let from_json = stdout(&athlos(&[
        "bracket",
        "--format",
        "single",
        "--participants",
        json.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(from_csv, from_json);
}

#[test]
fn bad_input_exits_2_with_one_clear_message() {
    assert_refused(
        &["bracket", "--format", "swiss", "--size", "8"],
        "invalid value 'swiss'",
    );
    assert_refused(
        &["bracket", "--format", "single", "--size", "1"],
        "--size must be from 2",
    );
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--size",
            "8",
            "--max-seeds",
            "9",
        ],
        "max_seeds 9 is larger than the 8 entries",
    );
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--size",
            "8",
            "--ordering",
            "snake",
        ],
        "invalid value 'snake'",
    );
    let dup = temp_file("dup.csv", "id,name\na,Ann\na,Bea\n");
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--participants",
            dup.to_str().unwrap(),
        ],
        "line 3: duplicate participant id \"a\"",
    );
    let bad = temp_file("bad.csv", "id,name,rating\na,Ann,12\nb,Bea,high\n");
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--participants",
            bad.to_str().unwrap(),
        ],
        "csv line 3, field \"rating\": invalid value \"high\"",
    );
    let broken = temp_file(
        "broken.json",
        "[{\"id\": \"a\", \"name\": \"Ann\"},\n {\"id\": 5}]",
    );
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--participants",
            broken.to_str().unwrap(),
        ],
        "json line 2",
    );
    assert_refused(
        &[
            "bracket",
            "--format",
            "single",
            "--participants",
            "/nonexistent/field.csv",
        ],
        "cannot read /nonexistent/field.csv",
    );
}
