//! `athlos bracket`: draw a field into a bracket.

use std::path::PathBuf;
use std::process::ExitCode;

use athlos_core::bracket::{BracketOptions, Format, GrandFinal};
use athlos_core::import::{participants_from_csv, participants_from_json};
use athlos_core::model::Participant;
use athlos_core::report::DrawReport;
use athlos_core::seeding::SeedOrdering;
use clap::{Args, ValueEnum};

use super::{render, CliError};

/// Arguments of `athlos bracket`.
#[derive(Debug, Args)]
pub struct BracketArgs {
    /// The format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Anonymous entries `1..N`, seeded in that order.
    #[arg(
        long,
        conflicts_with = "participants",
        required_unless_present = "participants"
    )]
    size: Option<usize>,
    /// A JSON (array of participants) or CSV (header row: id,name,rating,rank,seed,club,nation)
    /// file.
    #[arg(long)]
    participants: Option<PathBuf>,
    /// First-round ordering.
    #[arg(long, value_enum, default_value_t = OrderingArg::InnerOuter)]
    ordering: OrderingArg,
    /// Spread byes evenly instead of giving them to the top seeds.
    #[arg(long)]
    balance_byes: bool,
    /// Add a third-place match (single elimination).
    #[arg(long)]
    third_place: bool,
    /// Grand final (double elimination).
    #[arg(long, value_enum, default_value_t = GrandFinalArg::Simple)]
    grand_final: GrandFinalArg,
    /// Number of pools (groups format).
    #[arg(long)]
    groups: Option<u32>,
    /// Everyone meets twice (round robin and pools).
    #[arg(long)]
    double: bool,
    /// Only the top K entries are placed by seed; the rest are drawn.
    #[arg(long)]
    max_seeds: Option<u32>,
    /// Do not keep club-mates and compatriots apart.
    #[arg(long)]
    no_separation: bool,
    /// Seed of the draw's random source.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the bracket document as JSON.
    #[arg(long, group = "output")]
    json: bool,
    /// Print the bracket as readable text (the default).
    #[arg(long, group = "output")]
    text: bool,
    /// Print the draw quality report.
    #[arg(long, group = "output")]
    report: bool,
    /// Print the bracket as an SVG picture.
    #[arg(long, group = "output")]
    svg: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Single,
    Double,
    Repechage,
    RoundRobin,
    Groups,
    Auto,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OrderingArg {
    Natural,
    Reverse,
    HalfShift,
    ReverseHalfShift,
    PairFlip,
    InnerOuter,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GrandFinalArg {
    None,
    Simple,
    Double,
}

/// Runs `athlos bracket`.
///
/// # Errors
/// Unreadable or invalid input, or options the format refuses.
pub fn run(args: &BracketArgs) -> Result<ExitCode, CliError> {
    let participants = load_field(args)?;
    let options = options(args);
    let bracket = athlos_core::draw(&participants, &options, args.seed)?;
    let out = if args.json {
        render::json(&bracket)?
    } else if args.report {
        render::report_text(&DrawReport::for_bracket(&bracket))
    } else if args.svg {
        bracket.to_svg()
    } else {
        render::bracket_text(&bracket)
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn options(args: &BracketArgs) -> BracketOptions {
    let mut options = BracketOptions::new(match args.format {
        FormatArg::Single => Format::SingleElimination,
        FormatArg::Double => Format::DoubleElimination,
        FormatArg::Repechage => Format::Repechage,
        FormatArg::RoundRobin => Format::RoundRobin,
        FormatArg::Groups => Format::Groups,
        FormatArg::Auto => Format::Auto,
    });
    options.ordering = match args.ordering {
        OrderingArg::Natural => SeedOrdering::Natural,
        OrderingArg::Reverse => SeedOrdering::Reverse,
        OrderingArg::HalfShift => SeedOrdering::HalfShift,
        OrderingArg::ReverseHalfShift => SeedOrdering::ReverseHalfShift,
        OrderingArg::PairFlip => SeedOrdering::PairFlip,
        OrderingArg::InnerOuter => SeedOrdering::InnerOuter,
    };
    options.balance_byes = args.balance_byes;
    options.third_place = args.third_place;
    options.grand_final = match args.grand_final {
        GrandFinalArg::None => GrandFinal::None,
        GrandFinalArg::Simple => GrandFinal::Simple,
        GrandFinalArg::Double => GrandFinal::Double,
    };
    options.groups = args.groups;
    options.double_round_robin = args.double;
    options.max_seeds = args.max_seeds;
    options.separate_clubs = !args.no_separation;
    options.separate_nations = !args.no_separation;
    options
}

fn load_field(args: &BracketArgs) -> Result<Vec<Participant>, CliError> {
    if let Some(path) = &args.participants {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with(['[', '{']);
        let parsed = if is_json {
            participants_from_json(&text)
        } else {
            participants_from_csv(&text)
        };
        return parsed.map_err(|source| CliError::Import {
            path: path.clone(),
            source,
        });
    }
    let size = args.size.unwrap_or(0);
    if !(2..=athlos_core::seeding::MAX_ENTRIES).contains(&size) {
        return Err(CliError::Usage(format!(
            "--size must be from 2 to {}, got {size}",
            athlos_core::seeding::MAX_ENTRIES
        )));
    }
    anonymous_field(size)
}

/// Entries `1..=size` named "Entry i" and seeded in that order.
pub fn anonymous_field(size: usize) -> Result<Vec<Participant>, CliError> {
    (1..=size)
        .map(|i| {
            Participant::new(i.to_string(), format!("Entry {i}"))
                .map(|p| p.with_seed(i as u32))
                .map_err(|e| CliError::Core(e.into()))
        })
        .collect()
}
