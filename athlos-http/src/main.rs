//! The `athlos` command.

mod swiss_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Athlos tournament tools.
#[derive(Debug, Parser)]
#[command(name = "athlos", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pair the next round of a Swiss tournament (FIDE Dutch).
    Pair(swiss_cmd::PairArgs),
    /// Re-pair played rounds and report those that differ (exit 1).
    Check(swiss_cmd::CheckArgs),
    /// Standings with FIDE tie-breaks.
    Standings(swiss_cmd::StandingsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match &cli.command {
        Command::Pair(args) => swiss_cmd::pair(args).map(|()| true),
        Command::Check(args) => swiss_cmd::check(args),
        Command::Standings(args) => swiss_cmd::standings_command(args).map(|()| true),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("athlos: {e}");
            ExitCode::from(2)
        }
    }
}
