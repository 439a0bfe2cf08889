//! Pool standings: points, head-to-head, score difference.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Bracket, MatchStatus};
use crate::model::ParticipantId;

/// One line of a pool table.
///
/// A win (also by walkover) is worth 2 points, a draw 1. Ties are broken by the points of the
/// matches between the tied participants, then score difference, then score for; those still
/// equal share `rank`. For qualification to a knockout the seed breaks what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Standing {
    /// The participant.
    pub participant: ParticipantId,
    /// Place in the pool, from 1; shared when all criteria are equal.
    pub rank: u32,
    /// Decided matches.
    pub played: u32,
    /// Wins (walkovers included).
    pub wins: u32,
    /// Draws.
    pub draws: u32,
    /// Losses (walkovers included).
    pub losses: u32,
    /// Points: 2 per win, 1 per draw.
    pub points: u32,
    /// Sum of own scores.
    pub score_for: u64,
    /// Sum of opponents' scores.
    pub score_against: u64,
}

impl Bracket {
    /// The current table of pool `number` (from 1), best first; `None` for an unknown pool.
    pub fn standings(&self, number: u32) -> Option<Vec<Standing>> {
        let pool = usize::try_from(number).ok()?.checked_sub(1)?;
        (pool < self.pools.len()).then(|| self.pool_table(pool))
    }

    /// The pool table in strict order (seed breaks remaining ties), with sporting ranks.
    pub(super) fn pool_table(&self, pool: usize) -> Vec<Standing> {
        let Some(members) = self.pools.get(pool).map(|p| &p.members) else {
            return Vec::new();
        };
        let position: BTreeMap<&ParticipantId, usize> =
            members.iter().enumerate().map(|(i, id)| (id, i)).collect();
        let mut rows: Vec<Standing> = members
            .iter()
            .map(|id| Standing {
                participant: id.clone(),
                rank: 0,
                played: 0,
                wins: 0,
                draws: 0,
                losses: 0,
                points: 0,
                score_for: 0,
                score_against: 0,
            })
            .collect();
        // (slot 1, slot 2, their points) of every decided match, by member index.
        let mut results: Vec<(usize, usize, u32, u32)> = Vec::new();
        for m in self.pool_matches(pool) {
            if !m.status.is_decided() || m.status == MatchStatus::Bye {
                continue;
            }
            let (Some(a), Some(b)) = (
                m.participant(0).and_then(|id| position.get(id)).copied(),
                m.participant(1).and_then(|id| position.get(id)).copied(),
            ) else {
                continue;
            };
            let score = m.result.as_ref().and_then(|r| r.score()).unwrap_or([0, 0]);
            let (pa, pb) = match &m.winner {
                Some(w) if m.participant(0) == Some(w) => (2, 0),
                Some(_) => (0, 2),
                None if m.status == MatchStatus::Completed => (1, 1),
                None => (0, 0),
            };
            for (me, mine, theirs, pts) in
                [(a, score[0], score[1], pa), (b, score[1], score[0], pb)]
            {
                let row = &mut rows[me];
                row.played += 1;
                row.points += pts;
                match pts {
                    2 => row.wins += 1,
                    1 => row.draws += 1,
                    _ => row.losses += 1,
                }
                row.score_for += u64::from(mine);
                row.score_against += u64::from(theirs);
            }
            results.push((a, b, pa, pb));
        }
        // Head-to-head points among participants level on points.
        let mut head_to_head = vec![0u32; rows.len()];
        for (a, b, pa, pb) in &results {
            if rows[*a].points == rows[*b].points {
                head_to_head[*a] += pa;
                head_to_head[*b] += pb;
            }
        }
        let sporting = |x: usize, y: usize| -> Ordering {
            let (rx, ry) = (&rows[x], &rows[y]);
            let diff = |r: &Standing| i128::from(r.score_for) - i128::from(r.score_against);
            ry.points
                .cmp(&rx.points)
                .then(head_to_head[y].cmp(&head_to_head[x]))
                .then(diff(ry).cmp(&diff(rx)))
                .then(ry.score_for.cmp(&rx.score_for))
        };
        // Members are listed in seed order, so the member index breaks ties by seed.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&x, &y| sporting(x, y).then(x.cmp(&y)));
        let mut ranks = vec![0u32; rows.len()];
        for (k, &i) in order.iter().enumerate() {
            ranks[i] = match k.checked_sub(1).map(|p| order[p]) {
                Some(prev) if sporting(prev, i) == Ordering::Equal => ranks[prev],
                _ => u32::try_from(k + 1).unwrap_or(u32::MAX),
            };
        }
        order
            .into_iter()
            .map(|i| Standing {
                rank: ranks[i],
                ..rows[i].clone()
            })
            .collect()
    }

    /// Participants of a pool in strict finishing order.
    pub(super) fn pool_order(&self, pool: usize) -> Vec<ParticipantId> {
        self.pool_table(pool)
            .into_iter()
            .map(|s| s.participant)
            .collect()
    }
}
