//! The `athlos` command: bracket and Swiss tools.
//!
//! Every subcommand prints its result on stdout. Bad input ends with exit code 2 and one
//! message on stderr.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Deterministic tournament tools: draws, brackets, Swiss pairings.
#[derive(Debug, Parser)]
#[command(name = "athlos", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Draw a field into a bracket and print it, as JSON, text or a quality report.
    Bracket(cmd::bracket::BracketArgs),
    /// Run a built-in demonstration.
    Demo(cmd::demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Bracket(args) => cmd::bracket::run(&args),
        Command::Demo(args) => cmd::demo::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
