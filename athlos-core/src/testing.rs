//! Proptest strategies and invariant checks, public so users can test their own code with
//! the same tools (feature `proptest`).
//!
//! | what | strategies | checks |
//! |---|---|---|
//! | fields and brackets | [`field`], [`elimination_options`], [`any_bracket`], [`play_random`] | [`check_placement`], [`check_bracket`] |
//! | Swiss histories and TRF files | [`swiss_history`], [`random_history`], [`trf_document`], [`trf_text`] | [`check_pairing`], [`check_standings`] |
//! | lifecycle machines | [`bracket_actions`], [`tournament_actions`], [`match_actions`], [`draft_actions`] | [`check_lifecycle`], [`run_lifecycle`] |
//! | arbitrary bytes | the bodies of the fuzz targets, in [`fuzz`] | |
//!
//! Every check returns `Ok(())` or the [`InvariantViolation`] naming the [`Invariant`] broken
//! and the facts that show it.
//!
//! Checking your own code: here a result-entry function (standing in for yours, which might
//! parse a form or an API call) is run over random brackets and histories, and the bracket is
//! checked after every step.
//!
//! ```
//! use athlos_core::bracket::{Bracket, MatchId, MatchResult};
//! use athlos_core::testing::{any_bracket, check_bracket, play_random};
//! use proptest::test_runner::TestRunner;
//!
//! /// The code under test: records "slot 1 wins" or "slot 2 wins" as a club's form sends it.
//! fn enter_result(bracket: &mut Bracket, id: MatchId, form_value: &str) -> Result<(), String> {
//!     let side = if form_value == "home" { 0 } else { 1 };
//!     let m = bracket.match_by_id(&id).ok_or("no such match")?;
//!     let winner = m.participant(side).cloned().ok_or("no participant there")?;
//!     bracket.record_result(&id, MatchResult::win(winner)).map_err(|e| e.to_string())
//! }
//!
//! let mut runner = TestRunner::default();
//! runner.run(&(any_bracket(2..40), proptest::prelude::any::<u64>()), |(mut bracket, seed)| {
//!     play_random(&mut bracket, seed, |bracket, id, coin| {
//!         enter_result(bracket, id, if coin { "home" } else { "away" }).unwrap();
//!         check_bracket(bracket).unwrap();
//!     });
//!     assert!(bracket.is_complete());
//!     Ok(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Placements have their own check:
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::seeding::place;
//! use athlos_core::testing::{check_placement, field};
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::default();
//! runner.run(&(field(2..64), any::<u64>()), |(participants, seed)| {
//!     let options = BracketOptions::new(Format::SingleElimination);
//!     let placement = place(&participants, &options, seed).unwrap();
//!     check_placement(&participants, &options, &placement).unwrap();
//!     Ok(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

pub mod fuzz;
mod lifecycle;
mod swiss;

pub use lifecycle::{
    bracket_actions, check_lifecycle, draft_actions, match_actions, run_lifecycle,
    tournament_actions,
};
pub use swiss::{
    check_pairing, check_standings, random_history, swiss_history, trf_document, trf_text,
};

use proptest::collection::SizeRange;
use proptest::prelude::*;

use crate::bracket::{Bracket, BracketOptions, Format, MatchStatus, Occupant, Source};
use crate::model::{Participant, ParticipantId};
use crate::seeding::{meeting_round, DrawRng, FirstRound, SeedOrdering};

macro_rules! invariants {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)+) => {
        /// Which promise a checked value breaks. Each checker documents the invariants it
        /// checks; the snake_case [`Invariant::name`] is what [`InvariantViolation`] prints.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Invariant {
            $($(#[$doc])* $variant,)+
        }

        impl Invariant {
            /// The snake_case name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Invariant::$variant => $text,)+
                }
            }
        }
    };
}

invariants! {
    /// Placement: the bracket is the smallest power of two holding the field.
    BracketSize => "bracket_size",
    /// Placement and bracket: every entry appears exactly once and nothing else does.
    EntryOnce => "entry_once",
    /// Placement: no first-round match is bye v bye.
    NoDoubleBye => "no_double_bye",
    /// Placement: balanced byes spread over the quarters.
    ByesBalanced => "byes_balanced",
    /// Placement: byes go to the top seeds.
    ByesToTopSeeds => "byes_to_top_seeds",
    /// Placement: the top 2^k seeds lie in different 2^k-ths.
    SeedsApart => "seeds_apart",
    /// Bracket: every source names an existing match.
    SourcesExist => "sources_exist",
    /// Bracket: matches only read earlier matches.
    PlayableOrder => "playable_order",
    /// Bracket: a slot fed by a decided match holds that match's winner (or loser).
    SlotsFollowResults => "slots_follow_results",
    /// Bracket: statuses agree with occupants and results.
    StatusAgrees => "status_agrees",
    /// Bracket: a winner is one of the two occupants.
    WinnerPlayed => "winner_played",
    /// Bracket: a complete bracket places everyone once, in competition ranking.
    Placements => "placements",
    /// Bracket: an unfinished bracket has a match ready to play.
    Progress => "progress",
    /// Pairing: nobody appears twice (in two pairs, or paired and given the bye).
    PairedOnce => "paired_once",
    /// Pairing: every present player is paired or gets the bye.
    EveryonePaired => "everyone_paired",
    /// Pairing: only known players without a pre-announced absence are paired.
    OnlyPresentPaired => "only_present_paired",
    /// Pairing: nobody meets an opponent already met over the board (C1).
    NoRematch => "no_rematch",
    /// Pairing: no forbidden pair meets.
    NoForbiddenPair => "no_forbidden_pair",
    /// Pairing: a bye exactly when an odd number of players is present.
    ByeParity => "bye_parity",
    /// Pairing: the bye goes to nobody who already had a full point without playing (C2).
    ByeEligible => "bye_eligible",
    /// Pairing: two non-topscorers with the same absolute colour preference do not meet (C3),
    /// and every other absolute preference of a non-topscorer is granted.
    AbsoluteColour => "absolute_colour",
    /// Pairing: the engine's own checker accepts the engine's own pairing.
    CheckerAgrees => "checker_agrees",
    /// Standings: one row per player.
    OneRowEach => "one_row_each",
    /// Standings: points, wins, draws and losses agree with the recorded rounds.
    ScoresMatchRecords => "scores_match_records",
    /// Standings: rows are ordered by points, then tie-breaks, then starting number.
    RankOrder => "rank_order",
    /// Standings: ranks are competition ranks (1, 2, 2, 4, …), shared exactly by rows equal
    /// on points and every tie-break.
    SharedRanks => "shared_ranks",
    /// Standings: every row has one value per tie-break asked, keyed by its code, in range.
    TiebreakColumns => "tiebreak_columns",
    /// Lifecycle: a transition names the state and action it was asked for.
    TransitionEcho => "transition_echo",
    /// Lifecycle: the outcome is the one the table decides (target state and events).
    TableAgrees => "table_agrees",
    /// Lifecycle: a refusal is `InvalidTransition` exactly when the table has no rule for the
    /// pair, otherwise `GuardFailed` naming one of the pair's guards.
    TypedRefusal => "typed_refusal",
    /// Lifecycle: the available actions are the allowed ones whose guard holds.
    AvailableAgrees => "available_agrees",
    /// Inputs: what is written and read back is the same value.
    RoundTrip => "round_trip",
    /// Inputs: the same input gives the same output.
    Deterministic => "deterministic",
    /// Inputs: a refused step leaves the value unchanged.
    RefusalChangesNothing => "refusal_changes_nothing",
    /// Inputs: a refusal is a typed error with a message.
    ErrorMessage => "error_message",
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An invariant that a value breaks, with the facts that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation {
    /// The invariant.
    pub invariant: Invariant,
    /// What was found.
    pub detail: String,
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} broken: {}", self.invariant, self.detail)
    }
}

impl std::error::Error for InvariantViolation {}

pub(crate) fn broken(invariant: Invariant, detail: impl Into<String>) -> InvariantViolation {
    InvariantViolation {
        invariant,
        detail: detail.into(),
    }
}

/// A field of participants with unique ids `e1…eN`, optional ratings (1000–2800), and clubs
/// and nations drawn from small pools so team-mates are common.
pub fn field(size: impl Into<SizeRange>) -> impl Strategy<Value = Vec<Participant>> {
    let one = (
        proptest::option::weighted(0.8, 1000u32..2800),
        proptest::option::weighted(0.7, 0u8..6),
        proptest::option::weighted(0.7, 0u8..4),
    );
    proptest::collection::vec(one, size).prop_map(|entries| {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, (rating, club, nation))| Participant {
                rating,
                club: club.map(|c| format!("club-{c}")),
                nation: nation.map(|n| ["FRA", "JPN", "BRA", "GEO"][usize::from(n) % 4].to_owned()),
                ..Participant::new(format!("e{}", i + 1), format!("Entry {}", i + 1))
                    .unwrap_or_else(|_| unreachable!("generated ids are valid"))
            })
            .collect()
    })
}

/// Options for an elimination bracket: any ordering, balanced byes or not, separation on or
/// off, and `max_seeds` either unset or a share of the field (resolved by the caller with
/// [`resolve_max_seeds`]).
pub fn elimination_options() -> impl Strategy<Value = (BracketOptions, Option<u8>)> {
    (
        prop_oneof![
            Just(Format::SingleElimination),
            Just(Format::DoubleElimination),
            Just(Format::Repechage)
        ],
        proptest::sample::select(SeedOrdering::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u8..=100),
    )
        .prop_map(|(format, ordering, balance_byes, separate, share)| {
            let mut options = BracketOptions::new(format);
            options.ordering = ordering;
            options.balance_byes = balance_byes;
            options.separate_clubs = separate;
            options.separate_nations = separate;
            (options, share)
        })
}

/// Sets `max_seeds` to `share` percent of `entries` (rounded down), or leaves it unset.
pub fn resolve_max_seeds(options: &mut BracketOptions, share: Option<u8>, entries: usize) {
    options.max_seeds = share.map(|s| (entries * usize::from(s) / 100) as u32);
}

/// Checks a placement against the promises of [`crate::seeding::place`]:
/// - the bracket is the smallest power of two holding the field;
/// - every entry appears exactly once and nothing else does;
/// - with `inner_outer` or balanced byes: no bye meets a bye;
/// - with `inner_outer` and byes to the top seeds, the byes go to seeds 1…B; with balanced
///   byes, they spread over the quarters with counts differing by at most one;
/// - with `inner_outer`, for every k the top 2^k placed seeds are in different 2^k-ths.
///
/// # Errors
/// The first invariant found broken.
pub fn check_placement(
    participants: &[Participant],
    options: &BracketOptions,
    placement: &FirstRound,
) -> Result<(), InvariantViolation> {
    let n = participants.len();
    let size = placement.slots.len();
    if size != n.next_power_of_two() {
        return Err(broken(
            Invariant::BracketSize,
            format!("{size} slots for {n} entries"),
        ));
    }
    let mut seen: BTreeMap<&ParticipantId, usize> = BTreeMap::new();
    for (slot, id) in placement.slots.iter().enumerate() {
        if let Some(id) = id {
            if let Some(first) = seen.insert(id, slot) {
                return Err(broken(
                    Invariant::EntryOnce,
                    format!("{id} in slots {first} and {slot}"),
                ));
            }
        }
    }
    for p in participants {
        if !seen.contains_key(&p.id) {
            return Err(broken(Invariant::EntryOnce, format!("{} is missing", p.id)));
        }
    }
    if seen.len() != n {
        return Err(broken(
            Invariant::EntryOnce,
            "unknown entries in the bracket",
        ));
    }
    // Without balanced byes the other orderings follow brackets-manager.js, where byes padded
    // at the end of the seed list may meet each other (e.g. `natural`).
    if options.balance_byes || options.ordering == SeedOrdering::InnerOuter {
        for (pair, slots) in placement.slots.chunks(2).enumerate() {
            if slots.iter().all(Option::is_none) {
                return Err(broken(
                    Invariant::NoDoubleBye,
                    format!("match {} is bye v bye", pair + 1),
                ));
            }
        }
    }
    if options.ordering != SeedOrdering::InnerOuter {
        return Ok(());
    }
    let slot_of = |id: &ParticipantId| seen.get(id).copied();
    let byes = size - n;
    let mut recipients: Vec<usize> = placement
        .seed_order
        .iter()
        .enumerate()
        .filter(|(_, id)| slot_of(id).is_some_and(|s| placement.slots[s ^ 1].is_none()))
        .map(|(i, _)| i)
        .collect();
    recipients.sort_unstable();
    if options.balance_byes {
        if size >= 4 {
            let mut per_quarter = [0usize; 4];
            for (slot, s) in placement.slots.iter().enumerate() {
                if s.is_none() {
                    per_quarter[slot * 4 / size] += 1;
                }
            }
            let spread =
                per_quarter.iter().max().unwrap_or(&0) - per_quarter.iter().min().unwrap_or(&0);
            if spread > 1 {
                return Err(broken(
                    Invariant::ByesBalanced,
                    format!("byes per quarter {per_quarter:?}"),
                ));
            }
        }
    } else if placement.seeded == n && recipients != (0..byes).collect::<Vec<_>>() {
        return Err(broken(
            Invariant::ByesToTopSeeds,
            format!(
                "byes went to seeds {:?}",
                recipients.iter().map(|r| r + 1).collect::<Vec<_>>()
            ),
        ));
    }
    let rounds = meeting_round(0, size - 1);
    let seeded: Vec<usize> = placement
        .seed_order
        .iter()
        .take(placement.seeded)
        .filter_map(slot_of)
        .collect();
    // Level k: the top 2^k seeds lie in different sections of size P / 2^k, so none of them
    // can meet another before round R - k + 1.
    for level in 1..=rounds {
        let top = seeded.len().min(1 << level);
        let mut holder: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, &slot) in seeded.iter().take(top).enumerate() {
            if let Some(j) = holder.insert(slot >> (rounds - level), i) {
                return Err(broken(
                    Invariant::SeedsApart,
                    format!(
                        "seeds {} and {} can meet in round {}, promised {}",
                        j + 1,
                        i + 1,
                        meeting_round(seeded[j], slot),
                        rounds - level + 1
                    ),
                ));
            }
        }
        if top == seeded.len() {
            break;
        }
    }
    Ok(())
}

/// A drawn bracket of any format over a random [`field`] of `size` entries, with random
/// options (any elimination format and ordering, or round robin, groups and auto).
pub fn any_bracket(size: impl Into<SizeRange>) -> impl Strategy<Value = Bracket> {
    (field(size), elimination_options(), 0u8..4, any::<u64>()).prop_filter_map(
        "options the field cannot take",
        |(participants, (mut options, share), pools, seed)| {
            match pools {
                1 => options.format = Format::RoundRobin,
                2 => options.format = Format::Groups,
                3 => options.format = Format::Auto,
                _ => {}
            }
            resolve_max_seeds(&mut options, share, participants.len());
            crate::draw(&participants, &options, seed).ok()
        },
    )
}

/// Plays `bracket` to the end: while a match is ready, picks one with the [`DrawRng`] of
/// `seed` and calls `step(bracket, match id, coin)`, where `coin` says whether slot 1 should
/// win. `step` records the result (it is the code under test); the loop stops when nothing is
/// ready, or after as many steps as the bracket has matches twice over (a `step` that records
/// nothing cannot loop forever).
pub fn play_random(
    bracket: &mut Bracket,
    seed: u64,
    mut step: impl FnMut(&mut Bracket, crate::bracket::MatchId, bool),
) {
    let mut rng = DrawRng::new(seed);
    for _ in 0..bracket.matches().len() * 2 + 1 {
        let ready: Vec<crate::bracket::MatchId> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| m.id)
            .collect();
        if ready.is_empty() {
            return;
        }
        let id = ready[rng.index(ready.len())];
        let coin = rng.index(2) == 0;
        step(bracket, id, coin);
    }
}

/// Checks a bracket's structure and state:
/// - every participant enters exactly once (one first-round slot, or one pool);
/// - every match's sources are earlier matches (ids are a playable order);
/// - a participant in a slot fed by a decided match is that match's winner (or loser);
/// - statuses agree with occupants: `ready` has two participants and no winner, `pending`
///   waits for someone, a winner is always one of the two occupants;
/// - a complete bracket places every participant exactly once, in competition ranking
///   (1, 2, 3, 3, 5, …), with one champion in an elimination bracket (two when both
///   finalists withdrew and the final was decided without a winner).
///
/// # Errors
/// The first invariant found broken.
pub fn check_bracket(bracket: &Bracket) -> Result<(), InvariantViolation> {
    let participants: BTreeMap<&ParticipantId, usize> = bracket
        .participants()
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.id, i))
        .collect();
    let mut entered = vec![0usize; participants.len()];
    let mut count = |id: &ParticipantId| -> Result<(), InvariantViolation> {
        match participants.get(id) {
            Some(&i) => {
                entered[i] += 1;
                Ok(())
            }
            None => Err(broken(
                Invariant::EntryOnce,
                format!("unknown entrant {id}"),
            )),
        }
    };
    match bracket.first_round_slots() {
        Some(slots) => {
            for id in slots.iter().flatten() {
                count(id)?;
            }
        }
        None => {
            for pool in bracket.pools() {
                for id in &pool.members {
                    count(id)?;
                }
            }
        }
    }
    if let Some(i) = entered.iter().position(|&n| n != 1) {
        return Err(broken(
            Invariant::EntryOnce,
            format!(
                "{} enters {} times",
                bracket.participants()[i].id,
                entered[i]
            ),
        ));
    }
    let position: BTreeMap<_, usize> = bracket
        .matches()
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    for (i, m) in bracket.matches().iter().enumerate() {
        for slot in &m.slots {
            let from = match &slot.source {
                Source::Winner { match_id }
                | Source::Loser { match_id }
                | Source::Rematch { match_id, .. } => Some(match_id),
                _ => None,
            };
            let Some(from) = from else { continue };
            let Some(&j) = position.get(from) else {
                return Err(broken(
                    Invariant::SourcesExist,
                    format!("{} reads unknown {from}", m.id),
                ));
            };
            if j >= i {
                return Err(broken(
                    Invariant::PlayableOrder,
                    format!("{} reads later {from}", m.id),
                ));
            }
            let source = &bracket.matches()[j];
            if let Occupant::Participant { id } = &slot.occupant {
                let expected = match &slot.source {
                    Source::Winner { .. } => source.winner.as_ref(),
                    Source::Loser { .. } => source.loser(),
                    _ => Some(id),
                };
                if source.status.is_decided() && expected != Some(id) {
                    return Err(broken(
                        Invariant::SlotsFollowResults,
                        format!("{} holds {id}, but {from} sends {expected:?}", m.id),
                    ));
                }
            }
        }
        let both = m.participant(0).is_some() && m.participant(1).is_some();
        let status_ok = match m.status {
            MatchStatus::Ready => both && m.winner.is_none(),
            MatchStatus::Pending => m
                .slots
                .iter()
                .any(|s| matches!(s.occupant, Occupant::Pending)),
            MatchStatus::Completed => m.result.is_some(),
            _ => true,
        };
        if !status_ok {
            return Err(broken(
                Invariant::StatusAgrees,
                format!("{} is {} with slots {:?}", m.id, m.status, m.slots),
            ));
        }
        if let Some(winner) = &m.winner {
            if m.participant(0) != Some(winner) && m.participant(1) != Some(winner) {
                return Err(broken(
                    Invariant::WinnerPlayed,
                    format!("{} won by outsider {winner}", m.id),
                ));
            }
        }
    }
    if bracket.is_complete() {
        let places = bracket
            .placements()
            .map_err(|e| broken(Invariant::Placements, e.to_string()))?;
        let placed: std::collections::BTreeSet<_> = places.iter().map(|p| &p.participant).collect();
        if places.len() != participants.len() || placed.len() != participants.len() {
            return Err(broken(
                Invariant::Placements,
                format!(
                    "{} places for {} participants",
                    places.len(),
                    participants.len()
                ),
            ));
        }
        // Shared places follow competition ranking: 1, 2, 3, 3, 5, … (pools may share first
        // place when tie-breaks cannot separate; an elimination bracket has one champion).
        let mut sorted: Vec<u32> = places.iter().map(|p| p.place).collect();
        sorted.sort_unstable();
        for (i, &place) in sorted.iter().enumerate() {
            let expected_new = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if place != expected_new && (i == 0 || place != sorted[i - 1]) {
                return Err(broken(
                    Invariant::Placements,
                    format!("places {sorted:?} skip or repeat wrongly"),
                ));
            }
        }
        // Two finalists who both withdrew share first place: their final has no winner.
        let champions: std::collections::BTreeSet<&ParticipantId> = places
            .iter()
            .filter(|p| p.place == 1)
            .map(|p| &p.participant)
            .collect();
        let final_without_winner = bracket.matches().iter().any(|m| {
            m.status.is_decided()
                && m.winner.is_none()
                && (0..2).all(|side| m.participant(side).is_some_and(|p| champions.contains(p)))
        });
        if bracket.format().is_elimination()
            && (champions.len() > 2 || (champions.len() == 2 && !final_without_winner))
        {
            return Err(broken(
                Invariant::Placements,
                format!("two champions in a {} bracket", bracket.format()),
            ));
        }
    }
    Ok(())
}
