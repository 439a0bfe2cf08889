//! The `athlos` command: bracket and Swiss tools, and the HTTP server.
//!
//! Every subcommand prints its result on stdout. Bad input ends with exit code 2 and one
//! message on stderr; `athlos check` ends with 1 when a recorded round differs.

use std::fmt::Display;
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
    /// Pair the next round of a Swiss tournament (FIDE Dutch).
    Pair(cmd::swiss::PairArgs),
    /// Re-pair played rounds and report those that differ (exit 1).
    Check(cmd::swiss::CheckArgs),
    /// Standings with FIDE tie-breaks.
    Standings(cmd::swiss::StandingsArgs),
    /// Run the v1 HTTP API.
    Serve(cmd::serve::ServeArgs),
    /// Mint a bearer token for local use.
    Token(cmd::token::TokenArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors go to stderr with exit 2; --help and --version to stdout with 0.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Bracket(args) => finish(cmd::bracket::run(&args)),
        Command::Demo(args) => finish(cmd::demo::run(&args)),
        Command::Pair(args) => finish(cmd::swiss::pair(&args).map(|()| ExitCode::SUCCESS)),
        Command::Check(args) => finish(cmd::swiss::check(&args).map(|agree| {
            if agree {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        })),
        Command::Standings(args) => {
            finish(cmd::swiss::standings_command(&args).map(|()| ExitCode::SUCCESS))
        }
        Command::Serve(args) => finish(cmd::serve::run(&args).map(|()| ExitCode::SUCCESS)),
        Command::Token(args) => finish(cmd::token::run(&args).map(|()| ExitCode::SUCCESS)),
    }
}

/// The exit code of a command: its own on success, 2 with one message on error.
fn finish<E: Display>(outcome: Result<ExitCode, E>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
