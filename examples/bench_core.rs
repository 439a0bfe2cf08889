//! Times a draw or a Swiss pairing from Rust and prints the median, so that the same work
//! measured from another adapter (Python, HTTP) can be compared in one run.
//!
//! ```text
//! cargo run --release -p athlos-examples --example bench_core -- draw 1024 double 200
//! cargo run --release -p athlos-examples --example bench_core -- pair event.trf 20
//! ```
//!
//! Prints one JSON object: `{"task": …, "runs": …, "median_us": …, "min_us": …}`.

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::model::Participant;
use athlos_core::swiss::pair_next_round;
use athlos_core::trf::TrfDocument;

/// One timed piece of work.
type Work = Box<dyn FnMut() -> Result<(), Box<dyn Error>>>;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_core draw N single|double RUNS | bench_core pair FILE.trf RUNS";
    let (task, mut run): (String, Work) = match args.first().map(String::as_str) {
        Some("draw") => {
            let n: u32 = args.get(1).ok_or(usage)?.parse()?;
            let format = match args.get(2).map(String::as_str) {
                Some("single") => Format::SingleElimination,
                Some("double") => Format::DoubleElimination,
                _ => return Err(usage.into()),
            };
            let field = (1..=n)
                .map(|i| {
                    Participant::new(format!("p{i}"), format!("Entry {i}")).map(|p| p.with_seed(i))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let options = BracketOptions::new(format);
            (
                format!("draw {n} {format}"),
                Box::new(move || {
                    black_box(athlos_core::draw(black_box(&field), &options, 7)?);
                    Ok(())
                }),
            )
        }
        Some("pair") => {
            let path = args.get(1).ok_or(usage)?;
            let text = std::fs::read_to_string(path)?;
            (
                format!("pair {path}"),
                Box::new(move || {
                    let document = TrfDocument::parse(black_box(&text))?;
                    black_box(pair_next_round(&document.to_tournament())?);
                    Ok(())
                }),
            )
        }
        _ => return Err(usage.into()),
    };
    let runs: usize = args.get(3).or(args.get(2)).ok_or(usage)?.parse()?;
    let runs = runs.max(1);
    run()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{{\"task\": {task:?}, \"runs\": {runs}, \"median_us\": {median:.1}, \"min_us\": {:.1}}}",
        times[0]
    );
    Ok(())
}
