//! Colours, colour preferences (C.04.3 article 1.7) and colour allocation (article 5).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A side of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// White.
    White,
    /// Black.
    Black,
}

impl Colour {
    /// The other colour.
    pub fn opposite(self) -> Self {
        match self {
            Self::White => Self::Black,
            Self::Black => Self::White,
        }
    }
}

/// How strongly a player wants a colour (C.04.3 article 1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// No preference (no game played yet).
    None,
    /// Mild: colour difference 0, alternate from the last game.
    Mild,
    /// Strong: colour difference ±1.
    Strong,
    /// Absolute: colour difference beyond ±1 or the same colour twice in a row.
    Absolute,
}

/// A colour preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Preference {
    pub(crate) strength: Strength,
    pub(crate) colour: Option<Colour>,
}

/// The preference of a player from the colours of his played games.
pub(crate) fn preference(colours: &[Colour]) -> Preference {
    let difference = colour_difference(colours);
    let last = colours.last().copied();
    let last_two_same =
        colours.len() >= 2 && colours[colours.len() - 1] == colours[colours.len() - 2];
    match last {
        None => Preference {
            strength: Strength::None,
            colour: None,
        },
        Some(last) => {
            if !(-1..=1).contains(&difference) || last_two_same {
                let colour = if difference > 1 {
                    Colour::Black
                } else if difference < -1 {
                    Colour::White
                } else {
                    last.opposite()
                };
                Preference {
                    strength: Strength::Absolute,
                    colour: Some(colour),
                }
            } else if difference == 1 {
                Preference {
                    strength: Strength::Strong,
                    colour: Some(Colour::Black),
                }
            } else if difference == -1 {
                Preference {
                    strength: Strength::Strong,
                    colour: Some(Colour::White),
                }
            } else {
                Preference {
                    strength: Strength::Mild,
                    colour: Some(last.opposite()),
                }
            }
        }
    }
}

/// Whites minus blacks.
pub(crate) fn colour_difference(colours: &[Colour]) -> i32 {
    colours
        .iter()
        .map(|c| if *c == Colour::White { 1 } else { -1 })
        .sum()
}

/// What colour allocation reads of a player: the colours of his played games, oldest first,
/// with their preference and colour difference.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColourHistory<'a> {
    pub(crate) colours: &'a [Colour],
    pub(crate) preference: Preference,
    pub(crate) colour_difference: i32,
}

/// The colour of `high` (the higher ranked player by article 1.2: score, then pairing number)
/// against `low`, by articles 5.2.1–5.2.6. `initial` is the initial colour; `high_odd` tells
/// whether `high` has an odd pairing number for article 5.2.6 (his `effective_number`, which
/// counts only the players who have entered the tournament).
pub(crate) fn allocate(
    high: &ColourHistory<'_>,
    low: &ColourHistory<'_>,
    initial: Colour,
    high_odd: bool,
) -> Colour {
    let (hp, lp) = (high.preference, low.preference);
    match (hp.colour, lp.colour) {
        (Some(h), Some(l)) if h != l => return h,
        (Some(h), None) => return h,
        (None, Some(l)) => return l.opposite(),
        (None, None) => {
            // Article 5.2.6: neither has a preference (no game played yet), so the higher
            // ranked player gets the initial colour if his pairing number is odd.
            return if high_odd {
                initial
            } else {
                initial.opposite()
            };
        }
        _ => {}
    }
    // Both want the same colour.
    let wanted = hp.colour.unwrap_or(Colour::White);
    match hp.strength.cmp(&lp.strength) {
        Ordering::Greater => return wanted,
        Ordering::Less => return wanted.opposite(),
        Ordering::Equal => {}
    }
    if hp.strength == Strength::Absolute {
        let hd = high.colour_difference.abs();
        let ld = low.colour_difference.abs();
        match hd.cmp(&ld) {
            Ordering::Greater => return wanted,
            Ordering::Less => return wanted.opposite(),
            Ordering::Equal => {}
        }
    }
    // Article 5.2.4: alternate to the most recent time they had different colours.
    for (h, l) in high.colours.iter().rev().zip(low.colours.iter().rev()) {
        if h != l {
            return h.opposite();
        }
    }
    wanted
}
