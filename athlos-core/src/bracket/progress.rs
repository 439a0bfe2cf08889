//! Progression: results, byes, walkovers, withdrawals, corrections and final placements.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use super::{
    Bracket, BracketError, Format, Match, MatchId, MatchResult, MatchStatus, Occupant, Part,
    Placement, Source,
};
use crate::model::ParticipantId;

impl Bracket {
    /// Records (or corrects) the result of a match and moves the winner on — and the loser,
    /// where the format says (losers' bracket, repechage, third place). Byes and walkovers that
    /// follow resolve themselves. A [`MatchResult::DoubleForfeit`] sends nobody on: the slots
    /// it feeds become byes (the opponent waiting there advances), and in a pool both sides
    /// take a loss; its status is `walkover` with no winner.
    ///
    /// A correction is accepted while no match that depends on this one has been played; what
    /// depends on it is then re-computed. Changing only the score of an elimination match is
    /// always accepted.
    ///
    /// # Errors
    /// [`BracketError::UnknownMatch`]; [`BracketError::MatchNotReady`] when an opponent is not
    /// known; [`BracketError::MatchNotPlayable`] for a match decided by a bye, a withdrawal or
    /// not needed; [`BracketError::NotInMatch`] when the winner does not play in it;
    /// [`BracketError::DrawNotAllowed`] for a draw outside pools;
    /// [`BracketError::DependentPlayed`] for a correction whose consequences were played.
    /// The bracket is unchanged on error.
    pub fn record_result(&mut self, id: &MatchId, result: MatchResult) -> Result<(), BracketError> {
        let index = self
            .position(id)
            .ok_or(BracketError::UnknownMatch { match_id: *id })?;
        let current = &self.matches[index];
        let (Some(a), Some(b)) = (current.participant(0), current.participant(1)) else {
            return Err(match current.status {
                MatchStatus::Pending => BracketError::MatchNotReady { match_id: *id },
                status => BracketError::MatchNotPlayable {
                    match_id: *id,
                    status,
                },
            });
        };
        let playable = match current.status {
            MatchStatus::Ready => true,
            MatchStatus::Completed | MatchStatus::Walkover => current.result.is_some(),
            _ => false,
        };
        if !playable {
            return Err(BracketError::MatchNotPlayable {
                match_id: *id,
                status: current.status,
            });
        }
        match result.winner() {
            Some(w) if w != a && w != b => {
                return Err(BracketError::NotInMatch {
                    match_id: *id,
                    participant: w.clone(),
                })
            }
            None if current.part != Part::Pool
                && !matches!(result, MatchResult::DoubleForfeit {}) =>
            {
                return Err(BracketError::DrawNotAllowed { match_id: *id })
            }
            _ => {}
        }
        if let Some(previous) = &current.result {
            let same_outcome = previous.winner() == result.winner();
            if !same_outcome || current.part == Part::Pool {
                if let Some(dependent) = self.played_dependent(index) {
                    return Err(BracketError::DependentPlayed {
                        match_id: *id,
                        dependent,
                    });
                }
            }
        }
        self.matches[index].result = Some(result);
        self.settle_from(index);
        Ok(())
    }

    /// Withdraws (or disqualifies) a participant: each of their matches not yet played becomes
    /// a walkover for the opponent, now or as soon as the opponent is known. Played results
    /// stand.
    ///
    /// # Errors
    /// [`BracketError::UnknownParticipant`], [`BracketError::AlreadyWithdrawn`]; the bracket is
    /// unchanged on error.
    pub fn withdraw(&mut self, participant: &ParticipantId) -> Result<(), BracketError> {
        if self.seed_index(participant).is_none() {
            return Err(BracketError::UnknownParticipant {
                participant: participant.clone(),
            });
        }
        if self.withdrawn.contains(participant) {
            return Err(BracketError::AlreadyWithdrawn {
                participant: participant.clone(),
            });
        }
        self.withdrawn.insert(participant.clone());
        self.recompute_all();
        Ok(())
    }

    /// Final placements, best first (ties by seed), once every match is decided.
    ///
    /// - Elimination: the champion 1, the final's loser 2, then by the round of elimination,
    ///   shared: single elimination 3, 3, 5, 5, 5, 5, 9 … (3 and 4 with a third-place match);
    ///   repechage 1, 2, 3, 3, 5, 5, 7, 7, then 9 … by round; double elimination 1, 2, then by
    ///   the losers' round of the second loss (3, 4, 5, 5, 7, 7, 9 …). Without a grand final the
    ///   winners' champion is 1st and the losers' champion 2nd. Both participants of a double
    ///   walkover share the place of the round they would have lost in.
    /// - Round robin: by pool standings; with several pools the same pool rank is shared.
    /// - Groups: the knockout as above, then the non-qualifiers by pool rank, shared across
    ///   pools.
    ///
    /// # Errors
    /// [`BracketError::Incomplete`] naming the first undecided match.
    pub fn placements(&self) -> Result<Vec<Placement>, BracketError> {
        if let Some(open) = self.matches.iter().find(|m| !m.status.is_decided()) {
            return Err(BracketError::Incomplete {
                match_id: open.id,
                status: open.status,
            });
        }
        let mut level: BTreeMap<ParticipantId, i64> = BTreeMap::new();
        for (m, meta) in self.matches.iter().zip(&self.index.meta) {
            if m.status == MatchStatus::Skipped || m.part == Part::Pool {
                continue;
            }
            if meta.levels_if_first_wins && m.winner.as_ref() != m.participant(0) {
                continue;
            }
            match &m.winner {
                Some(w) => {
                    if let Some(l) = meta.winner_level {
                        level.insert(w.clone(), l);
                    }
                    if let (Some(l), Some(loser)) = (meta.loser_level, m.loser()) {
                        level.insert(loser.clone(), l);
                    }
                }
                None => {
                    for p in m.slots.iter().filter_map(|s| s.occupant.participant()) {
                        level.insert(p.clone(), meta.both_out_level);
                    }
                }
            }
        }
        if matches!(self.format, Format::RoundRobin | Format::Groups) {
            for pool in 0..self.pools.len() {
                for standing in self.pool_table(pool) {
                    level
                        .entry(standing.participant)
                        .or_insert(-i64::from(standing.rank));
                }
            }
        }
        let mut levels: Vec<i64> = level.values().copied().collect();
        levels.sort_unstable_by(|a, b| b.cmp(a));
        let mut out: Vec<(u32, usize, ParticipantId)> = Vec::with_capacity(self.participants.len());
        for (seed, p) in self.participants.iter().enumerate() {
            // Every participant stands in a decided match or a pool, so has a level; one
            // without (impossible by construction) is placed last.
            let own = level.get(&p.id).copied().unwrap_or(i64::MIN);
            let better = levels.partition_point(|&l| l > own);
            out.push((
                u32::try_from(better + 1).unwrap_or(u32::MAX),
                seed,
                p.id.clone(),
            ));
        }
        // Places, then seeds: a total order (seeds are distinct positions).
        out.sort_unstable_by_key(|&(place, seed, _)| (place, seed));
        let out = out
            .into_iter()
            .map(|(place, _, participant)| Placement { place, participant })
            .collect();
        Ok(out)
    }

    /// The first played match reachable from `index` through matches that would change with it.
    fn played_dependent(&self, index: usize) -> Option<MatchId> {
        let mut stack = vec![index];
        let mut seen = vec![false; self.matches.len()];
        while let Some(i) = stack.pop() {
            for &d in self.dependents(i) {
                let d = d as usize;
                if std::mem::replace(&mut seen[d], true) {
                    continue;
                }
                let m = &self.matches[d];
                if m.result.is_some() {
                    return Some(m.id);
                }
                if m.status.is_decided() {
                    stack.push(d);
                }
            }
        }
        None
    }

    fn dependents(&self, index: usize) -> &[u32] {
        let (start, end) = self
            .index
            .meta
            .get(index)
            .map(|m| m.dependents)
            .unwrap_or((0, 0));
        self.index
            .dependents
            .get(start as usize..end as usize)
            .unwrap_or(&[])
    }

    /// Re-evaluates every match in order (sources always come earlier).
    pub(super) fn recompute_all(&mut self) {
        for i in 0..self.matches.len() {
            self.evaluate(i);
        }
    }

    /// Re-evaluates `index` and whatever changes with it, in order.
    fn settle_from(&mut self, index: usize) {
        let mut queued = vec![false; self.matches.len()];
        let mut heap = BinaryHeap::new();
        heap.push(Reverse(index));
        queued[index] = true;
        while let Some(Reverse(i)) = heap.pop() {
            if self.evaluate(i) || i == index {
                for &d in self.dependents(i) {
                    let d = d as usize;
                    if !std::mem::replace(&mut queued[d], true) {
                        heap.push(Reverse(d));
                    }
                }
            }
        }
    }

    /// Recomputes a match's occupants, status and winner from its sources; true if it changed.
    fn evaluate(&mut self, index: usize) -> bool {
        let pulled = [self.pull(index, 0), self.pull(index, 1)];
        let (status, winner, keep_result) = {
            let m = &self.matches[index];
            let occupants = [
                pulled[0].as_ref().unwrap_or(&m.slots[0].occupant),
                pulled[1].as_ref().unwrap_or(&m.slots[1].occupant),
            ];
            self.decide(index, occupants)
        };
        let m = &mut self.matches[index];
        let mut changed = m.status != status || m.winner != winner;
        for (slot, occupant) in m.slots.iter_mut().zip(pulled) {
            if let Some(occupant) = occupant {
                if slot.occupant != occupant {
                    slot.occupant = occupant;
                    changed = true;
                }
            }
        }
        m.status = status;
        m.winner = winner;
        if !keep_result {
            m.result = None;
        }
        changed
    }

    /// The occupant a slot's source gives now; `None` for entries, which never change.
    fn pull(&self, index: usize, side: usize) -> Option<Occupant> {
        let m = &self.matches[index];
        let source_index = self.index.meta[index].sources[side].map(|i| i as usize);
        Some(match (&m.slots[side].source, source_index) {
            (Source::Entry, _) => return None,
            (Source::Winner { .. }, Some(i)) => self.outcome(i, true),
            (Source::Loser { .. }, Some(i)) => self.outcome(i, false),
            (Source::Rematch { slot, .. }, Some(i)) => {
                let from = &self.matches[i];
                if from.status.is_decided() {
                    from.slots
                        .get(usize::from(slot.saturating_sub(1)))
                        .map(|s| s.occupant.clone())
                        .unwrap_or(Occupant::Bye)
                } else {
                    Occupant::Pending
                }
            }
            (Source::PoolRank { pool, rank }, _) => {
                let pool = pool.saturating_sub(1) as usize;
                if !self.pool_complete(pool) {
                    return Some(Occupant::Pending);
                }
                self.pool_order(pool)
                    .get(rank.saturating_sub(1) as usize)
                    .map(|id| Occupant::Participant { id: id.clone() })
                    .unwrap_or(Occupant::Bye)
            }
            // A winner/loser source always has its index; a missing one reads as nobody.
            _ => Occupant::Bye,
        })
    }

    /// The winner (or loser) coming out of match `i`.
    fn outcome(&self, i: usize, winner: bool) -> Occupant {
        let m = &self.matches[i];
        if !m.status.is_decided() {
            return Occupant::Pending;
        }
        match (&m.winner, winner) {
            (Some(w), true) => Occupant::Participant { id: w.clone() },
            (Some(_), false) => match m.loser() {
                Some(l) => Occupant::Participant { id: l.clone() },
                None => Occupant::Bye,
            },
            (None, _) => Occupant::Bye,
        }
    }

    fn decide(
        &self,
        index: usize,
        occupants: [&Occupant; 2],
    ) -> (MatchStatus, Option<ParticipantId>, bool) {
        let m = &self.matches[index];
        if let Source::Rematch { .. } = m.slots[0].source {
            if let Some(first) =
                self.index.meta[index].sources[0].map(|i| &self.matches[i as usize])
            {
                if !first.status.is_decided() {
                    return (MatchStatus::Pending, None, false);
                }
                if first.winner.is_none() || first.winner.as_ref() == first.participant(0) {
                    return (MatchStatus::Skipped, None, false);
                }
            }
        }
        match occupants {
            [Occupant::Pending, _] | [_, Occupant::Pending] => (MatchStatus::Pending, None, false),
            [Occupant::Bye, Occupant::Bye] => (MatchStatus::Bye, None, false),
            [Occupant::Participant { id }, Occupant::Bye]
            | [Occupant::Bye, Occupant::Participant { id }] => {
                (MatchStatus::Bye, Some(id.clone()), false)
            }
            [Occupant::Participant { id: a }, Occupant::Participant { id: b }] => {
                if let Some(result) = &m.result {
                    let fits = match result.winner() {
                        Some(w) => w == a || w == b,
                        None => {
                            m.part == Part::Pool || matches!(result, MatchResult::DoubleForfeit {})
                        }
                    };
                    if fits {
                        let status = match result {
                            MatchResult::Walkover { .. } | MatchResult::DoubleForfeit {} => {
                                MatchStatus::Walkover
                            }
                            _ => MatchStatus::Completed,
                        };
                        return (status, result.winner().cloned(), true);
                    }
                }
                match (self.withdrawn.contains(a), self.withdrawn.contains(b)) {
                    (true, true) => (MatchStatus::Walkover, None, false),
                    (true, false) => (MatchStatus::Walkover, Some(b.clone()), false),
                    (false, true) => (MatchStatus::Walkover, Some(a.clone()), false),
                    (false, false) => (MatchStatus::Ready, None, false),
                }
            }
        }
    }

    pub(super) fn pool_matches(&self, pool: usize) -> impl Iterator<Item = &Match> {
        let number = u32::try_from(pool + 1).unwrap_or(u32::MAX);
        let start = self
            .matches
            .partition_point(|m| (m.part, m.pool) < (Part::Pool, Some(number)));
        self.matches[start..]
            .iter()
            .take_while(move |m| m.part == Part::Pool && m.pool == Some(number))
    }

    fn pool_complete(&self, pool: usize) -> bool {
        self.pool_matches(pool).all(|m| m.status.is_decided())
    }
}
