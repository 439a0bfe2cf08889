//! `athlos demo`: built-in demonstrations.

use std::process::ExitCode;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::import::participants_from_csv;
use athlos_core::report::DrawReport;
use clap::{Args, ValueEnum};

use super::{render, CliError};

/// The judo27 field: 27 judoka, 8 seeds, clubs and nations (also used by
/// `examples/judo27.rs`).
const JUDO27: &str = include_str!("../../../examples/data/judo27.csv");

/// Arguments of `athlos demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which demonstration.
    #[arg(value_enum)]
    name: DemoName,
    /// Seed of the draw of the unseeded athletes.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print the bracket and its report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DemoName {
    /// 27 judoka drawn into an IJF repechage bracket with 8 seeds and club/nation separation.
    Judo27,
}

/// Runs `athlos demo`.
///
/// # Errors
/// Only if the built-in data were invalid or output failed.
pub fn run(args: &DemoArgs) -> Result<ExitCode, CliError> {
    match args.name {
        DemoName::Judo27 => judo27(args.seed, args.json),
    }
}

fn judo27(seed: u64, as_json: bool) -> Result<ExitCode, CliError> {
    let field = participants_from_csv(JUDO27).map_err(|source| CliError::Import {
        path: "examples/data/judo27.csv".into(),
        source,
    })?;
    let mut options = BracketOptions::new(Format::Repechage);
    options.max_seeds = Some(8);
    let bracket = athlos_core::draw(&field, &options, seed)?;
    let report = DrawReport::for_bracket(&bracket);
    if as_json {
        print!(
            "{}",
            render::json(&serde_json::json!({ "bracket": bracket, "report": report }))?
        );
    } else {
        println!("Judo -73 kg: 27 athletes, 8 seeds, IJF repechage, draw seed {seed}\n");
        print!("{}", render::bracket_text(&bracket));
        println!();
        print!("{}", render::report_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}
