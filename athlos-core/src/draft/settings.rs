//! Draft settings, validated once: a [`DraftSettings`] that exists can always be drafted to
//! the end.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::DraftError;
use crate::id::{DraftId, EventId};
use crate::lifecycle::draft::PickOrder;
use crate::model::ParticipantId;

/// The most teams a draft may have.
pub const MAX_TEAMS: u32 = 1_000;
/// The most rounds a draft may have.
pub const MAX_ROUNDS: u32 = 100;

/// A roster position (`QB`, `RB`, `GK`…): 1-32 bytes without whitespace or control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Position(String);

impl Position {
    /// Makes a position from its name.
    ///
    /// # Errors
    /// [`DraftError::InvalidPosition`] when the name is empty, longer than 32 bytes or holds
    /// whitespace or control characters.
    pub fn new(name: impl Into<String>) -> Result<Self, DraftError> {
        let name = name.into();
        if name.is_empty()
            || name.len() > 32
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(DraftError::InvalidPosition { text: name });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Position {
    type Error = DraftError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Position> for String {
    fn from(value: Position) -> Self {
        value.0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A player of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Player {
    /// Unique in the pool.
    pub id: ParticipantId,
    /// The roster position the player fills.
    pub position: Position,
    /// Pre-draft rank: lower is better; ties are broken by id.
    pub rank: u32,
}

/// What a team's roster holds of one position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterPosition {
    /// The position.
    pub position: Position,
    /// Starting slots: every final roster has at least this many.
    pub starters: u32,
    /// The most a roster may hold (starters plus bench); `None`: starters plus every bench
    /// slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

/// Draft settings as given: plain data, checked by [`DraftSettings::new`].
///
/// Every team makes one pick a round. A roster has `rounds` players: the starters of each
/// position, and the rest (`rounds` minus all starters) on a bench that takes any position
/// up to its `max`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftConfig {
    /// The draft.
    pub id: DraftId,
    /// Number of teams, indexed from 0 in pick order of round 1.
    pub teams: u32,
    /// Number of rounds: each team's roster size.
    pub rounds: u32,
    /// Linear, snake or third-round reversal.
    pub order: PickOrder,
    /// The pick clock, in seconds per pick.
    pub seconds_per_pick: u32,
    /// The roster, by position.
    pub roster: Vec<RosterPosition>,
    /// The players that may be drafted.
    pub pool: Vec<Player>,
}

/// Validated draft settings.
///
/// Construction guarantees that a draft under these settings can always finish: whatever
/// the earlier picks, the team on the clock has an available player that fits its roster
/// (see [`DraftSettings::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DraftConfig", into = "DraftConfig")]
pub struct DraftSettings {
    config: DraftConfig,
    /// Per roster position (index as in `config.roster`): starters.
    starters: Vec<u32>,
    /// Per roster position: the maximum.
    limits: Vec<u32>,
    /// Per pool player: the index of its position.
    positions: Vec<usize>,
    /// Pool index by player id.
    index: BTreeMap<ParticipantId, usize>,
    /// Pool indices, best first: by rank, then id.
    by_rank: Vec<usize>,
}

impl DraftSettings {
    /// Checks `config`.
    ///
    /// Besides the ranges (1 to [`MAX_TEAMS`] teams, 1 to [`MAX_ROUNDS`] rounds, a clock of
    /// at least a second, unique positions and players), the supply rule: every position
    /// has at least `teams × max` players. With it no team can ever be left without a
    /// player to pick: a team that may still take a position holds fewer than `max` of
    /// it, and the others hold at most `max` each.
    ///
    /// # Errors
    /// The [`DraftError`] naming the first problem found.
    pub fn new(config: DraftConfig) -> Result<Self, DraftError> {
        if config.teams == 0 || config.teams > MAX_TEAMS {
            return Err(DraftError::Teams {
                teams: config.teams,
                max: MAX_TEAMS,
            });
        }
        if config.rounds == 0 || config.rounds > MAX_ROUNDS {
            return Err(DraftError::Rounds {
                rounds: config.rounds,
                max: MAX_ROUNDS,
            });
        }
        if config.seconds_per_pick == 0 {
            return Err(DraftError::ZeroPickTime);
        }
        // Event ids are `draft:{id}:{version}:{index}` and ids hold at most 200 bytes.
        if EventId::new(format!("draft:{}:{}:99", config.id, u64::MAX)).is_err() {
            return Err(DraftError::IdTooLong {
                id: config.id.clone(),
            });
        }
        if config.roster.is_empty() {
            return Err(DraftError::EmptyRoster);
        }
        let mut slot_of: BTreeMap<&Position, usize> = BTreeMap::new();
        let mut total_starters: u64 = 0;
        for (i, slot) in config.roster.iter().enumerate() {
            if slot_of.insert(&slot.position, i).is_some() {
                return Err(DraftError::DuplicatePosition {
                    position: slot.position.to_string(),
                });
            }
            total_starters += u64::from(slot.starters);
        }
        let rounds = config.rounds;
        let bench = u64::from(rounds).checked_sub(total_starters).ok_or(
            DraftError::StartersExceedRounds {
                starters: u32::try_from(total_starters).unwrap_or(u32::MAX),
                rounds,
            },
        )?;
        let mut starters = Vec::with_capacity(config.roster.len());
        let mut limits = Vec::with_capacity(config.roster.len());
        for slot in &config.roster {
            // Both are at most `rounds` here, so the sum fits.
            let default = u32::try_from(u64::from(slot.starters) + bench).unwrap_or(u32::MAX);
            let max = slot.max.unwrap_or(default);
            if max < slot.starters {
                return Err(DraftError::MaxBelowStarters {
                    position: slot.position.to_string(),
                    max,
                    starters: slot.starters,
                });
            }
            starters.push(slot.starters);
            // A maximum above the roster size changes nothing: cap it there.
            limits.push(max.min(rounds));
        }
        let capacity: u64 = limits.iter().map(|&l| u64::from(l)).sum();
        if capacity < u64::from(rounds) {
            return Err(DraftError::RosterTooSmall { capacity, rounds });
        }
        let mut index = BTreeMap::new();
        let mut positions = Vec::with_capacity(config.pool.len());
        let mut supply = vec![0u64; config.roster.len()];
        for (i, player) in config.pool.iter().enumerate() {
            if index.insert(player.id.clone(), i).is_some() {
                return Err(DraftError::DuplicatePlayer {
                    player: player.id.clone(),
                });
            }
            let position =
                *slot_of
                    .get(&player.position)
                    .ok_or_else(|| DraftError::UnknownPosition {
                        player: player.id.clone(),
                        position: player.position.to_string(),
                    })?;
            positions.push(position);
            supply[position] += 1;
        }
        for (slot, (&players, &limit)) in config.roster.iter().zip(supply.iter().zip(&limits)) {
            let needed = u64::from(config.teams) * u64::from(limit);
            if players < needed {
                return Err(DraftError::ShortSupply {
                    position: slot.position.to_string(),
                    players,
                    needed,
                });
            }
        }
        let mut by_rank: Vec<usize> = (0..config.pool.len()).collect();
        by_rank.sort_by(|&a, &b| {
            let (a, b) = (&config.pool[a], &config.pool[b]);
            a.rank.cmp(&b.rank).then_with(|| a.id.cmp(&b.id))
        });
        Ok(Self {
            config,
            starters,
            limits,
            positions,
            index,
            by_rank,
        })
    }

    /// The settings as given.
    pub fn config(&self) -> &DraftConfig {
        &self.config
    }

    /// The draft.
    pub fn id(&self) -> &DraftId {
        &self.config.id
    }

    /// Number of teams.
    pub fn teams(&self) -> u32 {
        self.config.teams
    }

    /// Number of rounds.
    pub fn rounds(&self) -> u32 {
        self.config.rounds
    }

    /// Picks in the whole draft: teams × rounds.
    pub fn total_picks(&self) -> u32 {
        // At most MAX_TEAMS × MAX_ROUNDS = 100,000.
        self.config.teams * self.config.rounds
    }

    /// The pick order.
    pub fn order(&self) -> PickOrder {
        self.config.order
    }

    /// Seconds per pick.
    pub fn seconds_per_pick(&self) -> u32 {
        self.config.seconds_per_pick
    }

    /// The pool.
    pub fn pool(&self) -> &[Player] {
        &self.config.pool
    }

    /// The player with this id.
    pub fn player(&self, id: &ParticipantId) -> Option<&Player> {
        self.index.get(id).map(|&i| &self.config.pool[i])
    }

    /// Each position's maximum per roster, in roster order.
    pub fn limits(&self) -> impl Iterator<Item = (&Position, u32)> {
        self.config
            .roster
            .iter()
            .zip(&self.limits)
            .map(|(slot, &limit)| (&slot.position, limit))
    }

    /// The team (0-based) that owns overall pick `index` (0-based) before any trade.
    pub(crate) fn base_order(&self) -> Vec<u32> {
        (0..self.total_picks())
            .map(|pick| self.config.order.team(self.config.teams, pick).unwrap_or(0))
            .collect()
    }

    pub(crate) fn index_of(&self, id: &ParticipantId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub(crate) fn position_of(&self, player: usize) -> usize {
        self.positions[player]
    }

    pub(crate) fn position_count(&self) -> usize {
        self.starters.len()
    }

    pub(crate) fn starters(&self) -> &[u32] {
        &self.starters
    }

    pub(crate) fn maximums(&self) -> &[u32] {
        &self.limits
    }

    pub(crate) fn by_rank(&self) -> &[usize] {
        &self.by_rank
    }
}

impl TryFrom<DraftConfig> for DraftSettings {
    type Error = DraftError;
    fn try_from(value: DraftConfig) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<DraftSettings> for DraftConfig {
    fn from(value: DraftSettings) -> Self {
        value.config
    }
}
