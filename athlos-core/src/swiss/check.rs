//! Which criterion a pairing breaks (the other direction of the pairing engine).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::state::RoundState;
use super::{pair_next_round, RoundPairing, StartNumber, SwissError, SwissField};

/// One way a pairing departs from the Dutch rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum CheckFinding {
    /// A player appears twice in the pairing.
    PairedTwice {
        /// The player.
        player: StartNumber,
    },
    /// A player is neither paired, given the bye, nor absent.
    Unpaired {
        /// The player.
        player: StartNumber,
    },
    /// A pairing names an absent or unknown player.
    NotPresent {
        /// The player.
        player: StartNumber,
    },
    /// C1: the two have already played each other.
    Rematch {
        /// White.
        white: StartNumber,
        /// Black.
        black: StartNumber,
    },
    /// C2: the bye goes to a player who already had one (or an unplayed win).
    SecondBye {
        /// The player.
        player: StartNumber,
    },
    /// C3: two non-topscorers with the same absolute colour preference meet.
    AbsoluteColourClash {
        /// White.
        white: StartNumber,
        /// Black.
        black: StartNumber,
    },
    /// A bye is given although the number of players is even, or none although it is odd.
    ByeCount,
    /// A pair of the pairing is not a pair of the Dutch pairing (a quality criterion C4–C19
    /// or the article 4 order prefers another pairing).
    NotDutchPair {
        /// White.
        white: StartNumber,
        /// Black.
        black: StartNumber,
    },
    /// The pair is right but the colours are reversed (article 5).
    ColoursReversed {
        /// White.
        white: StartNumber,
        /// Black.
        black: StartNumber,
    },
    /// The bye should go to someone else.
    WrongBye {
        /// The player given the bye.
        given: Option<StartNumber>,
        /// The player the rules give it to.
        expected: Option<StartNumber>,
    },
}

/// Checks `pairing` as the pairing of the next round of `tournament`: the absolute criteria
/// first, then a comparison with the Dutch pairing. An empty list means it is the Dutch pairing.
///
/// # Errors
/// A [`SwissError`] for an inconsistent history.
pub fn check_pairing(
    tournament: &SwissField,
    pairing: &RoundPairing,
) -> Result<Vec<CheckFinding>, SwissError> {
    let state = RoundState::build(tournament)?;
    let mut findings = Vec::new();
    let present: BTreeSet<StartNumber> = state.players.iter().map(|p| p.number).collect();
    let mut seen = BTreeSet::new();
    let mut mention = |player: StartNumber, findings: &mut Vec<CheckFinding>| {
        if !present.contains(&player) {
            findings.push(CheckFinding::NotPresent { player });
        } else if !seen.insert(player) {
            findings.push(CheckFinding::PairedTwice { player });
        }
    };
    for &(white, black) in &pairing.pairs {
        mention(white, &mut findings);
        mention(black, &mut findings);
    }
    if let Some(bye) = pairing.bye {
        mention(bye, &mut findings);
    }
    for &player in &present {
        if !seen.contains(&player) {
            findings.push(CheckFinding::Unpaired { player });
        }
    }
    let find = |n: StartNumber| state.players.iter().find(|p| p.number == n);
    for &(white, black) in &pairing.pairs {
        let (Some(w), Some(b)) = (find(white), find(black)) else {
            continue;
        };
        if w.opponents.contains(&black) {
            findings.push(CheckFinding::Rematch { white, black });
        }
        if !w.topscorer
            && !b.topscorer
            && w.preference.strength == super::colour::Strength::Absolute
            && b.preference.strength == super::colour::Strength::Absolute
            && w.preference.colour == b.preference.colour
        {
            findings.push(CheckFinding::AbsoluteColourClash { white, black });
        }
    }
    if let Some(p) = pairing.bye.and_then(find) {
        if p.bye_ineligible {
            findings.push(CheckFinding::SecondBye { player: p.number });
        }
    }
    if (present.len() % 2 == 1) != pairing.bye.is_some() {
        findings.push(CheckFinding::ByeCount);
    }
    if !findings.is_empty() {
        return Ok(findings);
    }
    let ours = pair_next_round(tournament)?;
    let our_pairs: BTreeSet<(StartNumber, StartNumber)> = ours.pairs.iter().copied().collect();
    for &(white, black) in &pairing.pairs {
        if our_pairs.contains(&(white, black)) {
            continue;
        }
        if our_pairs.contains(&(black, white)) {
            findings.push(CheckFinding::ColoursReversed { white, black });
        } else {
            findings.push(CheckFinding::NotDutchPair { white, black });
        }
    }
    if ours.bye != pairing.bye {
        findings.push(CheckFinding::WrongBye {
            given: pairing.bye,
            expected: ours.bye,
        });
    }
    Ok(findings)
}
