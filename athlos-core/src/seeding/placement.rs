//! Bracket placement: where each entry stands in the first round of an elimination bracket.
//!
//! The placement works on a *virtual seed list* of the bracket size P (the smallest power of
//! two holding the field): entry `v` of the list is the entry with seed `v + 1`, or a bye.
//! The chosen [`SeedOrdering`] then turns the list into slots, exactly as brackets-manager.js
//! does with its seeding array. With the default `inner_outer` ordering this is the standard
//! seeded placement: seeds 1 and 2 can only meet in the final, 1–4 only from the semi-finals,
//! 1–8 only from the quarter-finals, and so on.
//!
//! ## Byes
//! A field of N < P gets B = P − N byes. By default the byes take the virtual seeds N+1…P
//! (brackets-manager.js pads its seeding the same way), so under `inner_outer` they stand
//! opposite the top seeds: seed 1 gets the first bye, seed 2 the second, …
//!
//! With `balance_byes` the byes are spread instead:
//! - under `inner_outer`, the top seeds play: the byes go to the weakest seeds of the top half
//!   (seeds P/2 − B + 1 … P/2), whose slots the standard placement spreads evenly over the
//!   halves and quarters, and seed 1 meets seed N, seed 2 meets seed N − 1, and so on;
//! - under the other orderings, the list is built as brackets-manager.js' `balanceByes` does
//!   (the strongest N − B entries in consecutive pairs, then the weakest B each followed by a
//!   bye), so no bye meets a bye and the draw is identical to that library's.
//!
//! ## Seeded draws (`max_seeds`)
//! With `max_seeds = K` only the top K entries keep their seeded slots; the others are drawn
//! into the remaining entry slots with [`DrawRng`] seeded from the draw's `seed`
//! (IJF style: seeded athletes fixed, everyone else drawn).
//!
//! ## Separation
//! Members of the same club, then of the same nation, are kept apart as long as the bracket
//! allows, without moving a byed slot or breaking seed placement:
//! - drawn (unseeded) entries are distributed half by half: at every level of the bracket each
//!   entry goes to the half holding fewer of its club-mates (then compatriots), so team-mates
//!   are spread over halves, then quarters, then eighths;
//! - seeded entries may only trade slots with seeds of the same tier (3–4, 5–8, 9–16, …),
//!   which keeps every seeding guarantee; a seed moves only when that lowers its club
//!   (then nation) meetings, and otherwise stays in its standard slot.
//!
//! Where a meeting cannot be avoided, the quality report says so and in which round it can
//! first happen.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::order::seed_order;
use super::rng::DrawRng;
use super::SeedingError;
use crate::bracket::BracketOptions;
use crate::error::Error;
use crate::model::{validate_field, Participant, ParticipantId};
use crate::seeding::SeedOrdering;

/// The largest field a bracket accepts (2^20 entries).
pub const MAX_ENTRIES: usize = 1 << 20;

/// A field placed into the first round (what [`place`] returns): the first-round slots and
/// the seed order behind them. A final place in a bracket is a [`crate::bracket::Placement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstRound {
    /// Slots in bracket order; slots `2k` and `2k + 1` meet in the first round. `None` is a bye.
    pub slots: Vec<Option<ParticipantId>>,
    /// The field in seed order, strongest first.
    pub seed_order: Vec<ParticipantId>,
    /// How many entries were placed by seed (the rest were drawn).
    pub seeded: usize,
}

impl FirstRound {
    /// The number of byes.
    pub fn byes(&self) -> usize {
        self.slots.iter().filter(|s| s.is_none()).count()
    }
}

/// Places a field into the first round of an elimination bracket.
///
/// Uses `options.ordering`, `options.balance_byes`, `options.max_seeds`,
/// `options.separate_clubs` and `options.separate_nations`; `seed` drives the draw of
/// unseeded entries and nothing else, so a fully seeded field ignores it.
///
/// # Errors
/// Invalid fields ([`ModelError`](crate::model::ModelError)), `max_seeds` larger than the
/// field or a field above [`MAX_ENTRIES`] ([`SeedingError`]).
pub fn place(
    participants: &[Participant],
    options: &BracketOptions,
    seed: u64,
) -> Result<FirstRound, Error> {
    validate_field(participants)?;
    Ok(place_ranked(
        participants,
        &seed_order(participants),
        options,
        seed,
    )?)
}

/// [`place`] for a field already validated and ranked (`ranked` = [`seed_order`]).
pub(crate) fn place_ranked(
    participants: &[Participant],
    ranked: &[usize],
    options: &BracketOptions,
    seed: u64,
) -> Result<FirstRound, SeedingError> {
    let n = participants.len();
    if n > MAX_ENTRIES {
        return Err(SeedingError::TooLarge {
            entries: n,
            max: MAX_ENTRIES,
        });
    }
    let seeded = match options.max_seeds {
        Some(k) if k as usize > n => {
            return Err(SeedingError::TooManySeeds {
                max_seeds: k as usize,
                entries: n,
            })
        }
        Some(k) => k as usize,
        None => n,
    };
    let size = n.next_power_of_two();
    let virtual_list = if options.balance_byes && options.ordering != SeedOrdering::InnerOuter {
        brackets_manager_balanced_list(n, size)
    } else {
        virtual_seed_list(n, size, options.balance_byes)
    };

    // slot_of[v]: the slot the ordering gives virtual seed v.
    let identity: Vec<usize> = (0..size).collect();
    let slot_to_virtual = options.ordering.apply(&identity)?;
    let mut slot_of = vec![0usize; size];
    for (slot, &v) in slot_to_virtual.iter().enumerate() {
        slot_of[v] = slot;
    }

    // occupant[slot] = rank (index into `ranked`) of the entry placed there.
    let mut occupant: Vec<Option<usize>> = vec![None; size];
    for (v, entry) in virtual_list.iter().enumerate() {
        if let Some(rank) = *entry {
            if rank < seeded {
                occupant[slot_of[v]] = Some(rank);
            }
        }
    }

    let groups = Groups::new(participants, ranked, options);
    if seeded == n {
        if groups.any() {
            separate_seeds(&virtual_list, &slot_of, &groups, &mut occupant);
        }
    } else {
        let free_slots: Vec<usize> = virtual_list
            .iter()
            .enumerate()
            .filter(|(_, entry)| matches!(entry, Some(rank) if *rank >= seeded))
            .map(|(v, _)| slot_of[v])
            .collect();
        let drawn: Vec<usize> = (seeded..n).collect();
        draw_unseeded(free_slots, drawn, &groups, &mut occupant, seed);
    }

    let slots = occupant
        .into_iter()
        .map(|o| o.map(|rank| participants[ranked[rank]].id.clone()))
        .collect();
    Ok(FirstRound {
        slots,
        seed_order: ranked.iter().map(|&i| participants[i].id.clone()).collect(),
        seeded,
    })
}

/// The virtual seed list: entry `v` is `Some(rank)` (0-based seed) or `None` for a bye.
fn virtual_seed_list(n: usize, size: usize, balance_byes: bool) -> Vec<Option<usize>> {
    if !balance_byes || n == size {
        return (0..size).map(|v| (v < n).then_some(v)).collect();
    }
    let half = size / 2;
    let byes = size - n;
    (0..size)
        .map(|v| {
            if v < half {
                return Some(v);
            }
            // Virtual seed v meets virtual seed `size - 1 - v` (= m) in the standard placement.
            let m = size - 1 - v;
            if m >= half - byes {
                None
            } else {
                // The strongest of the top half meet the weakest entries.
                Some(n - 1 - m)
            }
        })
        .collect()
}

/// brackets-manager.js' `balanceByes` list: the strongest entries in consecutive pairs, then
/// the weakest `P − N` each followed by a bye, so no bye meets a bye under any ordering.
fn brackets_manager_balanced_list(n: usize, size: usize) -> Vec<Option<usize>> {
    let byes = size - n;
    let paired = n - byes;
    let mut list: Vec<Option<usize>> = (0..paired).map(Some).collect();
    for rank in paired..n {
        list.push(Some(rank));
        list.push(None);
    }
    list
}

/// The round (1-based) in which slots `a` and `b` can first meet.
pub fn meeting_round(a: usize, b: usize) -> u32 {
    usize::BITS - (a ^ b).leading_zeros()
}

/// Club and nation keys of the field, by rank; empty strings count as none.
#[derive(Debug)]
struct Groups {
    club: Vec<Option<u32>>,
    nation: Vec<Option<u32>>,
}

impl Groups {
    fn new(participants: &[Participant], ranked: &[usize], options: &BracketOptions) -> Self {
        fn keys(values: impl Iterator<Item = Option<String>>, enabled: bool) -> Vec<Option<u32>> {
            let mut ids: BTreeMap<String, u32> = BTreeMap::new();
            values
                .map(|value| {
                    let value = value.filter(|v| enabled && !v.trim().is_empty())?;
                    let next = ids.len() as u32;
                    Some(*ids.entry(value).or_insert(next))
                })
                .collect()
        }
        let by_rank = |f: fn(&Participant) -> &Option<String>| {
            ranked
                .iter()
                .map(move |&i| f(&participants[i]).clone())
                .collect::<Vec<_>>()
        };
        Self {
            club: keys(by_rank(|p| &p.club).into_iter(), options.separate_clubs),
            nation: keys(by_rank(|p| &p.nation).into_iter(), options.separate_nations),
        }
    }

    fn any(&self) -> bool {
        self.club.iter().chain(&self.nation).any(Option::is_some)
    }
}

/// Placed club and nation members counted per node of the bracket tree.
///
/// A node at depth `d` (0 = the whole bracket) covers the slots whose top `d` bits (of the
/// bracket's `rounds` bits) equal its index.
#[derive(Debug, Default)]
struct TreeCounts {
    counts: BTreeMap<(u32, u32, usize), u32>,
}

impl TreeCounts {
    fn add(&mut self, key: Option<u32>, slot: usize, rounds: u32) {
        let Some(key) = key else { return };
        for depth in 0..=rounds {
            *self
                .counts
                .entry((key, depth, slot >> (rounds - depth)))
                .or_default() += 1;
        }
    }

    fn get(&self, key: Option<u32>, depth: u32, node: usize) -> u32 {
        key.and_then(|k| self.counts.get(&(k, depth, node)).copied())
            .unwrap_or(0)
    }
}

/// Separation for a fully seeded field: seeds trade slots only within their tier.
///
/// The tier of virtual seeds [2^(t-1), 2^t) holds one slot in each section of size P/2^(t-1)
/// under the standard placement, so any permutation of the tier keeps every seeding level
/// intact. Each member walks down the bracket from the top, at every split taking the side
/// with fewer placed club-mates, then compatriots, then the side of its own standard slot.
fn separate_seeds(
    virtual_list: &[Option<usize>],
    slot_of: &[usize],
    groups: &Groups,
    occupant: &mut [Option<usize>],
) {
    let size = virtual_list.len();
    let rounds = meeting_round(0, size - 1);
    let mut is_bye_slot = vec![false; size];
    for (v, entry) in virtual_list.iter().enumerate() {
        is_bye_slot[slot_of[v]] = entry.is_none();
    }
    let mut clubs = TreeCounts::default();
    let mut nations = TreeCounts::default();
    let mut start = 0;
    while start < size {
        let end = if start == 0 { 1 } else { start * 2 };
        // Entries facing a bye only trade with each other, so the byes go where they would
        // without separation.
        for facing_bye in [true, false] {
            let mut members: Vec<(usize, usize)> = (start..end.min(size))
                .filter_map(|v| virtual_list[v].map(|rank| (rank, slot_of[v])))
                .filter(|&(_, slot)| is_bye_slot[slot ^ 1] == facing_bye)
                .collect();
            place_class(
                &mut members,
                groups,
                rounds,
                &mut clubs,
                &mut nations,
                occupant,
            );
        }
        start = end;
    }
}

/// Places one class of a tier's members into the slots they hold between them.
fn place_class(
    members: &mut [(usize, usize)],
    groups: &Groups,
    rounds: u32,
    clubs: &mut TreeCounts,
    nations: &mut TreeCounts,
    occupant: &mut [Option<usize>],
) {
    // Members with a club or nation choose first; the others then keep their standard slot
    // whenever it is still open.
    members.sort_by_key(|&(rank, _)| {
        (
            groups.club[rank].is_none() && groups.nation[rank].is_none(),
            rank,
        )
    });
    let mut open: Vec<usize> = members.iter().map(|&(_, slot)| slot).collect();
    open.sort_unstable();
    for &(rank, own) in members.iter() {
        let (club, nation) = (groups.club[rank], groups.nation[rank]);
        let (mut lo, mut hi) = (0usize, open.len());
        let mut depth = 0;
        // Descend while the open slots in range span both children of the current node.
        while hi - lo > 1 && depth < rounds {
            let child_depth = depth + 1;
            let shift = rounds - child_depth;
            let left = (open[lo] >> (rounds - depth)) * 2;
            let cut = lo + open[lo..hi].partition_point(|&s| (s >> shift) == left);
            depth = child_depth;
            if cut == lo || cut == hi {
                continue;
            }
            let key = |child: usize, contains_own: bool| {
                (
                    clubs.get(club, child_depth, child),
                    nations.get(nation, child_depth, child),
                    !contains_own,
                )
            };
            let own_left = (own >> shift) == left;
            if key(left, own_left) <= key(left + 1, !own_left) {
                hi = cut;
            } else {
                lo = cut;
            }
        }
        if lo >= open.len() {
            continue;
        }
        let slot = open.remove(lo);
        occupant[slot] = Some(rank);
        clubs.add(club, slot, rounds);
        nations.add(nation, slot, rounds);
    }
}

/// Draws the unseeded entries into the free slots, spreading clubs and nations half by half.
fn draw_unseeded(
    mut free_slots: Vec<usize>,
    mut drawn: Vec<usize>,
    groups: &Groups,
    occupant: &mut [Option<usize>],
    seed: u64,
) {
    let mut rng = DrawRng::new(seed);
    free_slots.sort_unstable();
    rng.shuffle(&mut drawn);
    if !groups.any() {
        for (slot, rank) in free_slots.into_iter().zip(drawn) {
            occupant[slot] = Some(rank);
        }
        return;
    }
    // Fixed (seeded) entries' slots by club and nation, for counting per half.
    let mut fixed_club: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut fixed_nation: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (slot, o) in occupant.iter().enumerate() {
        if let Some(rank) = *o {
            if let Some(c) = groups.club[rank] {
                fixed_club.entry(c).or_default().push(slot);
            }
            if let Some(n) = groups.nation[rank] {
                fixed_nation.entry(n).or_default().push(slot);
            }
        }
    }
    // Larger clubs are spread first: they are the hardest to keep apart.
    let mut club_size: BTreeMap<u32, usize> = BTreeMap::new();
    for &rank in &drawn {
        if let Some(c) = groups.club[rank] {
            *club_size.entry(c).or_default() += 1;
        }
    }
    drawn.sort_by_key(|&rank| std::cmp::Reverse(groups.club[rank].map_or(0, |c| club_size[&c])));
    let ctx = SplitContext {
        groups,
        fixed_club: &fixed_club,
        fixed_nation: &fixed_nation,
    };
    split(
        &ctx,
        0,
        occupant.len(),
        &free_slots,
        drawn,
        occupant,
        &mut rng,
    );
}

struct SplitContext<'a> {
    groups: &'a Groups,
    fixed_club: &'a BTreeMap<u32, Vec<usize>>,
    fixed_nation: &'a BTreeMap<u32, Vec<usize>>,
}

/// Counts fixed slots of a group within `lo..hi` (slots are sorted).
fn count_in(map: &BTreeMap<u32, Vec<usize>>, key: Option<u32>, lo: usize, hi: usize) -> usize {
    key.and_then(|k| map.get(&k)).map_or(0, |slots| {
        slots.partition_point(|&s| s < hi) - slots.partition_point(|&s| s < lo)
    })
}

/// Assigns `entries` to the free slots of `lo..hi` (`free` sorted, all inside the range).
fn split(
    ctx: &SplitContext<'_>,
    lo: usize,
    hi: usize,
    free: &[usize],
    entries: Vec<usize>,
    occupant: &mut [Option<usize>],
    rng: &mut DrawRng,
) {
    if entries.is_empty() {
        return;
    }
    if hi - lo == 1 || free.len() == 1 {
        for (&slot, rank) in free.iter().zip(entries) {
            occupant[slot] = Some(rank);
        }
        return;
    }
    let mid = lo + (hi - lo) / 2;
    let cut = free.partition_point(|&s| s < mid);
    let (left_free, right_free) = free.split_at(cut);
    let mut room = [left_free.len(), right_free.len()];
    let mut sides: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    let mut club_count: [BTreeMap<u32, usize>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut nation_count: [BTreeMap<u32, usize>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let ranges = [(lo, mid), (mid, hi)];
    for rank in entries {
        let club = ctx.groups.club[rank];
        let nation = ctx.groups.nation[rank];
        let load = |side: usize,
                    key: Option<u32>,
                    fixed: &BTreeMap<u32, Vec<usize>>,
                    counts: &BTreeMap<u32, usize>| {
            let (a, b) = ranges[side];
            count_in(fixed, key, a, b) + key.and_then(|k| counts.get(&k)).copied().unwrap_or(0)
        };
        let side = if room[0] == 0 {
            1
        } else if room[1] == 0 {
            0
        } else {
            let key = |side: usize| {
                (
                    load(side, club, ctx.fixed_club, &club_count[side]),
                    load(side, nation, ctx.fixed_nation, &nation_count[side]),
                    std::cmp::Reverse(room[side]),
                )
            };
            let (k0, k1) = (key(0), key(1));
            match k0.cmp(&k1) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Equal => rng.index(2),
            }
        };
        room[side] -= 1;
        if let Some(c) = club {
            *club_count[side].entry(c).or_default() += 1;
        }
        if let Some(n) = nation {
            *nation_count[side].entry(n).or_default() += 1;
        }
        sides[side].push(rank);
    }
    let [left, right] = sides;
    split(ctx, lo, mid, left_free, left, occupant, rng);
    split(ctx, mid, hi, right_free, right, occupant, rng);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bracket::Format;
    use crate::seeding::SeedOrdering;

    fn field(n: usize) -> Vec<Participant> {
        (1..=n)
            .map(|i| {
                Participant::new(format!("p{i}"), format!("P{i}"))
                    .unwrap()
                    .with_seed(i as u32)
            })
            .collect()
    }

    fn seeds(placement: &FirstRound) -> Vec<Option<u32>> {
        placement
            .slots
            .iter()
            .map(|s| s.as_ref().map(|id| id.as_str()[1..].parse().unwrap()))
            .collect()
    }

    #[test]
    fn standard_placement_gives_byes_to_top_seeds() {
        let options = BracketOptions::new(Format::SingleElimination);
        let p = place(&field(6), &options, 0).unwrap();
        assert_eq!(
            seeds(&p),
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(2),
                None,
                Some(3),
                Some(6)
            ]
        );
        assert_eq!(p.byes(), 2);
    }

    #[test]
    fn balanced_byes_go_to_the_weakest_of_the_top_half() {
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.balance_byes = true;
        let p = place(&field(6), &options, 0).unwrap();
        // Seeds 3 and 4 get the byes; 1 plays 6, 2 plays 5.
        assert_eq!(
            seeds(&p),
            [
                Some(1),
                Some(6),
                Some(4),
                None,
                Some(2),
                Some(5),
                Some(3),
                None
            ]
        );
    }

    #[test]
    fn orderings_match_brackets_manager_with_byes() {
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.ordering = SeedOrdering::Reverse;
        let p = place(&field(6), &options, 0).unwrap();
        assert_eq!(
            seeds(&p),
            [
                None,
                None,
                Some(6),
                Some(5),
                Some(4),
                Some(3),
                Some(2),
                Some(1)
            ]
        );
    }

    #[test]
    fn default_placement_is_the_ordering_of_the_padded_seed_list() {
        // The brackets-manager.js conformance corpus builds its stages from exactly this list:
        // seeds 1..N padded with byes to P, then the ordering.
        for ordering in SeedOrdering::ALL {
            for n in 2..=64usize {
                let mut options = BracketOptions::new(Format::SingleElimination);
                options.ordering = ordering;
                let size = n.next_power_of_two();
                let padded: Vec<Option<u32>> = (1..=size as u32)
                    .map(|s| (s as usize <= n).then_some(s))
                    .collect();
                let expected = ordering.apply(&padded).unwrap();
                assert_eq!(
                    seeds(&place(&field(n), &options, 0).unwrap()),
                    expected,
                    "{ordering} {n}"
                );
            }
        }
    }

    #[test]
    fn meeting_round_is_the_level_of_the_common_ancestor() {
        assert_eq!(meeting_round(0, 1), 1);
        assert_eq!(meeting_round(0, 2), 2);
        assert_eq!(meeting_round(3, 4), 3);
        assert_eq!(meeting_round(0, 15), 4);
    }

    #[test]
    fn max_seeds_fixes_top_seeds_and_draws_the_rest() {
        let mut options = BracketOptions::new(Format::Repechage);
        options.max_seeds = Some(4);
        let a = place(&field(16), &options, 1).unwrap();
        let b = place(&field(16), &options, 2).unwrap();
        for p in [&a, &b] {
            let s = seeds(p);
            assert_eq!(
                (s[0], s[4], s[8], s[12]),
                (Some(1), Some(4), Some(2), Some(3))
            );
        }
        assert_ne!(
            a.slots, b.slots,
            "different seeds should give different draws"
        );
        assert_eq!(a, place(&field(16), &options, 1).unwrap());
    }

    #[test]
    fn too_many_seeds_is_an_error() {
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.max_seeds = Some(9);
        let err = place(&field(8), &options, 0).unwrap_err();
        assert_eq!(err.to_string(), "max_seeds 9 is larger than the 8 entries");
    }

    #[test]
    fn seeded_club_mates_trade_slots_within_their_tier() {
        // In the standard placement seed 4 is in seed 1's half: as club-mates they could
        // meet in the semi-final. Trading slots with seed 3 delays that to the final.
        let mut f = field(8);
        f[0] = f[0].clone().with_club("Kodokan");
        f[3] = f[3].clone().with_club("Kodokan");
        let options = BracketOptions::new(Format::SingleElimination);
        let p = place(&f, &options, 0).unwrap();
        let s = seeds(&p);
        assert_eq!(
            s,
            [
                Some(1),
                Some(8),
                Some(3),
                Some(5),
                Some(2),
                Some(7),
                Some(4),
                Some(6)
            ]
        );
    }

    #[test]
    fn drawn_club_mates_are_spread_over_quarters() {
        let mut f = field(16);
        for (i, p) in f.iter_mut().enumerate().skip(4) {
            *p = p.clone().with_club(if i % 3 == 0 { "A" } else { "B" });
        }
        let mut options = BracketOptions::new(Format::SingleElimination);
        options.max_seeds = Some(4);
        for seed in 0..20 {
            let p = place(&f, &options, seed).unwrap();
            for club in ["A", "B"] {
                let mut per_quarter = [0usize; 4];
                for (slot, id) in p.slots.iter().enumerate() {
                    let id = id.as_ref().unwrap();
                    let member = f.iter().find(|x| &x.id == id).unwrap();
                    if member.club.as_deref() == Some(club) {
                        per_quarter[slot / 4] += 1;
                    }
                }
                let (min, max) = (per_quarter.iter().min(), per_quarter.iter().max());
                assert!(max.unwrap() - min.unwrap() <= 1, "{club}: {per_quarter:?}");
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{check_placement, elimination_options, field, resolve_max_seeds};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn placements_keep_their_promises(
            participants in field(2..300),
            (mut options, share) in elimination_options(),
            seed in any::<u64>(),
        ) {
            resolve_max_seeds(&mut options, share, participants.len());
            let placement = place(&participants, &options, seed).unwrap();
            if let Err(violation) = check_placement(&participants, &options, &placement) {
                return Err(TestCaseError::fail(violation.to_string()));
            }
            // Same input and seed, same placement; input order does not matter.
            let mut reversed = participants.clone();
            reversed.reverse();
            prop_assert_eq!(&placement, &place(&reversed, &options, seed).unwrap());
        }

        #[test]
        fn large_fields_keep_their_promises(
            participants in field(300..=4096),
            (mut options, share) in elimination_options(),
            seed in any::<u64>(),
        ) {
            resolve_max_seeds(&mut options, share, participants.len());
            let placement = place(&participants, &options, seed).unwrap();
            if let Err(violation) = check_placement(&participants, &options, &placement) {
                return Err(TestCaseError::fail(violation.to_string()));
            }
        }

        #[test]
        fn separation_never_breaks_seed_placement(
            participants in field(2..200),
            seed in any::<u64>(),
        ) {
            // With and without separation, the seeding guarantees are the same.
            let mut options = BracketOptions::new(crate::bracket::Format::SingleElimination);
            let separated = place(&participants, &options, seed).unwrap();
            options.separate_clubs = false;
            options.separate_nations = false;
            let plain = place(&participants, &options, seed).unwrap();
            for placement in [&separated, &plain] {
                if let Err(violation) = check_placement(&participants, &options, placement) {
                    return Err(TestCaseError::fail(violation.to_string()));
                }
            }
        }
    }
}
