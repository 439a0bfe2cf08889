//! Options that shape a bracket.

use serde::{Deserialize, Serialize};

use crate::seeding::Ordering;

/// The competition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// Single elimination, optionally with a third-place match.
    SingleElimination,
    /// Double elimination with a winners' and a losers' bracket.
    DoubleElimination,
    /// Judo elimination with repechage (IJF): quarter-final losers fight back for two bronzes.
    Repechage,
    /// Everyone meets everyone (Berger tables), once or twice.
    RoundRobin,
    /// Round-robin pools (seeds distributed by snake), then a knockout of the best of each pool.
    Groups,
    /// Chosen by head count as judo software does: one pool up to 5, two pools and a final
    /// for 6–7, a repechage bracket from 8.
    Auto,
}

/// How the winners' and losers' champions settle a double elimination.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum GrandFinal {
    /// No grand final: the winners' and losers' brackets each produce a winner.
    None,
    /// One grand final match.
    #[default]
    Simple,
    /// A grand final with a bracket reset, played only if the losers' champion wins the first.
    Double,
}

/// Everything that shapes a bracket besides the participants.
///
/// Deserializes from JSON with every field but `format` optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BracketOptions {
    /// The format.
    pub format: Format,
    /// First-round ordering of the placed seeds (elimination formats).
    #[serde(default = "default_ordering")]
    pub ordering: Ordering,
    /// Spread byes evenly over the bracket instead of giving them to the top seeds.
    #[serde(default)]
    pub balance_byes: bool,
    /// Play a third-place match (single elimination).
    #[serde(default)]
    pub third_place: bool,
    /// Grand final mode (double elimination).
    #[serde(default)]
    pub grand_final: GrandFinal,
    /// Number of pools (groups format); chosen from the field size when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<u32>,
    /// How many of each pool go through to the knockout (groups format).
    #[serde(default = "default_advance")]
    pub advance_per_group: u32,
    /// Everyone meets twice, home and away swapped (round robin and pools).
    #[serde(default)]
    pub double_round_robin: bool,
    /// Only the top K are placed by seed; the rest are drawn (IJF-style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_seeds: Option<u32>,
    /// Keep members of the same club apart as long as the structure allows.
    #[serde(default = "default_true")]
    pub separate_clubs: bool,
    /// Keep members of the same nation apart (after clubs).
    #[serde(default = "default_true")]
    pub separate_nations: bool,
}

fn default_ordering() -> Ordering {
    Ordering::InnerOuter
}

fn default_advance() -> u32 {
    2
}

fn default_true() -> bool {
    true
}

impl BracketOptions {
    /// Default options for a format: standard seeding (`inner_outer`), byes to the top seeds,
    /// no third-place match, a simple grand final, two qualifiers per pool, every entry seeded,
    /// clubs and nations separated.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            ordering: default_ordering(),
            balance_byes: false,
            third_place: false,
            grand_final: GrandFinal::default(),
            groups: None,
            advance_per_group: default_advance(),
            double_round_robin: false,
            max_seeds: None,
            separate_clubs: true,
            separate_nations: true,
        }
    }
}
