//! Draw 27 judoka into an IJF repechage bracket with 8 seeds and club/nation separation,
//! using only the library API, and print the bracket document and its quality report as JSON.
//!
//! `cargo run -p athlos-examples --example judo27 -- [SEED]`

use std::error::Error;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::import::participants_from_csv;
use athlos_core::report::DrawReport;

fn main() -> Result<(), Box<dyn Error>> {
    let seed = match std::env::args().nth(1) {
        Some(arg) => arg.parse::<u64>()?,
        None => 2026,
    };
    let field = participants_from_csv(include_str!("data/judo27.csv"))?;

    let mut options = BracketOptions::new(Format::Repechage);
    options.max_seeds = Some(8);
    let bracket = athlos_core::draw(&field, &options, seed)?;
    let report = DrawReport::for_bracket(&bracket);

    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "bracket": bracket,
            "report": report,
        }))?
    );
    Ok(())
}
