//! The draw quality report: is this a good draw, and how does it compare with another?
//!
//! For an elimination placement the report checks:
//! - **seed integrity**: for every k, the top 2^k placed seeds sit in different 2^k-ths of the
//!   bracket (1 and 2 in opposite halves, 1–4 in different quarters, …), so seeds can only
//!   meet as late as the seeding promises;
//! - **separation**: for every club (and nation) with several entries, the earliest round in
//!   which two of them can meet, against the best any draw of that many entries could do
//!   (`best_possible_round`); a meeting at the best possible round could not be avoided;
//! - **byes**: who received them, whether they went to the top seeds, and how many fell in
//!   each quarter;
//! - **rating balance**: the mean rating of each half and quarter.
//!
//! ## Score
//! One overall score from 0 to 100 lets two draws of the same field be compared:
//! - 40 points for seed integrity, shared equally among the seeding levels checked;
//! - 30 points for club separation and 10 for nation separation: each group loses its share
//!   in proportion to the rounds it falls short of its best possible round;
//! - 10 points for byes: full marks when the quarters' bye counts differ by at most one,
//!   minus 5 for each bye beyond that;
//! - 10 points for rating balance: minus one point per percent the halves' mean ratings
//!   (or pools') differ by.
//!
//! All arithmetic is on integers, so the same draw always gets the same score.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bracket::{Bracket, Pool};
use crate::model::{Participant, ParticipantId};
use crate::seeding::{meeting_round, FirstRound};

/// The quality report of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawReport {
    /// Number of entries.
    pub entries: usize,
    /// Number of first-round slots (a power of two).
    pub bracket_size: usize,
    /// Number of rounds of the main bracket.
    pub rounds: u32,
    /// How many entries were placed by seed.
    pub seeded: usize,
    /// Whether seeds are kept apart as the seeding promises.
    pub seed_integrity: SeedIntegrity,
    /// Clubs with several entries and how soon they can meet.
    pub clubs: Vec<GroupMeeting>,
    /// Nations with several entries and how soon they can meet.
    pub nations: Vec<GroupMeeting>,
    /// Where the byes went.
    pub byes: ByeReport,
    /// Rating balance between halves and quarters.
    pub balance: RatingBalance,
    /// Overall score, 0–100 (higher is better).
    pub score: u32,
}

/// Seed integrity of a placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedIntegrity {
    /// True when every level holds.
    pub intact: bool,
    /// Levels checked: level k means "the top 2^k seeds are in different 2^k-ths".
    pub levels_checked: u32,
    /// Levels that hold.
    pub levels_intact: u32,
    /// Pairs of seeds that sit closer than their level allows (one per broken level).
    pub violations: Vec<SeedViolation>,
}

/// Two seeds that can meet earlier than the seeding promises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedViolation {
    /// The broken level k (top 2^k seeds).
    pub level: u32,
    /// The stronger seed (1-based).
    pub seed_a: usize,
    /// The weaker seed (1-based).
    pub seed_b: usize,
    /// The round in which they can meet.
    pub meets_in_round: u32,
    /// The earliest round the level allows.
    pub promised_round: u32,
}

/// Entries of one club or nation and the earliest round two of them can meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMeeting {
    /// The club or nation.
    pub name: String,
    /// Its entries, in slot order.
    pub members: Vec<ParticipantId>,
    /// The earliest round in which two members can meet.
    pub earliest_round: u32,
    /// The latest `earliest_round` any draw of this many entries into this bracket allows.
    pub best_possible_round: u32,
    /// True when the meeting could not be pushed later in any draw.
    pub unavoidable: bool,
    /// The pairs that can meet in `earliest_round`.
    pub first_meetings: Vec<[ParticipantId; 2]>,
}

/// Where the byes went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByeReport {
    /// Number of byes.
    pub count: usize,
    /// Entries that received a bye, with their seed (1-based), strongest first.
    pub recipients: Vec<ByeRecipient>,
    /// True when the byes went exactly to seeds 1…count.
    pub to_top_seeds: bool,
    /// Byes per quarter of the bracket (per half when the bracket has fewer than 4 slots).
    pub per_quarter: Vec<usize>,
}

/// An entry that received a first-round bye.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByeRecipient {
    /// The entry.
    pub id: ParticipantId,
    /// Its seed (1-based position in the seed order).
    pub seed: usize,
}

/// Mean ratings of bracket sections (rated entries only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingBalance {
    /// Mean rating of each half (`None` when a half has no rated entry).
    pub halves: Vec<Option<u32>>,
    /// Mean rating of each quarter.
    pub quarters: Vec<Option<u32>>,
    /// Largest difference between halves' means.
    pub halves_gap: u32,
    /// Largest difference between quarters' means.
    pub quarters_gap: u32,
    /// Mean rating of each pool (pool formats only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<Option<u32>>,
    /// Largest difference between pools' means.
    #[serde(default)]
    pub pools_gap: u32,
}

impl DrawReport {
    /// The report of a bracket's draw: its first-round placement for elimination formats, its
    /// pools for round robin and groups.
    ///
    /// For pool formats, "round" 1 means the pool stage and 2 anything later: a club's
    /// `earliest_round` is 1 when two members share a pool, and seed integrity checks that
    /// the top seeds (one per pool) are in different pools.
    pub fn for_bracket(bracket: &Bracket) -> Self {
        let participants = bracket.participants();
        let seeded = bracket
            .options()
            .max_seeds
            .map_or(participants.len(), |k| (k as usize).min(participants.len()));
        match bracket.first_round_slots() {
            Some(slots) => {
                let placement = FirstRound {
                    slots: slots.to_vec(),
                    seed_order: participants.iter().map(|p| p.id.clone()).collect(),
                    seeded,
                };
                Self::for_placement(participants, &placement)
            }
            None => Self::for_pools(participants, bracket.pools(), bracket.rounds()),
        }
    }

    fn for_pools(participants: &[Participant], pools: &[Pool], rounds: u32) -> Self {
        let pool_of: BTreeMap<&ParticipantId, usize> = pools
            .iter()
            .enumerate()
            .flat_map(|(i, pool)| pool.members.iter().map(move |id| (id, i)))
            .collect();
        // Top seeds: one per pool, in seed order (the field is in seed order).
        let top: Vec<usize> = participants
            .iter()
            .take(pools.len())
            .filter_map(|p| pool_of.get(&p.id).copied())
            .collect();
        let distinct = top.iter().collect::<std::collections::BTreeSet<_>>().len() == top.len();
        let checked = u32::from(pools.len() > 1);
        let seed_integrity = SeedIntegrity {
            intact: distinct || checked == 0,
            levels_checked: checked,
            levels_intact: if distinct { checked } else { 0 },
            violations: Vec::new(),
        };
        let group = |key: fn(&Participant) -> Option<&str>| {
            let mut groups: BTreeMap<&str, Vec<&Participant>> = BTreeMap::new();
            for p in participants {
                if let Some(name) = key(p).map(str::trim).filter(|n| !n.is_empty()) {
                    groups.entry(name).or_default().push(p);
                }
            }
            groups
                .into_iter()
                .filter(|(_, members)| members.len() > 1)
                .map(|(name, members)| {
                    let mut first_meetings = Vec::new();
                    for (i, a) in members.iter().enumerate() {
                        for b in &members[i + 1..] {
                            if pool_of.get(&a.id) == pool_of.get(&b.id) {
                                first_meetings.push([a.id.clone(), b.id.clone()]);
                            }
                        }
                    }
                    let earliest = if first_meetings.is_empty() { 2 } else { 1 };
                    let best = if members.len() > pools.len() { 1 } else { 2 };
                    GroupMeeting {
                        name: name.to_owned(),
                        members: members.iter().map(|p| p.id.clone()).collect(),
                        earliest_round: earliest,
                        best_possible_round: best,
                        unavoidable: earliest >= best,
                        first_meetings,
                    }
                })
                .collect::<Vec<_>>()
        };
        let clubs = group(|p| p.club.as_deref());
        let nations = group(|p| p.nation.as_deref());
        let by_id: BTreeMap<&ParticipantId, &Participant> =
            participants.iter().map(|p| (&p.id, p)).collect();
        let pool_means: Vec<Option<u32>> = pools
            .iter()
            .map(|pool| {
                let ratings: Vec<u64> = pool
                    .members
                    .iter()
                    .filter_map(|id| by_id.get(id).and_then(|p| p.rating).map(u64::from))
                    .collect();
                let count = ratings.len() as u64;
                (count > 0).then(|| ((ratings.iter().sum::<u64>() + count / 2) / count) as u32)
            })
            .collect();
        let pools_gap = gap(&pool_means);
        let mut report = DrawReport {
            entries: participants.len(),
            bracket_size: 0,
            rounds,
            seeded: participants.len(),
            seed_integrity,
            clubs,
            nations,
            byes: ByeReport {
                count: 0,
                recipients: Vec::new(),
                to_top_seeds: true,
                per_quarter: Vec::new(),
            },
            balance: RatingBalance {
                halves: Vec::new(),
                quarters: Vec::new(),
                halves_gap: 0,
                quarters_gap: 0,
                pools: pool_means,
                pools_gap,
            },
            score: 0,
        };
        report.score = report.compute_score(participants);
        report
    }

    /// The report of an elimination placement of `participants`.
    pub fn for_placement(participants: &[Participant], placement: &FirstRound) -> Self {
        let by_id: BTreeMap<&ParticipantId, &Participant> =
            participants.iter().map(|p| (&p.id, p)).collect();
        let seed_of: BTreeMap<&ParticipantId, usize> = placement
            .seed_order
            .iter()
            .enumerate()
            .map(|(i, id)| (id, i + 1))
            .collect();
        let size = placement.slots.len();
        let rounds = meeting_round(0, size.saturating_sub(1));
        let slot_of: BTreeMap<&ParticipantId, usize> = placement
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, id)| id.as_ref().map(|id| (id, slot)))
            .collect();

        let seed_integrity = seed_integrity(placement, &slot_of, rounds);
        let group =
            |key: fn(&Participant) -> Option<&str>| group_meetings(placement, &by_id, key, rounds);
        let clubs = group(|p| p.club.as_deref());
        let nations = group(|p| p.nation.as_deref());
        let byes = bye_report(placement, &seed_of);
        let balance = rating_balance(placement, &by_id);

        let mut report = DrawReport {
            entries: slot_of.len(),
            bracket_size: size,
            rounds,
            seeded: placement.seeded,
            seed_integrity,
            clubs,
            nations,
            byes,
            balance,
            score: 0,
        };
        report.score = report.compute_score(participants);
        report
    }

    fn compute_score(&self, participants: &[Participant]) -> u32 {
        let integrity = (400 * self.seed_integrity.levels_intact)
            .checked_div(self.seed_integrity.levels_checked)
            .unwrap_or(400);
        let separation = |groups: &[GroupMeeting], points: u32| -> u32 {
            if groups.is_empty() {
                return points;
            }
            let share_lost: u32 = groups
                .iter()
                .map(|g| {
                    let short = g.best_possible_round.saturating_sub(g.earliest_round);
                    let worst = g.best_possible_round.saturating_sub(1).max(1);
                    points * short.min(worst) / worst
                })
                .sum();
            points.saturating_sub(share_lost / groups.len() as u32)
        };
        let club = separation(&self.clubs, 300);
        let nation = separation(&self.nations, 100);
        let spread = match (
            self.byes.per_quarter.iter().min(),
            self.byes.per_quarter.iter().max(),
        ) {
            (Some(lo), Some(hi)) => hi - lo,
            _ => 0,
        };
        let byes = 100u32.saturating_sub(50 * spread.saturating_sub(1) as u32);
        let rated: Vec<u64> = participants
            .iter()
            .filter_map(|p| p.rating.map(u64::from))
            .collect();
        let balance = if rated.is_empty() {
            100
        } else {
            let mean = rated.iter().sum::<u64>() / rated.len() as u64;
            let percent = (u64::from(self.balance.halves_gap.max(self.balance.pools_gap)) * 100)
                .checked_div(mean)
                .unwrap_or(0);
            100u32.saturating_sub(10 * percent.min(10) as u32)
        };
        // Points are kept in tenths until here so partial shares are not lost to rounding.
        (integrity + club + nation + byes + balance + 5) / 10
    }
}

fn seed_integrity(
    placement: &FirstRound,
    slot_of: &BTreeMap<&ParticipantId, usize>,
    rounds: u32,
) -> SeedIntegrity {
    let seeded: Vec<usize> = placement
        .seed_order
        .iter()
        .take(placement.seeded)
        .filter_map(|id| slot_of.get(id).copied())
        .collect();
    let mut violations = Vec::new();
    let mut checked = 0;
    let mut intact = 0;
    let mut level = 1;
    // Level k: the top 2^k seeds lie in different sections of size P / 2^k.
    while level <= rounds && (1usize << (level - 1)) < seeded.len() {
        checked += 1;
        let top = seeded.len().min(1 << level);
        let mut section_holder: BTreeMap<usize, usize> = BTreeMap::new();
        let mut broken = None;
        for (i, &slot) in seeded.iter().take(top).enumerate() {
            if let Some(&j) = section_holder.get(&(slot >> (rounds - level))) {
                broken = Some((j, i));
                break;
            }
            section_holder.insert(slot >> (rounds - level), i);
        }
        match broken {
            None => intact += 1,
            Some((a, b)) => violations.push(SeedViolation {
                level,
                seed_a: a + 1,
                seed_b: b + 1,
                meets_in_round: meeting_round(seeded[a], seeded[b]),
                promised_round: rounds - level + 1,
            }),
        }
        level += 1;
    }
    SeedIntegrity {
        intact: violations.is_empty(),
        levels_checked: checked,
        levels_intact: intact,
        violations,
    }
}

fn group_meetings(
    placement: &FirstRound,
    by_id: &BTreeMap<&ParticipantId, &Participant>,
    key: fn(&Participant) -> Option<&str>,
    rounds: u32,
) -> Vec<GroupMeeting> {
    let mut groups: BTreeMap<&str, Vec<(usize, &ParticipantId)>> = BTreeMap::new();
    for (slot, id) in placement.slots.iter().enumerate() {
        let Some(id) = id else { continue };
        if let Some(name) = by_id.get(id).and_then(|p| key(p)).map(str::trim) {
            if !name.is_empty() {
                groups.entry(name).or_default().push((slot, id));
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(name, members)| {
            // Members are in slot order; the closest pair is always a neighbouring one.
            let earliest = members
                .windows(2)
                .map(|w| meeting_round(w[0].0, w[1].0))
                .min()
                .unwrap_or(rounds);
            let count = members.len();
            let spread_levels = usize::BITS - (count - 1).leading_zeros();
            let best = (rounds + 1).saturating_sub(spread_levels).max(1);
            let mut first_meetings = Vec::new();
            for (i, a) in members.iter().enumerate() {
                for b in &members[i + 1..] {
                    if meeting_round(a.0, b.0) == earliest {
                        first_meetings.push([a.1.clone(), b.1.clone()]);
                    }
                }
            }
            GroupMeeting {
                name: name.to_owned(),
                members: members.iter().map(|m| m.1.clone()).collect(),
                earliest_round: earliest,
                best_possible_round: best,
                unavoidable: earliest >= best,
                first_meetings,
            }
        })
        .collect()
}

fn bye_report(placement: &FirstRound, seed_of: &BTreeMap<&ParticipantId, usize>) -> ByeReport {
    let size = placement.slots.len();
    let sections = if size >= 4 { 4 } else { 2 };
    let mut per_quarter = vec![0usize; sections];
    let mut recipients = Vec::new();
    for (slot, occupant) in placement.slots.iter().enumerate() {
        if occupant.is_none() {
            per_quarter[slot * sections / size] += 1;
            if let Some(Some(id)) = placement.slots.get(slot ^ 1) {
                recipients.push(ByeRecipient {
                    id: id.clone(),
                    seed: seed_of.get(id).copied().unwrap_or(0),
                });
            }
        }
    }
    recipients.sort_by_key(|r| (r.seed, r.id.clone()));
    let count = placement.byes();
    let to_top_seeds = recipients.iter().enumerate().all(|(i, r)| r.seed == i + 1);
    ByeReport {
        count,
        recipients,
        to_top_seeds,
        per_quarter,
    }
}

fn rating_balance(
    placement: &FirstRound,
    by_id: &BTreeMap<&ParticipantId, &Participant>,
) -> RatingBalance {
    let size = placement.slots.len();
    let means = |sections: usize| -> Vec<Option<u32>> {
        let mut sum = vec![(0u64, 0u64); sections];
        for (slot, id) in placement.slots.iter().enumerate() {
            if let Some(rating) = id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .and_then(|p| p.rating)
            {
                let s = &mut sum[slot * sections / size];
                s.0 += u64::from(rating);
                s.1 += 1;
            }
        }
        sum.into_iter()
            .map(|(total, count)| (count > 0).then(|| ((total + count / 2) / count) as u32))
            .collect()
    };
    let halves = means(2);
    let quarters = means(if size >= 4 { 4 } else { 2 });
    RatingBalance {
        halves_gap: gap(&halves),
        quarters_gap: gap(&quarters),
        halves,
        quarters,
        pools: Vec::new(),
        pools_gap: 0,
    }
}

/// The largest difference between known means.
fn gap(means: &[Option<u32>]) -> u32 {
    let known: Vec<u32> = means.iter().flatten().copied().collect();
    match (known.iter().min(), known.iter().max()) {
        (Some(lo), Some(hi)) => hi - lo,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bracket::{BracketOptions, Format};
    use crate::seeding::{place, SeedOrdering};

    fn field(n: usize) -> Vec<Participant> {
        (1..=n)
            .map(|i| {
                Participant::new(format!("p{i}"), format!("P{i}"))
                    .unwrap()
                    .with_seed(i as u32)
                    .with_rating(2000 - i as u32 * 10)
            })
            .collect()
    }

    #[test]
    fn standard_draw_is_intact_with_byes_to_top_seeds() {
        let f = field(12);
        let p = place(&f, &BracketOptions::new(Format::SingleElimination), 0).unwrap();
        let r = DrawReport::for_placement(&f, &p);
        assert!(r.seed_integrity.intact);
        assert_eq!(r.seed_integrity.levels_checked, 4);
        assert_eq!(r.byes.count, 4);
        assert!(r.byes.to_top_seeds);
        assert_eq!(r.byes.per_quarter, [1, 1, 1, 1]);
        assert_eq!(r.score, 100);
    }

    #[test]
    fn natural_ordering_breaks_seed_integrity() {
        let f = field(8);
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.ordering = SeedOrdering::Natural;
        let p = place(&f, &options, 0).unwrap();
        let r = DrawReport::for_placement(&f, &p);
        assert!(!r.seed_integrity.intact);
        assert_eq!(
            r.seed_integrity.violations[0],
            SeedViolation {
                level: 1,
                seed_a: 1,
                seed_b: 2,
                meets_in_round: 1,
                promised_round: 3
            }
        );
        assert!(r.score < 100);
    }

    #[test]
    fn unavoidable_club_meeting_is_reported() {
        // Five club-mates in an 8-slot bracket: two must share a quarter (round 2 at best).
        let mut f = field(8);
        for p in f.iter_mut().take(5) {
            p.club = Some("Dojo".into());
        }
        let p = place(&f, &BracketOptions::new(Format::SingleElimination), 0).unwrap();
        let r = DrawReport::for_placement(&f, &p);
        assert_eq!(r.clubs.len(), 1);
        let club = &r.clubs[0];
        assert_eq!(club.best_possible_round, 1);
        assert!(club.unavoidable);
        assert_eq!(club.earliest_round, 1);
    }

    #[test]
    fn two_club_mates_can_be_kept_apart_until_the_final() {
        let mut f = field(16);
        f[4].club = Some("Dojo".into());
        f[5].club = Some("Dojo".into());
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.max_seeds = Some(4);
        let p = place(&f, &options, 3).unwrap();
        let r = DrawReport::for_placement(&f, &p);
        assert_eq!(r.clubs[0].best_possible_round, 4);
        assert_eq!(r.clubs[0].earliest_round, 4);
        assert!(r.clubs[0].unavoidable);
    }
}
