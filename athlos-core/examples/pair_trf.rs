//! Pairs the next round of a TRF-16 file with the Dutch engine and prints the pairing in the
//! bbpPairings/JaVaFo format (to OUT when given, else to standard output).
//!
//! `cargo run --release -p athlos-core --example pair_trf -- FILE [OUT]`; used to time one
//! pairing at a time (see docs/benchmarks/swiss.md).

use std::process::ExitCode;

use athlos_core::swiss::pair_next_round;
use athlos_core::trf::TrfDocument;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: pair_trf FILE [OUT]");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let document = match TrfDocument::parse(&text) {
        Ok(document) => document,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let pairing = match pair_next_round(&document.to_tournament()) {
        Ok(pairing) => pairing,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = pairing.to_engine_text();
    match args.next() {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, out) {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        }
        None => print!("{out}"),
    }
    ExitCode::SUCCESS
}
