//! Runnable examples of the Athlos library; see the `[[example]]` entries in `Cargo.toml`.
//!
//! `cargo run -p athlos-examples --example judo27 -- [SEED]`
//!
//! `cargo run -p athlos-examples --example lifecycle`: a judo event with two divisions through
//! the service layer: generate, preview with `max_seeds` changed and print the diff, lock, play
//! to the end with a manual clock, and print the events.
//!
//! `cargo run --release -p athlos-examples --example draft -- [DRAFTS] [SEED]`: seeded fantasy
//! drafts (12 teams, 15 rounds) with manual picks and timeouts on a manual clock, checked and
//! replayed, with throughput figures.

use athlos_core::draft::{DraftConfig, DraftSettings, Player, Position, RosterPosition};
use athlos_core::id::DraftId;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::model::ParticipantId;
use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

/// Teams of a [`fantasy_draft`].
pub const FANTASY_TEAMS: u32 = 12;
/// Rounds of a [`fantasy_draft`].
pub const FANTASY_ROUNDS: u32 = 15;
/// The roster of a [`fantasy_draft`]: (position, starters, max, players in the pool).
pub const FANTASY_ROSTER: [(&str, u32, u32, u32); 6] = [
    ("QB", 1, 3, 40),
    ("RB", 2, 6, 80),
    ("WR", 2, 7, 96),
    ("TE", 1, 3, 40),
    ("K", 1, 1, 16),
    ("DEF", 1, 1, 16),
];

/// A fantasy-football draft `id` of 12 teams × 15 rounds with `seconds_per_pick`: a
/// 288-player pool ranked at random from `rng` (0–249, ties allowed), then a pick order
/// drawn from `rng` (linear, snake or third-round reversal).
///
/// # Errors
/// An id or position the core refuses.
pub fn fantasy_draft(
    id: &str,
    seconds_per_pick: u32,
    rng: &mut ChaCha8Rng,
) -> Result<DraftSettings, Box<dyn std::error::Error + Send + Sync>> {
    let mut pool = Vec::new();
    for (position, _, _, players) in FANTASY_ROSTER {
        for i in 0..players {
            pool.push(Player {
                id: ParticipantId::new(format!("{position}-{i}"))?,
                position: Position::new(position)?,
                rank: (rng.next_u64() % 250) as u32,
            });
        }
    }
    let roster = FANTASY_ROSTER
        .iter()
        .map(|&(position, starters, max, _)| {
            Ok(RosterPosition {
                position: Position::new(position)?,
                starters,
                max: Some(max),
            })
        })
        .collect::<Result<Vec<_>, athlos_core::error::DraftError>>()?;
    let order = [
        PickOrder::Linear,
        PickOrder::Snake,
        PickOrder::ThirdRoundReversal,
    ][(rng.next_u64() % 3) as usize];
    Ok(DraftSettings::new(DraftConfig {
        id: DraftId::new(id)?,
        teams: FANTASY_TEAMS,
        rounds: FANTASY_ROUNDS,
        order,
        seconds_per_pick,
        roster,
        pool,
    })?)
}
