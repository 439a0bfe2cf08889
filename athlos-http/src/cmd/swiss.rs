//! The Swiss commands: `pair`, `check` and `standings`. They read files, call the core and
//! print; all rules live in `athlos_core`.

use std::path::{Path, PathBuf};

use athlos_core::swiss::{check_round, pair_next_round, rounds_paired, SwissError};
use athlos_core::tiebreak::{
    parse_list, standings, Edition, EventKind, Options, PointSystem, TiebreakError,
};
use athlos_core::trf::{TrfDocument, TrfError};
use clap::Args;
use thiserror::Error;

/// Writes a line to standard output; a closed pipe (`| head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Why a Swiss command failed (exit code 2).
#[derive(Debug, Error)]
pub enum CommandError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TRF file is malformed.
    #[error("{path}: {source}")]
    Trf {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: TrfError,
    },
    /// The file holds no player (`001`) line.
    #[error("{path}: no player lines (001) found; is this a TRF-16 file?")]
    NoPlayers {
        /// The file.
        path: PathBuf,
    },
    /// The history cannot be paired.
    #[error("{path}: {source}")]
    Swiss {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: SwissError,
    },
    /// A tie-break list is invalid.
    #[error(transparent)]
    Tiebreak(#[from] TiebreakError),
    /// The asked round is not in the file.
    #[error("{path}: round {round} is not a played round (1..={played})")]
    NoSuchRound {
        /// The file.
        path: PathBuf,
        /// The round asked.
        round: u32,
        /// Rounds played.
        played: u32,
    },
}

/// `athlos pair --dutch FILE -p [OUT]`.
#[derive(Debug, Args)]
pub struct PairArgs {
    /// The tournament so far (TRF-16).
    #[arg(long = "dutch", value_name = "FILE")]
    pub dutch: PathBuf,
    /// Print the pairing, to OUT when given, else to standard output.
    #[arg(short = 'p', value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    pub output: Option<PathBuf>,
}

/// `athlos check --dutch FILE [--round R]`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A tournament with played rounds (TRF-16).
    #[arg(long = "dutch", value_name = "FILE")]
    pub dutch: PathBuf,
    /// Only this round.
    #[arg(long)]
    pub round: Option<u32>,
}

/// `athlos standings FILE [--tiebreaks LIST] [--json]`.
#[derive(Debug, Args)]
pub struct StandingsArgs {
    /// The tournament (TRF-16).
    pub file: PathBuf,
    /// Tie-breaks in order, e.g. `BH:C1,BH,SB,DE`.
    #[arg(long, default_value = "BH:C1,BH,SB,DE")]
    pub tiebreaks: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Edition of the FIDE Tie-Break Regulations: `2024` or `2026`; by default the one in
    /// force on the tournament's start date (`042` line), 2026 without one.
    #[arg(long)]
    pub edition: Option<String>,
    /// Points for win-draw-loss, e.g. `3-1-0`; by default what the file declares (`162` or
    /// `BB?` lines), else 1-0.5-0.
    #[arg(long)]
    pub points: Option<String>,
    /// `swiss` or `round-robin`; by default what the file's `092` line says, else swiss.
    #[arg(long)]
    pub kind: Option<String>,
    /// Rating counted for unrated players in ARO, TPR and PTP (without it those have no value
    /// when a player is unrated).
    #[arg(long)]
    pub unrated_rating: Option<u16>,
}

fn read(path: &Path) -> Result<TrfDocument, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|source| CommandError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let document = TrfDocument::parse(&text).map_err(|source| CommandError::Trf {
        path: path.to_path_buf(),
        source,
    })?;
    if document.players.is_empty() {
        return Err(CommandError::NoPlayers {
            path: path.to_path_buf(),
        });
    }
    Ok(document)
}

/// Pairs the next round and prints it in the bbpPairings/JaVaFo format.
///
/// # Errors
/// A [`CommandError`] for unreadable or unpairable input.
pub fn pair(args: &PairArgs) -> Result<(), CommandError> {
    let document = read(&args.dutch)?;
    let pairing =
        pair_next_round(&document.to_tournament()).map_err(|source| CommandError::Swiss {
            path: args.dutch.clone(),
            source,
        })?;
    let text = pairing.to_engine_text();
    match &args.output {
        Some(out) if out.as_os_str() != "-" => {
            std::fs::write(out, text).map_err(|source| CommandError::Io {
                path: out.clone(),
                source,
            })
        }
        _ => {
            use std::io::Write as _;
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// Re-pairs each played round and reports differences; `Ok(true)` when all agree.
///
/// # Errors
/// A [`CommandError`] for unreadable or inconsistent input.
pub fn check(args: &CheckArgs) -> Result<bool, CommandError> {
    let document = read(&args.dutch)?;
    let tournament = document.to_tournament();
    let played = rounds_paired(&tournament);
    let rounds: Vec<u32> = match args.round {
        Some(r) if r == 0 || r > played => {
            return Err(CommandError::NoSuchRound {
                path: args.dutch.clone(),
                round: r,
                played,
            })
        }
        Some(r) => vec![r],
        None => (1..=played).collect(),
    };
    let mut all_agree = true;
    for round in rounds {
        let outcome = check_round(&tournament, round).map_err(|source| CommandError::Swiss {
            path: args.dutch.clone(),
            source,
        })?;
        match outcome {
            None => say!("round {round}: agrees"),
            Some((recorded, ours)) => {
                all_agree = false;
                say!("round {round}: differs");
                let (rec, our) = (recorded.canonical(), ours.canonical());
                for pair in rec.0.iter().filter(|p| !our.0.contains(p)) {
                    say!("  recorded only: {} {}", pair.0, pair.1);
                }
                for pair in our.0.iter().filter(|p| !rec.0.contains(p)) {
                    say!("  dutch only:    {} {}", pair.0, pair.1);
                }
                if rec.1 != our.1 {
                    say!(
                        "  bye: recorded {}, dutch {}",
                        rec.1.map_or("none".into(), |b| b.to_string()),
                        our.1.map_or("none".into(), |b| b.to_string())
                    );
                }
            }
        }
    }
    Ok(all_agree)
}

/// Prints the standings.
///
/// # Errors
/// A [`CommandError`] for unreadable input or an unknown tie-break.
pub fn standings_command(args: &StandingsArgs) -> Result<(), CommandError> {
    let order = parse_list(&args.tiebreaks)?;
    let document = read(&args.file)?;
    let mut options = Options::for_trf(&document);
    if let Some(edition) = &args.edition {
        options.edition = Edition::parse(edition)?;
    }
    if let Some(points) = &args.points {
        options.points = PointSystem::parse(points)?;
    } else {
        options.points = PointSystem::from_trf(&document)?;
    }
    if let Some(kind) = &args.kind {
        options.kind = EventKind::parse(kind)?;
    }
    options.unrated_rating = args.unrated_rating;
    let rows = standings(&document.to_tournament(), &order, &options);
    if args.json {
        let value = serde_json::to_string_pretty(&rows)
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        say!("{value}");
        return Ok(());
    }
    let mut header = format!(
        "{:>4} {:>4} {:<33} {:>5} {:>3} {:>3} {:>3}",
        "rank", "no", "name", "pts", "w", "d", "l"
    );
    for tb in &order {
        header.push_str(&format!(" {:>7}", tb.code()));
    }
    say!("{header}");
    for row in rows {
        let mut line = format!(
            "{:>4} {:>4} {:<33} {:>5} {:>3} {:>3} {:>3}",
            row.rank,
            row.number,
            row.name,
            row.points.to_string(),
            row.wins,
            row.draws,
            row.losses
        );
        for v in row.tiebreaks.values() {
            line.push_str(&format!(
                " {:>7}",
                v.map_or("-".to_string(), |v| v.to_string())
            ));
        }
        say!("{line}");
    }
    Ok(())
}
