//! The Dutch pairing procedure (C.04.3, 2025) as a sequence of maximum-weight matchings.
//!
//! Brackets are paired from the top. For each bracket a matching over every player still to
//! be paired is computed with integer edge weights whose bit fields encode, from the most
//! significant down: completion of the round and the bye (C2, C4), the pairs and the paired
//! scores of the bracket (C5, C6), of the following bracket (C7), the unplayed games of the
//! bye assignee, the topscorer and colour criteria (C8–C11), the float criteria (C12–C19), and
//! finally the order of article 4 (which MDPs, which exchanges, which transposition). Every
//! optimal matching satisfies the criteria in that order; the article 4 order is then fixed
//! one decision at a time by nudging the low fields and re-optimising.
//!
//! The score fields hold a counter per score. Only the scores of the bracket being paired
//! (its moved-down players, its residents and its next score group) can be counted there, so
//! each bracket maps its scores onto a few slots, in order; the weights carried from one
//! bracket to the next are re-expressed in the new slots. A round with a bracket of more
//! scores than the slots is paired again with a slot for every score.

use std::collections::{BTreeMap, BTreeSet};

use super::blossom::{bit, set_bit, EdgeWeights, Matcher};
use super::colour::{allocate, Strength};
use super::state::{Float, PlayerState, RoundState};
use super::wide::Wide;
use super::{Colour, RoundPairing, SwissError};

/// Pairs the round described by `state`.
///
/// The weights first give each bracket [`SLOTS`] score slots; a round with a bracket that
/// holds more scores than that is paired again with a slot for every score of the round.
pub(crate) fn pair(state: &RoundState) -> Result<RoundPairing, SwissError> {
    let scores = state
        .players
        .iter()
        .map(|p| p.pairing_score)
        .collect::<BTreeSet<u32>>()
        .len() as u32;
    for slots in [SLOTS.min(scores), scores] {
        match pair_with(state, Layout::new(state, slots)) {
            Ok(pairing) => return Ok(pairing),
            Err(Halt::Error(e)) => return Err(e),
            Err(Halt::Slots) => {}
        }
    }
    // A bracket never holds more scores than the round.
    Err(SwissError::NoLegalPairing { round: state.round })
}

/// Pairs the round with the weights laid out as `layout`, in as few limbs as they need.
fn pair_with(state: &RoundState, layout: Layout) -> Result<RoundPairing, Halt> {
    let limbs = (layout.total_bits as usize + 8).div_ceil(64);
    match limbs {
        0..=1 => Engine::<1>::new(state, layout).run(),
        2 => Engine::<2>::new(state, layout).run(),
        3 => Engine::<3>::new(state, layout).run(),
        4 => Engine::<4>::new(state, layout).run(),
        5..=6 => Engine::<6>::new(state, layout).run(),
        7 => Engine::<7>::new(state, layout).run(),
        8 => Engine::<8>::new(state, layout).run(),
        9 => Engine::<9>::new(state, layout).run(),
        10 => Engine::<10>::new(state, layout).run(),
        11..=12 => Engine::<12>::new(state, layout).run(),
        13..=16 => Engine::<16>::new(state, layout).run(),
        17..=32 => Engine::<32>::new(state, layout).run(),
        33..=64 => Engine::<64>::new(state, layout).run(),
        _ => Engine::<128>::new(state, layout).run(),
    }
}

/// Score slots per score field in a round's first attempt: a bracket, its moved-down
/// players and its next score group rarely hold more than three scores.
const SLOTS: u32 = 3;

/// Why an engine stopped without a pairing.
enum Halt {
    /// A bracket holds more scores than the layout has slots.
    Slots,
    Error(SwissError),
}

impl From<SwissError> for Halt {
    fn from(e: SwissError) -> Self {
        Self::Error(e)
    }
}

/// Width of the lowest field, where several S1 players choose their opponents at once.
const LEX_BITS: u32 = 64;

fn bits_for(value: usize) -> u32 {
    usize::BITS - value.leading_zeros()
}

/// Bit offsets of the weight fields, least significant first.
struct Layout {
    /// Width of a counter field.
    count: u32,
    /// Score slots in a score field (each a counter field): a bracket gives each score among
    /// its players a slot, the higher the score the more significant.
    slots: u32,
    /// Offset of each score group inside the opening matching's score field, by pairing
    /// score.
    score_shift: BTreeMap<u32, u32>,
    tail_x1: u32,
    /// The lowest tail bit; the article 4 nudges are added here.
    x4: u32,
    us2: u32,
    ds2: u32,
    us1: u32,
    ds1: u32,
    u2: u32,
    d2: u32,
    u1: u32,
    d1: u32,
    strong: u32,
    colour: u32,
    repeat: u32,
    imbalance: u32,
    bye: u32,
    next_scores: u32,
    next_pairs: u32,
    scores: u32,
    pairs: u32,
    completion: u32,
    total_bits: u32,
}

impl Layout {
    fn new(state: &RoundState, slots: u32) -> Self {
        let n = state.players.len();
        let count = bits_for(n) + 1;
        let mut sizes: BTreeMap<u32, usize> = BTreeMap::new();
        for p in &state.players {
            *sizes.entry(p.pairing_score).or_insert(0) += 1;
        }
        let mut score_shift = BTreeMap::new();
        let mut opening_width = 0;
        for (&score, &size) in &sizes {
            score_shift.insert(score, opening_width);
            opening_width += bits_for(size) + 1;
        }
        let score_width = slots * count;
        let mut offset = 0u32;
        let mut next = |width: u32| {
            let at = offset;
            offset += width;
            at
        };
        next(LEX_BITS);
        let x4 = next(1);
        next(count); // X3
        next(count); // X2
        let tail_x1 = next(count);
        let us2 = next(score_width);
        let ds2 = next(score_width);
        let us1 = next(score_width);
        let ds1 = next(score_width);
        let u2 = next(count);
        let d2 = next(count);
        let u1 = next(count);
        let d1 = next(count);
        let strong = next(count);
        let colour = next(count);
        let repeat = next(count);
        let imbalance = next(count);
        let bye = next(2 * count);
        let next_scores = next(score_width);
        let next_pairs = next(count);
        let scores = next(score_width);
        let pairs = next(count);
        let completion = next(count);
        let total_bits = offset;
        Self {
            count,
            slots,
            score_shift,
            tail_x1,
            x4,
            us2,
            ds2,
            us1,
            ds1,
            u2,
            d2,
            u1,
            d1,
            strong,
            colour,
            repeat,
            imbalance,
            bye,
            next_scores,
            next_pairs,
            scores,
            pairs,
            completion,
            total_bits: total_bits.max(2 * count + opening_width + 8),
        }
    }
}

/// What the weights need to know of a player.
struct Info {
    score: u32,
    eligible: bool,
    played: u32,
    preference: Option<Colour>,
    absolute: bool,
    strong: bool,
    imbalance: u32,
    repeated: Option<Colour>,
    float1: Option<Float>,
    float2: Option<Float>,
}

/// What the terms of a bracket edge that depend on both players read of each of them
/// (besides the score): players of the same kind are interchangeable there.
type Kind = (
    Option<Colour>,
    bool,
    bool,
    u32,
    Option<Colour>,
    Option<Float>,
    Option<Float>,
);

impl Info {
    fn kind(&self) -> Kind {
        (
            self.preference,
            self.absolute,
            self.strong,
            self.imbalance,
            self.repeated,
            self.float1,
            self.float2,
        )
    }

    fn of(p: &PlayerState) -> Self {
        let n = p.colours.len();
        let repeated = if n >= 2 && p.colours[n - 1] == p.colours[n - 2] {
            Some(p.colours[n - 1])
        } else {
            None
        };
        Self {
            score: p.pairing_score,
            eligible: !p.bye_ineligible,
            played: n as u32,
            preference: p.preference.colour,
            absolute: p.preference.strength == Strength::Absolute,
            strong: p.preference.strength == Strength::Strong,
            imbalance: p.colour_difference.unsigned_abs(),
            repeated,
            float1: p.float_last,
            float2: p.float_before_last,
        }
    }
}

struct Engine<'a, const L: usize> {
    state: &'a RoundState,
    layout: Layout,
    info: Vec<Info>,
    /// Whether two players may meet, a bit per ordered pair (`a * n + b`).
    compatible: Vec<u64>,
    played_rounds: u32,
    bye_score: u32,
    /// Ranks of the played-game counts among the players at the bye assignee's score.
    ranks: BTreeMap<u32, u64>,
    /// Score groups as ranges of ranking indices.
    groups: Vec<(usize, usize)>,
    /// Offset of each player's score group inside the opening matching's score field.
    shifts: Vec<u32>,
    /// The most kinds of players for which a bracket tabulates its pair terms.
    max_codes: usize,
}

/// The matching problem of one bracket: the bracket and the next score group (`local`,
/// indexed by position) followed by every lower player.
///
/// The weights among `local` are not stored: each is computed from the two players and the
/// decisions taken so far, which are kept per pair as a removal bit and a small signed nudge
/// of the low fields. Pairs are addressed by their triangular slot (`tri`).
struct Bracket<const L: usize> {
    /// Ranking indices of the bracket and the next score group.
    local: Vec<usize>,
    /// Moved-down players at the front of `local`.
    moved: usize,
    /// The offset of each position's score inside a score field (its slot: the scores of
    /// `local` in ascending order take the slots from the least significant up).
    shift: Vec<u32>,
    /// End of the bracket in `local` (the next score group follows).
    end: usize,
    /// Each position's share of an edge inside the bracket when it is the higher-ranked end
    /// (with the terms every such edge has) and when it is the lower-ranked end.
    high_in: Vec<Wide<L>>,
    low_in: Vec<Wide<L>>,
    /// The same for an edge with its lower end in the next score group.
    high_next: Vec<Wide<L>>,
    low_next: Vec<Wide<L>>,
    /// Weights among the moved-down players, as the previous bracket left them (re-expressed
    /// in this bracket's score slots), at `high + low * moved`.
    carried: Vec<Wide<L>>,
    /// The terms of an edge inside the bracket that depend on both players, by the codes of
    /// its ends (`code[high] * codes + code[low]`): the players of a bracket fall into few
    /// kinds (colour preference and history, floats, score). Empty when the bracket holds
    /// more than [`MAX_CODES`] kinds; the terms are then computed for each edge.
    code: Vec<u32>,
    codes: usize,
    terms: Vec<Wide<L>>,
    /// Pairs taken out of the bracket (weight zero), a bit per ordered pair of positions
    /// (`a * local.len() + b`, both orders set), so that one player's pairs lie together.
    removed: Vec<u64>,
    /// The nudge added to the weight of each pair inside the bracket, by ordered pair of
    /// positions (`a * end + b`, both orders hold it).
    nudge: Vec<i128>,
    /// Slots changed since the matching was last solved (a bit per slot), and for each of
    /// them its positions and its state at that solution.
    dirty: Vec<u64>,
    log: Vec<(usize, usize, bool, i128)>,
}

/// The triangular slot of the pair of positions `high < low`.
#[inline]
fn tri(high: usize, low: usize) -> usize {
    low * (low - 1) / 2 + high
}

impl<const L: usize> Bracket<L> {
    /// The nudge of the pair of positions `{a, b}` (zero outside the bracket).
    #[inline]
    fn nudge_at(&self, a: usize, b: usize) -> i128 {
        if a < self.end && b < self.end {
            self.nudge[a * self.end + b]
        } else {
            0
        }
    }

    /// Whether the pair of positions `{a, b}` was taken out.
    #[inline]
    fn removed_at(&self, a: usize, b: usize) -> bool {
        bit(&self.removed, a * self.local.len() + b)
    }

    fn set_removed(&mut self, a: usize, b: usize, on: bool) {
        let size = self.local.len();
        set_bit(&mut self.removed, a * size + b, on);
        set_bit(&mut self.removed, b * size + a, on);
    }

    fn store_nudge(&mut self, a: usize, b: usize, value: i128) {
        if a < self.end && b < self.end {
            self.nudge[a * self.end + b] = value;
            self.nudge[b * self.end + a] = value;
        }
    }

    /// Records the state of the pair of positions `high < low` before its first change since
    /// the last solution.
    fn touch(&mut self, high: usize, low: usize) {
        let slot = tri(high, low);
        if !bit(&self.dirty, slot) {
            set_bit(&mut self.dirty, slot, true);
            let entry = (
                high,
                low,
                self.removed_at(high, low),
                self.nudge_at(high, low),
            );
            self.log.push(entry);
        }
    }

    /// Sets the nudge of the pair `{a, b}` (both inside the bracket).
    fn set_nudge(&mut self, a: usize, b: usize, value: i128) {
        if a < self.end && b < self.end && a != b && self.nudge_at(a, b) != value {
            self.touch(a.min(b), a.max(b));
            self.store_nudge(a, b, value);
        }
    }

    /// Takes the pair `{a, b}` out of the bracket.
    fn remove(&mut self, a: usize, b: usize) {
        if !self.removed_at(a, b) {
            self.touch(a.min(b), a.max(b));
            self.set_removed(a, b, true);
        }
    }

    /// Marks the current state as the one the matching is optimal for.
    fn settle(&mut self) {
        for (high, low, _, _) in std::mem::take(&mut self.log) {
            set_bit(&mut self.dirty, tri(high, low), false);
        }
    }

    /// Forgets the changes since the last solution: the bracket is as the matching saw it.
    fn revert(&mut self) {
        for (high, low, removed, nudge) in std::mem::take(&mut self.log) {
            set_bit(&mut self.dirty, tri(high, low), false);
            self.set_removed(high, low, removed);
            self.store_nudge(high, low, nudge);
        }
    }
}

const NONE: usize = usize::MAX;

/// The most kinds of players a bracket tabulates the pair terms of its edges for.
const MAX_CODES: usize = 384;

/// The weights of the opening matching of a round with an odd number of players, which
/// settles completion and the score of the bye assignee: completion, then the scores of the
/// paired players (as their score groups' offsets), then pairs inside the top score group.
/// Every edge with an end below the top score group is separable (class 1).
struct OddStart<'s, 'a, const L: usize> {
    engine: &'s Engine<'a, L>,
    top_score: u32,
    /// Each player's term in each of its edges ([`OddStart::term`] with nothing extra), and
    /// the same with the edge's one in the completion field added (for its higher end).
    low: Vec<Wide<L>>,
    high: Vec<Wide<L>>,
}

impl<'s, 'a, const L: usize> OddStart<'s, 'a, L> {
    fn new(engine: &'s Engine<'a, L>, top_score: u32) -> Self {
        let mut this = Self {
            engine,
            top_score,
            low: Vec::new(),
            high: Vec::new(),
        };
        let n = engine.info.len();
        this.low = (0..n).map(|p| this.term(p, 0)).collect();
        this.high = (0..n).map(|p| this.term(p, 1)).collect();
        this
    }

    /// A player's term in each of its edges, `extra` being added to the completion field.
    fn term(&self, p: usize, extra: u64) -> Wide<L> {
        let lay = &self.engine.layout;
        let mut w = Wide::<L>::ZERO;
        w.add_at(
            lay.completion,
            extra + u64::from(!self.engine.info[p].eligible),
        );
        w.add_at(lay.count, u64::from(self.engine.shifts[p]));
        w
    }
}

impl<const L: usize> EdgeWeights<L> for OddStart<'_, '_, L> {
    #[inline]
    fn weight(&self, a: usize, b: usize) -> Wide<L> {
        let (high, low) = (a.min(b), a.max(b));
        if !self.engine.may_pair(high, low) {
            return Wide::ZERO;
        }
        let mut w = self.high[high].add(&self.low[low]);
        w.add_at(0, u64::from(self.engine.info[low].score >= self.top_score));
        w
    }

    #[inline]
    fn class(&self, x: usize) -> usize {
        usize::from(self.engine.info[x].score < self.top_score)
    }

    #[inline]
    fn own(&self, x: usize) -> Wide<L> {
        self.low[x]
    }
}

/// The matching kept across the brackets of a round, and the weights it is optimal for.
struct Sync<const L: usize> {
    matcher: Matcher<L>,
    /// The weight of an edge outside the bracket is `outside[a] + separate[b]`: a constant,
    /// plus a term for each end.
    separate: Vec<Wide<L>>,
    outside: Vec<Wide<L>>,
    /// Position of each ranking index in the bracket the matching was last solved for, or
    /// `NONE`.
    position: Vec<usize>,
    /// Whether the bracket being paired has been solved for (its changes since are in its
    /// log); otherwise the matching is optimal for `previous` (none: for the separable
    /// weights alone).
    fresh: bool,
    previous: Option<Bracket<L>>,
}

/// The weights of the whole graph while one bracket is paired.
struct View<'s, 'a, const L: usize> {
    engine: &'s Engine<'a, L>,
    outside: &'s [Wide<L>],
    separate: &'s [Wide<L>],
    position: &'s [usize],
    bracket: Option<&'s Bracket<L>>,
    /// Whether the bracket's next score group is outer (class 2): its players' own terms
    /// are the same inside the bracket as outside.
    next_outer: bool,
}

impl<const L: usize> EdgeWeights<L> for View<'_, '_, L> {
    #[inline(always)]
    fn weight(&self, u: usize, v: usize) -> Wide<L> {
        let (pu, pv) = (self.position[u], self.position[v]);
        if pu != NONE && pv != NONE {
            if let Some(b) = self.bracket {
                return self.engine.current(b, pu, pv);
            }
        }
        if self.engine.may_pair(u, v) {
            self.outside[u].add(&self.separate[v])
        } else {
            Wide::ZERO
        }
    }

    #[inline(always)]
    fn slack(&self, u: usize, v: usize, du: &Wide<L>, dv: &Wide<L>) -> Option<Wide<L>> {
        let (pu, pv) = (self.position[u], self.position[v]);
        if pu != NONE && pv != NONE {
            if let Some(b) = self.bracket {
                return self.engine.current_slack(b, pu, pv, du, dv);
            }
        }
        if self.engine.may_pair(u, v) {
            Some(du.slack(dv, &self.outside[u].add(&self.separate[v])))
        } else {
            None
        }
    }

    /// Players below the bracket's next score group are of class 1 (their edges weigh
    /// `outside[u] + separate[x]`), those of the next score group of class 2 (`high_next` of
    /// the bracket's end, or `outside` below, plus their `low_next`).
    #[inline]
    fn class(&self, x: usize) -> usize {
        let p = self.position[x];
        if p == NONE {
            1
        } else if self.next_outer && self.bracket.is_some_and(|b| p >= b.end) {
            2
        } else {
            0
        }
    }

    #[inline]
    fn own(&self, x: usize) -> Wide<L> {
        match (self.bracket, self.position[x]) {
            (Some(b), p) if p != NONE => b.low_next[p],
            _ => self.separate[x],
        }
    }
}

impl<'a, const L: usize> Engine<'a, L> {
    fn new(state: &'a RoundState, layout: Layout) -> Self {
        let n = state.players.len();
        let mut compatible = vec![0u64; (n * n).div_ceil(64)];
        for i in 0..n {
            for j in i + 1..n {
                if may_meet(state, &state.players[i], &state.players[j]) {
                    set_bit(&mut compatible, i * n + j, true);
                    set_bit(&mut compatible, j * n + i, true);
                }
            }
        }
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for i in 0..n {
            match groups.last_mut() {
                Some(g) if state.players[g.0].pairing_score == state.players[i].pairing_score => {
                    g.1 = i + 1;
                }
                _ => groups.push((i, i + 1)),
            }
        }
        let shifts = state
            .players
            .iter()
            .map(|p| {
                layout
                    .score_shift
                    .get(&p.pairing_score)
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        Self {
            state,
            layout,
            shifts,
            info: state.players.iter().map(Info::of).collect(),
            compatible,
            played_rounds: state.round.saturating_sub(1),
            bye_score: 0,
            ranks: BTreeMap::new(),
            groups,
            max_codes: MAX_CODES,
        }
    }

    /// Whether the players of ranking indices `a` and `b` may meet. The table is read in the
    /// order given: a caller that holds `a` and runs through `b` reads memory in sequence.
    #[inline]
    fn may_pair(&self, a: usize, b: usize) -> bool {
        bit(&self.compatible, a * self.info.len() + b)
    }

    fn no_pairing(&self) -> SwissError {
        SwissError::NoLegalPairing {
            round: self.state.round,
        }
    }

    fn bye_candidate(&self, p: usize) -> bool {
        self.info[p].eligible && self.info[p].score <= self.bye_score
    }

    /// The weight of pairing `high` (ranked above) with `low` in a bracket whose scores
    /// have the offsets `slot` in the score fields; zero when they may not meet. The
    /// reference the bracket's computed weights (`base_at`) are tested against.
    #[cfg(test)]
    fn weight(
        &self,
        high: usize,
        low: usize,
        in_bracket: bool,
        in_next: bool,
        bye_field: bool,
        slot: &BTreeMap<u32, u32>,
    ) -> Wide<L> {
        let shift = |score: u32| slot.get(&score).copied().unwrap_or(u32::MAX);
        let mut w = Wide::ZERO;
        if !self.may_pair(high, low) {
            return w;
        }
        let lay = &self.layout;
        let (h, l) = (&self.info[high], &self.info[low]);
        w.add_at(
            lay.completion,
            1 + u64::from(!self.bye_candidate(high)) + u64::from(!self.bye_candidate(low)),
        );
        if in_bracket {
            w.add_at(lay.pairs, 1);
            w.add_at(lay.scores + shift(h.score), 1);
        }
        if in_next {
            w.add_at(lay.next_pairs, 1);
            w.add_at(lay.next_scores + shift(h.score), 1);
        }
        if bye_field {
            let mut rank = 0;
            if h.score == self.bye_score {
                rank += self.ranks.get(&h.played).copied().unwrap_or(0);
            }
            if l.score == self.bye_score {
                rank += self.ranks.get(&l.played).copied().unwrap_or(0);
            }
            w.add_at(lay.bye, rank);
        }
        if !in_bracket {
            return w;
        }
        let same = l.preference == h.preference;
        let imbalance_ok = l.imbalance <= 1 || h.imbalance <= 1 || !same;
        let repeat_ok = !l.absolute
            || !h.absolute
            || !same
            || if l.imbalance == h.imbalance {
                l.repeated.is_none() || l.repeated != h.repeated
            } else {
                let lesser = if l.imbalance > h.imbalance { h } else { l };
                lesser.repeated != l.preference.map(Colour::opposite)
            };
        let colour_ok = !same || l.preference.is_none() || h.preference.is_none();
        let strong_ok = (!l.strong && !l.absolute)
            || (!h.strong && !h.absolute)
            || (l.absolute && h.absolute)
            || !same;
        w.add_at(lay.imbalance, u64::from(imbalance_ok));
        w.add_at(lay.repeat, u64::from(repeat_ok));
        w.add_at(lay.colour, u64::from(colour_ok));
        w.add_at(lay.strong, u64::from(strong_ok));
        let down = Some(Float::Down);
        let up = Some(Float::Up);
        let h_higher = h.score > l.score;
        if self.played_rounds >= 1 {
            w.add_at(
                lay.d1,
                u64::from(l.float1 == down) + u64::from(!h_higher && h.float1 == down),
            );
            w.add_at(lay.u1, u64::from(!(h_higher && l.float1 == up)));
            w.add_at(lay.ds1 + shift(l.score), u64::from(l.float1 == down));
            w.add_at(lay.ds1 + shift(h.score), u64::from(h.float1 == down));
            if !(l.float1 == up && h_higher) {
                w.add_at(lay.us1 + shift(h.score), 1);
            }
        }
        if self.played_rounds >= 2 {
            w.add_at(
                lay.d2,
                u64::from(l.float2 == down) + u64::from(!h_higher && h.float2 == down),
            );
            w.add_at(lay.u2, u64::from(!(h_higher && l.float2 == up)));
            w.add_at(lay.ds2 + shift(l.score), u64::from(l.float2 == down));
            w.add_at(lay.ds2 + shift(h.score), u64::from(h.float2 == down));
            if !(l.float2 == up && h_higher) {
                w.add_at(lay.us2 + shift(h.score), 1);
            }
        }
        w
    }

    /// A maximum-weight matching of everybody under `weights`, from scratch: the partner of
    /// each ranking index (itself when unmatched) and the solver. An error when more than one
    /// player, or a player who may not get the bye, is left unmatched.
    fn solve_complete<W: EdgeWeights<L>>(
        &self,
        weights: &W,
    ) -> Result<(Vec<usize>, Matcher<L>), SwissError> {
        let n = self.info.len();
        let mut matcher = Matcher::<L>::new(n);
        matcher.solve(weights).map_err(|_| self.no_pairing())?;
        let mate: Vec<usize> = (0..n).map(|v| matcher.mate(v).unwrap_or(v)).collect();
        if !self.complete(&mate) {
            return Err(self.no_pairing());
        }
        Ok((mate, matcher))
    }

    /// The weight of an edge with an end below the bracket and its next score group:
    /// `constant + separate[a] + separate[b]` when the two may meet.
    fn separable(&self, bye_field: bool) -> (Wide<L>, Vec<Wide<L>>) {
        let lay = &self.layout;
        let mut constant = Wide::ZERO;
        constant.add_at(lay.completion, 1);
        let separate = (0..self.info.len())
            .map(|p| {
                let mut w = Wide::ZERO;
                w.add_at(lay.completion, u64::from(!self.bye_candidate(p)));
                if bye_field && self.info[p].score == self.bye_score {
                    w.add_at(
                        lay.bye,
                        self.ranks.get(&self.info[p].played).copied().unwrap_or(0),
                    );
                }
                w
            })
            .collect();
        (constant, separate)
    }

    /// The bracket of the positions `local` (moved-down players first, then the resident
    /// score group up to `end`, then the next score group), with the weights among the
    /// moved-down players carried from the previous bracket, where the moved-down player of
    /// each position had the offset `carried_shift` in the score fields. `None` when the
    /// bracket holds more scores than the layout has slots.
    fn new_bracket(
        &self,
        local: Vec<usize>,
        moved: usize,
        end: usize,
        mut carried: Vec<Wide<L>>,
        carried_shift: &[u32],
        bye_field: bool,
    ) -> Option<Bracket<L>> {
        let lay = &self.layout;
        let down = Some(Float::Down);
        let size = local.len();
        let scores: BTreeSet<u32> = local.iter().map(|&p| self.info[p].score).collect();
        if scores.len() > lay.slots as usize {
            return None;
        }
        let slot: BTreeMap<u32, u32> = scores
            .into_iter()
            .zip((0..).map(|k: u32| k * lay.count))
            .collect();
        let shift: Vec<u32> = local
            .iter()
            .map(|&p| slot.get(&self.info[p].score).copied().unwrap_or(0))
            .collect();
        for low in 0..moved {
            for high in 0..low {
                let w = &mut carried[high + low * moved];
                if !w.is_zero() {
                    let (h, l) = (local[high], local[low]);
                    *w = w
                        .sub(&self.slot_terms(h, l, carried_shift[high], carried_shift[low]))
                        .add(&self.slot_terms(h, l, shift[high], shift[low]));
                }
            }
        }
        let mut high_in = Vec::with_capacity(size);
        let mut low_in = Vec::with_capacity(size);
        let mut high_next = Vec::with_capacity(size);
        let mut low_next = Vec::with_capacity(size);
        for (&p, &shift) in local.iter().zip(&shift) {
            let info = &self.info[p];
            let mut own = Wide::<L>::ZERO;
            own.add_at(lay.completion, u64::from(!self.bye_candidate(p)));
            if bye_field && info.score == self.bye_score {
                own.add_at(lay.bye, self.ranks.get(&info.played).copied().unwrap_or(0));
            }
            let (slot_high, slot_low) = self.slot_ends(p, shift);
            let mut high = own.add(&slot_high);
            high.add_at(lay.completion, 1);
            high.add_at(lay.pairs, 1);
            let mut low = own.add(&slot_low);
            if self.played_rounds >= 1 && info.float1 == down {
                low.add_at(lay.d1, 1);
            }
            if self.played_rounds >= 2 && info.float2 == down {
                low.add_at(lay.d2, 1);
            }
            high_in.push(high);
            low_in.push(low);
            let mut high = own;
            high.add_at(lay.completion, 1);
            high.add_at(lay.next_pairs, 1);
            high.add_at(lay.next_scores + shift, 1);
            high_next.push(high);
            low_next.push(own);
        }
        // The kinds of the bracket's players (with their score), and the pair terms of each
        // ordered pair of kinds, from the first position of each.
        let mut kinds: BTreeMap<(Kind, u32), u32> = BTreeMap::new();
        let mut first: Vec<usize> = Vec::new();
        let mut code = Vec::with_capacity(end);
        for (pos, &p) in local[..end].iter().enumerate() {
            let info = &self.info[p];
            let next = kinds.len() as u32;
            let c = *kinds.entry((info.kind(), info.score)).or_insert(next);
            if c == next {
                first.push(pos);
            }
            code.push(c);
        }
        let codes = first.len();
        let mut terms = Vec::new();
        if codes <= self.max_codes {
            terms.reserve(codes * codes);
            for &h in &first {
                for &l in &first {
                    let mut w = Wide::ZERO;
                    self.add_pair_terms(&mut w, local[h], local[l], shift[h]);
                    terms.push(w);
                }
            }
        } else {
            code.clear();
        }
        let slots = size * size.saturating_sub(1) / 2;
        Some(Bracket {
            local,
            moved,
            shift,
            end,
            high_in,
            low_in,
            high_next,
            low_next,
            carried,
            code,
            codes,
            terms,
            removed: vec![0; (size * size).div_ceil(64)],
            nudge: vec![0; end * end],
            dirty: vec![0; slots.div_ceil(64)],
            log: Vec::new(),
        })
    }

    /// The terms in the score fields of an edge inside a bracket between `high` (ranked
    /// above) and `low`, whose scores have the offsets `shift_high` and `shift_low`.
    fn slot_terms(&self, high: usize, low: usize, shift_high: u32, shift_low: u32) -> Wide<L> {
        let mut w = self.slot_ends(high, shift_high).0;
        w = w.add(&self.slot_ends(low, shift_low).1);
        self.add_up_terms(&mut w, high, low, shift_high);
        w
    }

    /// The terms player `p` (score at offset `shift`) brings to the score fields of each
    /// edge inside a bracket, as its higher-ranked end (its paired score and down-floats) and
    /// as its lower end (its down-floats).
    fn slot_ends(&self, p: usize, shift: u32) -> (Wide<L>, Wide<L>) {
        let lay = &self.layout;
        let info = &self.info[p];
        let (mut high, mut low) = (Wide::ZERO, Wide::ZERO);
        high.add_at(lay.scores + shift, 1);
        for (rounds, ds, float) in [(1, lay.ds1, info.float1), (2, lay.ds2, info.float2)] {
            if self.played_rounds >= rounds && float == Some(Float::Down) {
                high.add_at(ds + shift, 1);
                low.add_at(ds + shift, 1);
            }
        }
        (high, low)
    }

    /// The up-float terms in the score fields of an edge inside a bracket (`high` ranked
    /// above `low`, its score at offset `shift`): counted unless `low` floated up against a
    /// higher score.
    #[inline]
    fn add_up_terms(&self, w: &mut Wide<L>, high: usize, low: usize, shift: u32) {
        let lay = &self.layout;
        let (h, l) = (&self.info[high], &self.info[low]);
        let h_higher = h.score > l.score;
        for (rounds, us, float) in [(1, lay.us1, l.float1), (2, lay.us2, l.float2)] {
            if self.played_rounds >= rounds && !(float == Some(Float::Up) && h_higher) {
                w.add_at(us + shift, 1);
            }
        }
    }

    /// The terms of an edge inside the bracket that depend on both players (`high` ranked
    /// above `low`): colours and floats.
    #[inline]
    fn add_pair_terms(&self, w: &mut Wide<L>, high: usize, low: usize, shift: u32) {
        let lay = &self.layout;
        let (h, l) = (&self.info[high], &self.info[low]);
        let same = l.preference == h.preference;
        let imbalance_ok = l.imbalance <= 1 || h.imbalance <= 1 || !same;
        let repeat_ok = !l.absolute
            || !h.absolute
            || !same
            || if l.imbalance == h.imbalance {
                l.repeated.is_none() || l.repeated != h.repeated
            } else {
                let lesser = if l.imbalance > h.imbalance { h } else { l };
                lesser.repeated != l.preference.map(Colour::opposite)
            };
        let colour_ok = !same || l.preference.is_none() || h.preference.is_none();
        let strong_ok = (!l.strong && !l.absolute)
            || (!h.strong && !h.absolute)
            || (l.absolute && h.absolute)
            || !same;
        w.add_at(lay.imbalance, u64::from(imbalance_ok));
        w.add_at(lay.repeat, u64::from(repeat_ok));
        w.add_at(lay.colour, u64::from(colour_ok));
        w.add_at(lay.strong, u64::from(strong_ok));
        let down = Some(Float::Down);
        let up = Some(Float::Up);
        let h_higher = h.score > l.score;
        if self.played_rounds >= 1 {
            w.add_at(lay.d1, u64::from(!h_higher && h.float1 == down));
            w.add_at(lay.u1, u64::from(!(h_higher && l.float1 == up)));
        }
        if self.played_rounds >= 2 {
            w.add_at(lay.d2, u64::from(!h_higher && h.float2 == down));
            w.add_at(lay.u2, u64::from(!(h_higher && l.float2 == up)));
        }
        self.add_up_terms(w, high, low, shift);
    }

    /// The weight of the pair of positions `high < low` (`low` not a moved-down player) before
    /// any decision: zero when they may not meet.
    #[cfg(test)]
    fn base_at(&self, b: &Bracket<L>, high: usize, low: usize) -> Wide<L> {
        if !self.may_pair(b.local[high], b.local[low]) {
            return Wide::ZERO;
        }
        self.pair_weight(b, high, low)
    }

    /// The weight of the pair of positions `high < low` (`low` not a moved-down player) of
    /// players who may meet, before any decision.
    #[inline]
    fn pair_weight(&self, b: &Bracket<L>, high: usize, low: usize) -> Wide<L> {
        let (h, l) = (b.local[high], b.local[low]);
        if low >= b.end {
            return b.high_next[high].add(&b.low_next[low]);
        }
        let mut w = b.high_in[high].add(&b.low_in[low]);
        if b.terms.is_empty() {
            self.add_pair_terms(&mut w, h, l, b.shift[high]);
            w
        } else {
            let at = b.code[high] as usize * b.codes + b.code[low] as usize;
            w.add(&b.terms[at])
        }
    }

    /// The weight of the pair of positions `{a, c}` when its state is `removed` and `nudge`.
    /// The compatibility table is read in the order given: a caller that holds `a` and runs
    /// through `c` reads memory in sequence.
    #[inline]
    fn weight_with(
        &self,
        b: &Bracket<L>,
        a: usize,
        c: usize,
        removed: bool,
        nudge: i128,
    ) -> Wide<L> {
        let (high, low) = (a.min(c), a.max(c));
        if low < b.moved {
            return b.carried[high + low * b.moved];
        }
        if removed || !self.may_pair(b.local[a], b.local[c]) {
            return Wide::ZERO;
        }
        let w = self.pair_weight(b, high, low);
        if nudge == 0 {
            w
        } else {
            w.add_signed(nudge)
        }
    }

    /// The current weight of the pair of positions `{a, c}`, its state read in the order
    /// given (see [`Engine::weight_with`]).
    #[inline]
    fn current(&self, b: &Bracket<L>, a: usize, c: usize) -> Wide<L> {
        self.weight_with(b, a, c, b.removed_at(a, c), b.nudge_at(a, c))
    }

    /// Twice the slack of the pair of positions `{a, c}` under the duals `da` and `dc` of its
    /// ends, or `None` when its weight is zero: [`Engine::current`] and the slack in one pass.
    /// The weight of a pair that may meet is never zero: its higher end's share holds the
    /// completion field, above every nudge.
    #[inline(always)]
    fn current_slack(
        &self,
        b: &Bracket<L>,
        a: usize,
        c: usize,
        da: &Wide<L>,
        dc: &Wide<L>,
    ) -> Option<Wide<L>> {
        let (high, low) = (a.min(c), a.max(c));
        if low < b.moved {
            let w = &b.carried[high + low * b.moved];
            return (!w.is_zero()).then(|| da.slack(dc, w));
        }
        if b.removed_at(a, c) || !self.may_pair(b.local[a], b.local[c]) {
            return None;
        }
        if low >= b.end {
            return Some(da.slack_of_sum(dc, &b.high_next[high], &b.low_next[low], &Wide::ZERO, 0));
        }
        if b.terms.is_empty() {
            return Some(da.slack(dc, &self.current(b, a, c)));
        }
        let at = b.code[high] as usize * b.codes + b.code[low] as usize;
        Some(da.slack_of_sum(
            dc,
            &b.high_in[high],
            &b.low_in[low],
            &b.terms[at],
            b.nudge[a * b.end + c],
        ))
    }

    /// Whether the pair of positions `{a, b}` still has its base weight (not zero): neither
    /// moved-down players both, nor unable to meet, nor taken out.
    #[inline]
    fn live(&self, bracket: &Bracket<L>, a: usize, b: usize) -> bool {
        let (high, low) = (a.min(b), a.max(b));
        low >= bracket.moved
            && !bracket.removed_at(high, low)
            && self.may_pair(bracket.local[high], bracket.local[low])
    }

    /// Whether all but at most one bye-eligible player are matched (`mate`: the partner of
    /// each ranking index, itself when unmatched).
    fn complete(&self, mate: &[usize]) -> bool {
        let mut single = 0;
        for (v, &partner) in mate.iter().enumerate() {
            if partner == v {
                single += 1;
                if single > 1 || !self.info[v].eligible {
                    return false;
                }
            }
        }
        true
    }

    fn run(mut self) -> Result<RoundPairing, Halt> {
        let n = self.info.len();
        if n == 0 {
            return Ok(RoundPairing::default());
        }
        let top_score = self.info[0].score;
        let mut is_single = false;
        let mut warm = None;
        // Completion and the score of the bye assignee.
        if n % 2 == 1 {
            let (mate, _) = self.solve_complete(&OddStart::new(&self, top_score))?;
            if let Some(single) = (0..n).find(|&v| mate[v] == v) {
                self.bye_score = self.info[single].score;
            }
            if self.bye_score >= top_score {
                is_single = (0..n)
                    .take_while(|&v| self.info[v].score >= top_score)
                    .all(|v| self.info[mate[v]].score >= top_score);
            }
            let mut counts: Vec<u32> = (0..n)
                .filter(|&v| self.info[v].score == self.bye_score)
                .map(|v| self.info[v].played)
                .collect();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            for (rank, played) in counts.into_iter().enumerate() {
                self.ranks.insert(played, rank as u64);
            }
        } else {
            // Completion alone: every edge is separable, so every vertex is outer.
            let (constant, separate) = self.separable(false);
            let outside: Vec<Wide<L>> = separate.iter().map(|s| constant.add(s)).collect();
            let position = vec![NONE; n];
            let view = View {
                engine: &self,
                outside: &outside,
                separate: &separate,
                position: &position,
                bracket: None,
                next_outer: false,
            };
            let (_, matcher) = self.solve_complete(&view)?;
            // The weights outside the first bracket are these same ones: start from here.
            warm = Some(matcher);
        }
        let (constant, separate) = self.separable(is_single);
        let outside = separate.iter().map(|s| constant.add(s)).collect();
        let mut sync = Sync {
            matcher: warm.unwrap_or_else(|| Matcher::new(n)),
            separate,
            outside,
            position: vec![NONE; n],
            fresh: false,
            previous: None,
        };

        let mut finalized = vec![false; n];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut group = 0usize;
        let mut local: Vec<usize> = Vec::new();
        let mut moved = 0usize;
        let mut carried: Vec<Wide<L>> = Vec::new();
        let mut carried_shift: Vec<u32> = Vec::new();
        if let Some(&(a, b)) = self.groups.first() {
            local.extend(a..b);
            group = 1;
        }
        let mut mate: Vec<usize> = (0..n).collect();
        while local.len() > 1 || group < self.groups.len() {
            let end = local.len();
            let next_range = self.groups.get(group).copied();
            if let Some((a, b)) = next_range {
                local.extend(a..b);
                group += 1;
            }
            let mut bracket = self
                .new_bracket(
                    local,
                    moved,
                    end,
                    std::mem::take(&mut carried),
                    &carried_shift,
                    is_single,
                )
                .ok_or(Halt::Slots)?;
            sync.fresh = false;
            let progress = self.pair_bracket(
                &mut bracket,
                &mut sync,
                &mut finalized,
                &mut pairs,
                &mut mate,
            )?;
            // Players for the next bracket.
            let next_score = next_range.map(|r| self.info[r.0].score);
            is_single = matches!(next_score, Some(s) if n % 2 == 1 && self.bye_score >= s);
            let mut keep = Vec::new();
            for (pos, &p) in bracket.local.iter().enumerate() {
                if finalized[p] {
                    continue;
                }
                keep.push(pos);
                if let Some(s) = next_score {
                    if self.info[mate[p]].score < s {
                        is_single = false;
                    }
                }
            }
            moved = keep.iter().filter(|&&pos| pos < bracket.end).count();
            carried = vec![Wide::ZERO; moved * moved];
            for b in 0..moved {
                for a in 0..b {
                    carried[a + b * moved] = self.current(&bracket, keep[a], keep[b]);
                }
            }
            carried_shift = keep[..moved]
                .iter()
                .map(|&pos| bracket.shift[pos])
                .collect();
            local = keep.iter().map(|&pos| bracket.local[pos]).collect();
            // The matching stays optimal for the bracket as last solved.
            bracket.revert();
            sync.previous = Some(bracket);
            if next_range.is_none() && !progress {
                // Nothing below and nothing paired: take the matching as it stands.
                let mut left = Vec::new();
                for &p in &local {
                    if mate[p] == p {
                        left.push(p);
                    } else if p < mate[p] {
                        pairs.push((p, mate[p]));
                    }
                }
                local = left;
                if local.len() > 1 {
                    return Err(self.no_pairing().into());
                }
                break;
            }
        }
        let bye = match local.as_slice() {
            [] => None,
            [one] if self.info[*one].eligible => Some(*one),
            _ => return Err(self.no_pairing().into()),
        };
        Ok(self.finish(pairs, bye))
    }

    /// Re-optimises the matching after the bracket's weights changed; updates `mate`.
    fn rematch(
        &self,
        bracket: &mut Bracket<L>,
        sync: &mut Sync<L>,
        mate: &mut [usize],
    ) -> Result<(), SwissError> {
        let size = bracket.local.len();
        // Edges whose weight changed since the last solution, and the growth of those of
        // them that are matched and grew.
        let mut changed: Vec<(usize, usize)> = Vec::new();
        let mut grown: Vec<(usize, usize, Wide<L>)> = Vec::new();
        let mut note = |matcher: &Matcher<L>, u: usize, v: usize, before: Wide<L>, now: Wide<L>| {
            if before != now {
                changed.push((u, v));
                if now > before && matcher.mate(u) == Some(v) {
                    grown.push((u, v, now.sub(&before)));
                }
            }
        };
        if sync.fresh {
            let mut slots: Vec<(usize, usize, Wide<L>, Wide<L>)> = Vec::new();
            for (high, low, removed, nudge) in std::mem::take(&mut bracket.log) {
                let slot = tri(high, low);
                set_bit(&mut bracket.dirty, slot, false);
                let (ph, pl) = (bracket.local[high], bracket.local[low]);
                if !sync.matcher.is_active(ph) || !sync.matcher.is_active(pl) {
                    continue;
                }
                if bracket.removed_at(high, low) == removed && bracket.nudge_at(high, low) == nudge
                {
                    continue;
                }
                let old = self.weight_with(bracket, high, low, removed, nudge);
                let new = self.current(bracket, high, low);
                if old != new {
                    slots.push((low, high, old, new));
                }
            }
            slots.sort_unstable_by_key(|&(low, high, _, _)| (low, high));
            for (low, high, old, new) in slots {
                note(
                    &sync.matcher,
                    bracket.local[high],
                    bracket.local[low],
                    old,
                    new,
                );
            }
        } else {
            let previous = sync.previous.take();
            match &previous {
                Some(old) if old.local == bracket.local => {
                    for low in 0..size {
                        let pl = bracket.local[low];
                        if !sync.matcher.is_active(pl) {
                            continue;
                        }
                        for high in 0..low {
                            let ph = bracket.local[high];
                            if !sync.matcher.is_active(ph) {
                                continue;
                            }
                            let (before, now) = (
                                self.current(old, high, low),
                                self.current(bracket, high, low),
                            );
                            note(&sync.matcher, ph, pl, before, now);
                        }
                    }
                }
                _ => {
                    let mut position = vec![NONE; self.info.len()];
                    for (k, &p) in bracket.local.iter().enumerate() {
                        position[p] = k;
                    }
                    let old = View {
                        engine: self,
                        outside: &sync.outside,
                        separate: &sync.separate,
                        position: &sync.position,
                        bracket: previous.as_ref(),
                        next_outer: false,
                    };
                    let new = View {
                        engine: self,
                        outside: &sync.outside,
                        separate: &sync.separate,
                        position: &position,
                        bracket: Some(bracket),
                        next_outer: false,
                    };
                    // An edge with an end in neither bracket is separable in both.
                    let mut touched: Vec<usize> = previous
                        .iter()
                        .flat_map(|b| b.local.iter())
                        .chain(bracket.local.iter())
                        .copied()
                        .filter(|&p| sync.matcher.is_active(p))
                        .collect();
                    touched.sort_unstable();
                    touched.dedup();
                    for (k, &u) in touched.iter().enumerate() {
                        for &x in &touched[k + 1..] {
                            note(&sync.matcher, u, x, old.weight(u, x), new.weight(u, x));
                        }
                    }
                    sync.position = position;
                }
            }
            sync.fresh = true;
            bracket.settle();
        }
        let next_outer =
            (bracket.end..size).all(|k| bracket.low_next[k] == sync.separate[bracket.local[k]]);
        let view = View {
            engine: self,
            outside: &sync.outside,
            separate: &sync.separate,
            position: &sync.position,
            bracket: Some(bracket),
            next_outer,
        };
        // The duals take what they can; detach a vertex cover of the rest, the busier end
        // first.
        let changed = sync
            .matcher
            .absorb(&changed, &grown, |u, v| view.weight(u, v));
        let mut degree: BTreeMap<usize, usize> = BTreeMap::new();
        for &(a, b) in &changed {
            *degree.entry(a).or_insert(0) += 1;
            *degree.entry(b).or_insert(0) += 1;
        }
        let mut chosen: BTreeSet<usize> = BTreeSet::new();
        for &(a, b) in &changed {
            if chosen.contains(&a) || chosen.contains(&b) {
                continue;
            }
            let (da, db) = (degree[&a], degree[&b]);
            let pick = if da > db || (da == db && a < b) { a } else { b };
            chosen.insert(pick);
        }
        for &v in &chosen {
            sync.matcher.detach(v);
        }
        sync.matcher.solve(&view).map_err(|_| self.no_pairing())?;
        for &v in sync.matcher.active() {
            mate[v] = sync.matcher.mate(v).unwrap_or(v);
        }
        Ok(())
    }

    fn finalize(
        finalized: &mut [bool],
        pairs: &mut Vec<(usize, usize)>,
        sync: &mut Sync<L>,
        a: usize,
        b: usize,
    ) -> bool {
        if a == b || finalized[a] || finalized[b] {
            return false;
        }
        finalized[a] = true;
        finalized[b] = true;
        sync.matcher.remove(a);
        sync.matcher.remove(b);
        pairs.push((a.min(b), a.max(b)));
        true
    }

    /// The nudge of the pairs whose higher end is the `index`-th player of the remainder, when
    /// the remainder makes `count` pairs: a bonus for a higher end among the first `count`
    /// (fewer exchanges), less the higher end's rank (the lower the exchanged players of S1,
    /// the better).
    fn exchange_nudge(&self, index: usize, count: usize) -> i128 {
        let counted = if index < count {
            1i128 << self.layout.tail_x1
        } else {
            0
        };
        counted - (i128::from(2 * index as u64) << self.layout.x4)
    }

    /// Sets the exchange nudges of every pair of the remainder (positions, ascending).
    fn set_exchange_nudges(&self, bracket: &mut Bracket<L>, remainder: &[usize], count: usize) {
        for (a, &pa) in remainder.iter().enumerate() {
            let nudge = self.exchange_nudge(a, count);
            for &pb in &remainder[a + 1..] {
                if self.live(bracket, pa, pb) {
                    bracket.set_nudge(pa, pb, nudge);
                }
            }
        }
    }

    /// Pairs one bracket; returns whether any pair was made.
    fn pair_bracket(
        &self,
        bracket: &mut Bracket<L>,
        sync: &mut Sync<L>,
        finalized: &mut [bool],
        pairs: &mut Vec<(usize, usize)>,
        mate: &mut [usize],
    ) -> Result<bool, SwissError> {
        let before = pairs.len();
        let moved = bracket.moved;
        let end = bracket.end;
        let size = bracket.local.len();
        let local = bracket.local.clone();
        // Ranking-index bounds of the resident score group.
        let group_begin = local.get(moved).copied().unwrap_or(usize::MAX);
        let group_end = local
            .get(end)
            .copied()
            .unwrap_or_else(|| local.get(end.wrapping_sub(1)).map_or(0, |&x| x + 1));
        let in_group = |x: usize| x >= group_begin && x < group_end;
        let x4 = self.layout.x4;
        let low = |value: u64| -> i128 { i128::from(value) << x4 };
        // Without moved-down players the remainder is the whole resident group before any
        // solve, and the number of its pairs is fixed by fields above the nudges: the
        // exchange nudges go in with the bracket's own weights (one re-optimisation instead
        // of two) when the group pairs all but at most one of its players, as it nearly
        // always does; otherwise they are set again below with the right count.
        let guessed_pairs = (moved == 0).then_some((end - moved) / 2);
        if let Some(count) = guessed_pairs {
            let remainder: Vec<usize> = (moved..end).collect();
            self.set_exchange_nudges(bracket, &remainder, count);
        }
        self.rematch(bracket, sync, mate)?;

        // Which moved-down players are paired in the bracket.
        let mut chosen = vec![false; size];
        let mut remaining = 0usize;
        let mut remaining_matched = 0usize;
        let mut current_score = u32::MAX;
        let residents = end - moved;
        for i in 0..moved {
            let p = local[i];
            if i == 0 || self.info[p].score < current_score {
                current_score = self.info[p].score;
                remaining = 0;
                remaining_matched = 0;
                for &q in local.iter().skip(i) {
                    if self.info[q].score < current_score {
                        break;
                    }
                    remaining += 1;
                    if in_group(mate[q]) {
                        remaining_matched += 1;
                    }
                }
            }
            if remaining_matched == 0 {
                continue;
            }
            if remaining <= remaining_matched {
                chosen[i] = true;
                continue;
            }
            remaining -= 1;
            if !in_group(mate[p]) {
                for j in moved..end {
                    if self.live(bracket, i, j) {
                        bracket.set_nudge(i, j, low(1));
                    }
                }
                self.rematch(bracket, sync, mate)?;
            }
            if in_group(mate[p]) {
                chosen[i] = true;
                remaining_matched -= 1;
                for j in moved..end {
                    if self.live(bracket, i, j) {
                        bracket.set_nudge(i, j, low(residents as u64 + 1));
                    }
                }
            }
        }

        // Their opponents, highest first.
        for i in 0..moved {
            if !chosen[i] {
                continue;
            }
            let p = local[i];
            let mut addend = size as u64;
            for j in (moved..end).rev() {
                if finalized[local[j]] {
                    continue;
                }
                if self.live(bracket, i, j) {
                    bracket.set_nudge(i, j, low(addend));
                    addend += 1;
                }
            }
            self.rematch(bracket, sync, mate)?;
            let q = mate[p];
            Self::finalize(finalized, pairs, sync, p, q);
        }

        // The remainder: residents not paired with a moved-down player.
        let remainder: Vec<usize> = (moved..end).filter(|&j| !finalized[local[j]]).collect();
        let remainder_pairs = remainder
            .iter()
            .filter(|&&j| mate[local[j]] < local[j])
            .count();
        let exchange = |index: usize| self.exchange_nudge(index, remainder_pairs);
        let s1_like = |mate: &[usize], x: usize| mate[x] > x && mate[x] < group_end;
        if guessed_pairs != Some(remainder_pairs) {
            self.set_exchange_nudges(bracket, &remainder, remainder_pairs);
            self.rematch(bracket, sync, mate)?;
        }
        let exchanges = remainder[..remainder_pairs]
            .iter()
            .filter(|&&j| !s1_like(mate, local[j]))
            .count();

        // Exchanged players of S1: the lowest where possible.
        let mut left = exchanges;
        let mut k = remainder_pairs;
        while k > 0 && left > 0 {
            k -= 1;
            let pa = remainder[k];
            let p = local[pa];
            if s1_like(mate, p) {
                for &pb in &remainder[k + 1..] {
                    if self.live(bracket, pa, pb) {
                        bracket.set_nudge(pa, pb, exchange(k) - low(1));
                    }
                }
                self.rematch(bracket, sync, mate)?;
            }
            let exchanged = !s1_like(mate, p);
            if exchanged {
                left -= 1;
            }
            for &pb in &remainder[k + 1..] {
                if exchanged {
                    bracket.remove(pa, pb);
                } else if self.live(bracket, pa, pb) {
                    bracket.set_nudge(pa, pb, exchange(k));
                }
            }
        }

        // Exchanged players of S2: the highest where possible.
        let mut left = exchanges;
        let mut k = remainder_pairs;
        while k < remainder.len() && left > 1 {
            let pa = remainder[k];
            let p = local[pa];
            let already = s1_like(mate, p);
            if !already {
                for &pb in &remainder[k + 1..] {
                    if self.live(bracket, pa, pb) {
                        bracket.set_nudge(pa, pb, exchange(k) + low(1));
                    }
                }
                self.rematch(bracket, sync, mate)?;
            }
            if s1_like(mate, p) {
                left -= 1;
                for &pb in &remainder[..k] {
                    bracket.remove(pa, pb);
                }
                for pb in end..size {
                    bracket.remove(pa, pb);
                }
            }
            if !already {
                for &pb in &remainder[k + 1..] {
                    if self.live(bracket, pa, pb) {
                        bracket.set_nudge(pa, pb, exchange(k));
                    }
                }
            }
            k += 1;
        }

        // Fix who is in S1 and who in S2. Each pair left joins a player of S1 (the higher
        // end) to one of S2 and keeps the exchange nudge of its S1 player: every optimal
        // matching pairs each player of S1 inside the remainder, so a nudge shared by all of
        // a player's pairs there changes none of the choices below, and the matching stays
        // optimal as it is.
        for (a, &pa) in remainder.iter().enumerate() {
            for &pb in &remainder[a + 1..] {
                if !s1_like(mate, local[pa]) || s1_like(mate, local[pb]) {
                    bracket.remove(pa, pb);
                } else if self.live(bracket, pa, pb) {
                    bracket.set_nudge(pa, pb, exchange(a));
                }
            }
        }

        // Opponents of S1, highest first. The players' preferences are lexicographic in
        // S1 order, so several of them are settled by one matching, each in its own slice of
        // the lowest field (the earlier player in the more significant slice), on top of its
        // exchange nudge.
        let s1: Vec<(usize, usize)> = remainder
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, pa)| !finalized[local[pa]] && s1_like(mate, local[pa]))
            .collect();
        let width = bits_for(remainder.len()).max(1);
        let per_matching = (LEX_BITS / width).max(1) as usize;
        for chunk in s1.chunks(per_matching) {
            for (slice, &(a, pa)) in chunk.iter().enumerate() {
                let offset = width * (chunk.len() - 1 - slice) as u32;
                let mut addend = 0u64;
                for &pb in remainder.iter().rev() {
                    if pb <= pa || finalized[local[pb]] {
                        continue;
                    }
                    if self.live(bracket, pa, pb) {
                        bracket.set_nudge(pa, pb, exchange(a) + (i128::from(addend) << offset));
                    }
                    addend += 1;
                }
            }
            self.rematch(bracket, sync, mate)?;
            for &(_, pa) in chunk {
                let p = local[pa];
                let q = mate[p];
                Self::finalize(finalized, pairs, sync, p, q);
            }
        }
        Ok(pairs.len() > before)
    }

    fn player(&self, i: usize) -> &PlayerState {
        &self.state.players[i]
    }

    fn finish(&self, mut pairs: Vec<(usize, usize)>, bye: Option<usize>) -> RoundPairing {
        pairs.sort_unstable();
        let mut out = RoundPairing::default();
        for (high, low) in pairs {
            let colour = self.colour_of_high(high, low);
            let (h, l) = (self.player(high).number, self.player(low).number);
            out.pairs.push(if colour == Colour::White {
                (h, l)
            } else {
                (l, h)
            });
        }
        out.bye = bye.map(|b| self.player(b).number);
        out
    }

    /// The colour of the higher-ranked player `high` (lower index) against `low`.
    fn colour_of_high(&self, high: usize, low: usize) -> Colour {
        let (h, l) = (self.player(high), self.player(low));
        // C.04.3 article 5.2.6 reads the parity of the pairing number of the higher ranked
        // player (ranked by article 1.2, score then pairing number, which `high` already is):
        // the number among the players who have entered the tournament, not the starting
        // number, so players who have only ever been absent do not shift the colours.
        allocate(
            &h.colour_history(),
            &l.colour_history(),
            self.state.initial_colour,
            h.effective_number % 2 == 1,
        )
    }
}

/// Whether `a` and `b` may be paired (C1, C3, forbidden pairs); symmetric in the two.
fn may_meet(state: &RoundState, a: &PlayerState, b: &PlayerState) -> bool {
    if a.opponents.contains(&b.number) || b.opponents.contains(&a.number) {
        return false;
    }
    let key = (a.number.min(b.number), a.number.max(b.number));
    if state.forbidden.contains(&key) {
        return false;
    }
    let (pa, pb) = (a.preference, b.preference);
    if !a.topscorer
        && !b.topscorer
        && pa.strength == Strength::Absolute
        && pb.strength == Strength::Absolute
        && pa.colour == pb.colour
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::swiss::{
        pair_next_round, Acceleration, GameResult, RoundRecord, SwissField, SwissPlayer,
    };

    /// A tournament of `n` players after `rounds` rounds paired by the engine, with results
    /// that spread the scores (and so the floats and colour preferences).
    fn played(n: u32, rounds: u32) -> SwissField {
        let mut t = SwissField {
            players: (1..=n)
                .map(|number| SwissPlayer {
                    number,
                    name: format!("P{number}"),
                    rating: 2400 - number as u16,
                    rounds: Vec::new(),
                })
                .collect(),
            total_rounds: 9,
            initial_colour: Colour::White,
            acceleration: Acceleration::None,
            forbidden_pairs: Default::default(),
        };
        for round in 0..rounds {
            let pairing = pair_next_round(&t).unwrap();
            let mut records: BTreeMap<u32, RoundRecord> = BTreeMap::new();
            for &(white, black) in &pairing.pairs {
                let (rw, rb) = match (white * 7 + black * 3 + round) % 3 {
                    0 => (GameResult::Win, GameResult::Loss),
                    1 => (GameResult::Draw, GameResult::Draw),
                    _ => (GameResult::Loss, GameResult::Win),
                };
                records.insert(
                    white,
                    RoundRecord::Game {
                        opponent: black,
                        colour: Colour::White,
                        result: rw,
                    },
                );
                records.insert(
                    black,
                    RoundRecord::Game {
                        opponent: white,
                        colour: Colour::Black,
                        result: rb,
                    },
                );
            }
            if let Some(bye) = pairing.bye {
                records.insert(bye, RoundRecord::PairingBye);
            }
            for p in &mut t.players {
                p.rounds.push(records.remove(&p.number).unwrap());
            }
        }
        t
    }

    /// Every bracket weight computed from the players' parts equals the reference weight,
    /// and the weights carried into a bracket are re-expressed in its score slots. With
    /// `max_codes` zero no bracket tabulates its pair terms.
    fn parts_agree<const L: usize>(state: &RoundState, max_codes: usize) -> usize {
        let layout = Layout::new(state, 4);
        let mut engine = Engine::<L>::new(state, layout);
        engine.max_codes = max_codes;
        engine.bye_score = engine.info[engine.info.len() / 2].score;
        let mut counts: Vec<u32> = engine.info.iter().map(|i| i.played).collect();
        counts.sort_unstable();
        for (rank, played) in counts.into_iter().enumerate() {
            engine.ranks.insert(played, rank as u64);
        }
        let mut checked = 0;
        for g in 0..engine.groups.len() {
            let (a, b) = engine.groups[g];
            let next = engine.groups.get(g + 1).map_or(b, |r| r.1);
            for bye_field in [false, true] {
                // Two moved-down players from the groups above, when there are two, with the
                // weight between them as a bracket of the scores above this one left it.
                let moved = a.min(2);
                let local: Vec<usize> = (a - moved..next).collect();
                let end = moved + (b - a);
                let above: BTreeMap<u32, u32> = (0..g)
                    .rev()
                    .take(3)
                    .map(|k| engine.info[engine.groups[k].0].score)
                    .collect::<BTreeSet<u32>>()
                    .into_iter()
                    .zip((0..).map(|k: u32| k * engine.layout.count))
                    .collect();
                let mut carried = vec![Wide::ZERO; moved * moved];
                let mut carried_shift = vec![0; moved];
                if moved == 2 {
                    carried[2] = engine.weight(local[0], local[1], true, false, bye_field, &above);
                    carried_shift = local[..2]
                        .iter()
                        .map(|&p| above[&engine.info[p].score])
                        .collect();
                }
                let bracket = engine
                    .new_bracket(
                        local.clone(),
                        moved,
                        end,
                        carried,
                        &carried_shift,
                        bye_field,
                    )
                    .unwrap();
                assert_eq!(bracket.terms.is_empty(), max_codes == 0);
                let slot: BTreeMap<u32, u32> = local
                    .iter()
                    .zip(&bracket.shift)
                    .map(|(&p, &shift)| (engine.info[p].score, shift))
                    .collect();
                if moved == 2 {
                    let expected = engine.weight(local[0], local[1], true, false, bye_field, &slot);
                    assert_eq!(engine.current(&bracket, 0, 1), expected);
                }
                for low in moved..local.len() {
                    for high in 0..low {
                        let expected = engine.weight(
                            local[high],
                            local[low],
                            low < end,
                            low >= end,
                            bye_field,
                            &slot,
                        );
                        assert_eq!(engine.base_at(&bracket, high, low), expected);
                        assert_eq!(engine.current(&bracket, high, low), expected);
                        checked += 1;
                    }
                }
            }
        }
        checked
    }

    /// A bracket holding more scores than the layout has slots is refused (the round is
    /// then paired with a slot for every score), and the pairing is the same either way.
    #[test]
    fn brackets_beyond_the_score_slots_fall_back_to_a_slot_per_score() {
        let state = RoundState::build(&played(41, 5)).unwrap();
        let scores: BTreeSet<u32> = state.players.iter().map(|p| p.pairing_score).collect();
        assert!(scores.len() > 3);
        let engine = Engine::<8>::new(&state, Layout::new(&state, 2));
        let local: Vec<usize> = (0..state.players.len()).collect();
        let size = local.len();
        assert!(engine
            .new_bracket(local, 0, size, Vec::new(), &[], false)
            .is_none());
        assert!(matches!(
            pair_with(&state, Layout::new(&state, 1)),
            Err(Halt::Slots)
        ));
        let narrow = pair(&state).unwrap();
        let wide = pair_with(&state, Layout::new(&state, scores.len() as u32))
            .ok()
            .unwrap();
        assert_eq!(narrow, wide);
    }

    #[test]
    fn bracket_weights_from_player_parts_match_the_reference() {
        for (n, rounds) in [(24, 3), (41, 5), (60, 6)] {
            let state = RoundState::build(&played(n, rounds)).unwrap();
            let layout = Layout::new(&state, 4);
            let limbs = (layout.total_bits as usize + 8).div_ceil(64);
            for max_codes in [MAX_CODES, 0] {
                let checked = match limbs {
                    0..=4 => parts_agree::<4>(&state, max_codes),
                    5..=8 => parts_agree::<8>(&state, max_codes),
                    _ => parts_agree::<16>(&state, max_codes),
                };
                assert!(checked > 100, "{n} players: {checked} pairs checked");
            }
        }
    }
}
