//! Options that shape a bracket.

use serde::{Deserialize, Serialize};

use crate::seeding::SeedOrdering;

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

/// How seeds are spread over the pools of a round robin or a groups stage.
///
/// Pool sizes differ by at most one, the larger pools first. With eight seeds in three pools:
///
/// | distribution       | pool A  | pool B  | pool C |
/// |--------------------|---------|---------|--------|
/// | `snake`            | 1, 6, 7 | 2, 5, 8 | 3, 4   |
/// | `balanced`         | 1, 4, 7 | 2, 5, 8 | 3, 6   |
/// | `bracket_optimized`| (an even number of pools; odd counts fall back to `snake`) |
///
/// They match brackets-manager.js' `groups.seed_optimized`, `groups.effort_balanced` and
/// `groups.bracket_optimized`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PoolDistribution {
    /// Seeds snake over the pools: 1, 2, 3 then 6, 5, 4, then 7, 8 … A last, partial run fills
    /// the first pools.
    #[default]
    Snake,
    /// Seed `s` goes to pool `(s - 1) mod G`.
    Balanced,
    /// The pairs of a standard seeded bracket (1–8, 4–5, …) are split over opposite pools so
    /// that pool-mates would meet as late as possible in that bracket.
    BracketOptimized,
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
    pub ordering: SeedOrdering,
    /// Spread byes evenly over the bracket instead of giving them to the top seeds.
    #[serde(default)]
    pub balance_byes: bool,
    /// Play a third-place match: between the semi-final losers (single elimination, knockout
    /// after groups), or between the losers of the last two losers' rounds (double
    /// elimination, brackets-manager.js' "consolation final").
    #[serde(default)]
    pub third_place: bool,
    /// Grand final mode (double elimination).
    #[serde(default)]
    pub grand_final: GrandFinal,
    /// Loser-bracket orderings (double elimination): element 0 arranges the winners' round-1
    /// losers into losers' round 1, element `t` the losers of winners' round `t + 1` dropping
    /// into losers' round `2t`. Missing elements take
    /// [`default_loser_orderings`](crate::bracket::default_loser_orderings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loser_orderings: Vec<SeedOrdering>,
    /// Number of pools (groups format); chosen from the field size when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<u32>,
    /// How many of each pool go through to the knockout (groups format).
    #[serde(default = "default_advance")]
    pub advance_per_group: u32,
    /// Everyone meets twice, home and away swapped (round robin and pools).
    #[serde(default)]
    pub double_round_robin: bool,
    /// How seeds are spread over pools (round robin with several pools, groups).
    #[serde(default)]
    pub pool_distribution: PoolDistribution,
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

impl Format {
    /// The concrete format for a field of `entries`: every format but [`Format::Auto`] is
    /// returned unchanged.
    ///
    /// `Auto` follows the low-numbers practice of judo competition software (German DJB rules,
    /// IJF Sport and Organisation Rules 2.3 "Regulations for low numbers"):
    ///
    /// | entries | format                                                          |
    /// |---------|-----------------------------------------------------------------|
    /// | 2–5     | [`Format::RoundRobin`]: one pool, everyone meets everyone        |
    /// | 6–7     | [`Format::Groups`]: two pools, then A1–B2 and B1–A2 semi-finals, a final, two shared bronzes |
    /// | 8 and more | [`Format::Repechage`]: IJF elimination with repechage          |
    pub fn resolve(self, entries: usize) -> Format {
        match self {
            Format::Auto if entries <= 5 => Format::RoundRobin,
            Format::Auto if entries <= 7 => Format::Groups,
            Format::Auto => Format::Repechage,
            other => other,
        }
    }

    /// Whether the format is built from a first-round draw ([`crate::bracket::Bracket::elimination`])
    /// rather than from pools ([`crate::bracket::Bracket::round_robin`]). `Auto` is not: resolve
    /// it first.
    pub fn is_elimination(self) -> bool {
        matches!(
            self,
            Format::SingleElimination | Format::DoubleElimination | Format::Repechage
        )
    }

    /// The snake_case name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::SingleElimination => "single_elimination",
            Format::DoubleElimination => "double_elimination",
            Format::Repechage => "repechage",
            Format::RoundRobin => "round_robin",
            Format::Groups => "groups",
            Format::Auto => "auto",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn default_ordering() -> SeedOrdering {
    SeedOrdering::InnerOuter
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
            loser_orderings: Vec::new(),
            groups: None,
            advance_per_group: default_advance(),
            double_round_robin: false,
            pool_distribution: PoolDistribution::default(),
            max_seeds: None,
            separate_clubs: true,
            separate_nations: true,
        }
    }
}
