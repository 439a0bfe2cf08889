//! Text and JSON output of brackets and reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use athlos_core::bracket::{Bracket, Match, Occupant, Part, Source};
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::report::{DrawReport, GroupMeeting};
use serde::Serialize;

use super::CliError;

/// Pretty JSON with a final newline.
pub fn json<T: Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| CliError::Output(e.to_string()))
}

/// The bracket as readable text: each part, round by round, one match per line.
pub fn bracket_text(bracket: &Bracket) -> String {
    let names: BTreeMap<&ParticipantId, &Participant> =
        bracket.participants().iter().map(|p| (&p.id, p)).collect();
    let label = |id: &ParticipantId| match names.get(id) {
        Some(p) => {
            let mut s = p.name.clone();
            let tags: Vec<&str> = [p.club.as_deref(), p.nation.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !tags.is_empty() {
                let _ = write!(s, " ({})", tags.join(", "));
            }
            s
        }
        None => id.to_string(),
    };
    let seed_of: BTreeMap<&ParticipantId, usize> = bracket
        .participants()
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.id, i + 1))
        .collect();

    let pool_names: BTreeMap<u32, &str> = bracket
        .pools()
        .iter()
        .map(|p| (p.number, p.name.as_str()))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} entries, {} rounds",
        bracket.format(),
        bracket.participants().len(),
        bracket.rounds()
    );
    for pool in bracket.pools() {
        let members: Vec<String> = pool.members.iter().map(&label).collect();
        let _ = writeln!(out, "\nPool {}: {}", pool.name, members.join("; "));
    }
    let mut heading = String::new();
    for m in bracket.matches() {
        let title = round_title(m, &pool_names);
        if title != heading {
            let _ = writeln!(out, "\n{title}");
            heading = title;
        }
        let side = |i: usize| -> String {
            let slot = &m.slots[i];
            match &slot.occupant {
                Occupant::Participant { id } => {
                    let seed = seed_of.get(id).map_or(String::new(), |s| format!("[{s}] "));
                    format!("{seed}{}", label(id))
                }
                Occupant::Bye => "bye".to_owned(),
                _ => source_text(&slot.source, &pool_names),
            }
        };
        let mut line = format!("  {:<14} {}  v  {}", m.id.to_string(), side(0), side(1));
        if let Some(winner) = &m.winner {
            let _ = write!(line, "  -> {}", label(winner));
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

fn round_title(m: &Match, pool_names: &BTreeMap<u32, &str>) -> String {
    let part = match m.part {
        Part::Main => "Main bracket".to_owned(),
        Part::Winners => "Winners' bracket".to_owned(),
        Part::Losers => "Losers' bracket".to_owned(),
        Part::GrandFinal => "Grand final".to_owned(),
        Part::ThirdPlace => "Third place".to_owned(),
        Part::Repechage => "Repechage".to_owned(),
        Part::Pool => format!(
            "Pool {}",
            m.pool
                .and_then(|n| pool_names.get(&n).copied())
                .unwrap_or("?")
        ),
        Part::Knockout => "Knockout".to_owned(),
        other => format!("{other:?}"),
    };
    format!("{part}, round {}", m.round)
}

fn source_text(source: &Source, pool_names: &BTreeMap<u32, &str>) -> String {
    match source {
        Source::Winner { match_id } => format!("winner of {match_id}"),
        Source::Loser { match_id } => format!("loser of {match_id}"),
        Source::Rematch { match_id, slot } => format!("slot {slot} of {match_id}"),
        Source::PoolRank { pool, rank } => format!(
            "#{rank} of pool {}",
            pool_names.get(pool).copied().unwrap_or("?")
        ),
        _ => "to be decided".to_owned(),
    }
}

/// The quality report as readable text.
pub fn report_text(report: &DrawReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Draw quality: {}/100", report.score);
    let _ = writeln!(
        out,
        "  entries {}, slots {}, rounds {}, placed by seed {}",
        report.entries, report.bracket_size, report.rounds, report.seeded
    );
    let integrity = &report.seed_integrity;
    let _ = writeln!(
        out,
        "  seed integrity: {} ({}/{} levels)",
        if integrity.intact { "intact" } else { "broken" },
        integrity.levels_intact,
        integrity.levels_checked
    );
    for v in &integrity.violations {
        let _ = writeln!(
            out,
            "    seeds {} and {} can meet in round {} (promised round {})",
            v.seed_a, v.seed_b, v.meets_in_round, v.promised_round
        );
    }
    let byes = &report.byes;
    if byes.count > 0 {
        let seeds: Vec<String> = byes.recipients.iter().map(|r| r.seed.to_string()).collect();
        let _ = writeln!(
            out,
            "  byes: {} to seeds {}{}; per quarter {:?}",
            byes.count,
            seeds.join(", "),
            if byes.to_top_seeds {
                " (the top seeds)"
            } else {
                ""
            },
            byes.per_quarter
        );
    } else {
        let _ = writeln!(out, "  byes: none");
    }
    for (title, groups) in [("clubs", &report.clubs), ("nations", &report.nations)] {
        if groups.is_empty() {
            let _ = writeln!(out, "  {title}: no two entries share one");
            continue;
        }
        let _ = writeln!(out, "  {title}:");
        for g in groups.iter() {
            let _ = writeln!(out, "    {}", meeting_line(g));
        }
    }
    let b = &report.balance;
    let means = |m: &[Option<u32>]| -> String {
        m.iter()
            .map(|x| x.map_or("-".to_owned(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    if b.pools.is_empty() {
        let _ = writeln!(
            out,
            "  rating balance: halves {} (gap {}), quarters {} (gap {})",
            means(&b.halves),
            b.halves_gap,
            means(&b.quarters),
            b.quarters_gap
        );
    } else {
        let _ = writeln!(
            out,
            "  rating balance: pools {} (gap {})",
            means(&b.pools),
            b.pools_gap
        );
    }
    out
}

fn meeting_line(g: &GroupMeeting) -> String {
    let verdict = if g.unavoidable {
        "as late as possible"
    } else {
        "earlier than necessary"
    };
    format!(
        "{} ({} entries): can first meet in round {} ({verdict}; best possible round {})",
        g.name,
        g.members.len(),
        g.earliest_round,
        g.best_possible_round
    )
}
