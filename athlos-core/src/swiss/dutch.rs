//! The Dutch pairing procedure (C.04.3, 2025): brackets from the top, candidates in the
//! transposition and exchange order of article 4, the best candidate by the quality criteria
//! C5–C19, and the completion criterion C4 checked on every candidate.

use std::collections::BTreeMap;

use super::colour::{allocate, Strength};
use super::state::{Float, PlayerState, RoundState};
use super::{Colour, Pairing, SwissError};

/// How many search steps a bracket may take before the best candidate so far is kept.
const BRACKET_BUDGET: u64 = 300_000;
/// Steps of the first, cost-guided search that finds a good bound quickly.
const GUIDED_BUDGET: u64 = 3_000;
/// Steps of the look-ahead into the next bracket (criterion C7).
const LOOKAHEAD_BUDGET: u64 = 300;
/// How many search steps one completion check may take before it is assumed to succeed.
const COMPLETION_BUDGET: u64 = 200_000;

/// Pairs the round described by `state`.
pub(crate) fn pair(state: &RoundState) -> Result<Pairing, SwissError> {
    let engine = Engine::new(state);
    engine.run()
}

struct Engine<'a> {
    state: &'a RoundState,
    compatible: Vec<Vec<bool>>,
}

/// What a bracket produced.
struct BracketOutcome {
    pairs: Vec<(usize, usize)>,
    floaters: Vec<usize>,
}

/// Additive costs of a candidate, in criteria order C8–C19; smaller is better, compared
/// lexicographically: topscorer colour difference, topscorer colour repeat, colour preference,
/// strong colour preference, repeated down/up floats (last round, round before), and their
/// score differences.
type Cost = [u32; 13];

const BYE: usize = 0;
const COLOUR: usize = 3;
const STRONG: usize = 4;

fn add(a: &mut Cost, b: &Cost) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x += *y;
    }
}

fn sub(a: &mut Cost, b: &Cost) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x -= *y;
    }
}

/// C7: how well the next bracket can be paired with a set of downfloaters: players left
/// unpaired there, then its PSD.
type NextBracket = (u32, Vec<u32>);

struct Best {
    psd: Vec<u32>,
    next: NextBracket,
    cost: Cost,
    pairs: Vec<(usize, usize)>,
    floaters: Vec<usize>,
    guided: bool,
}

struct Search {
    steps: u64,
    budget: u64,
    guided: bool,
    best: Option<Best>,
    perfect: bool,
    ideal_psd: Vec<u32>,
    colour_bound: u32,
    strong_bound: u32,
    completion_cache: BTreeMap<Vec<usize>, bool>,
    next_cache: BTreeMap<Vec<usize>, NextBracket>,
}

impl Search {
    fn exhausted(&self) -> bool {
        self.perfect || self.steps > self.budget
    }

    /// Whether a branch with this PSD and partial cost can no longer beat the best candidate.
    fn pruned(&self, psd: &[u32], cost: &Cost) -> bool {
        match &self.best {
            None => false,
            Some(best) => match psd.cmp(best.psd.as_slice()) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => *cost > best.cost,
            },
        }
    }
}

struct Bracket<'b> {
    lower: &'b [usize],
    /// How many of `lower` form the next scoregroup; `None` disables criterion C7.
    next_len: Option<usize>,
    last: bool,
    lowest_score: u32,
}

/// The partial state of one enumeration branch.
struct Branch {
    psd: Vec<u32>,
    cost: Cost,
    pairs: Vec<(usize, usize)>,
}

impl<'a> Engine<'a> {
    fn new(state: &'a RoundState) -> Self {
        let n = state.players.len();
        let compatible = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| i != j && Self::may_meet(state, &state.players[i], &state.players[j]))
                    .collect()
            })
            .collect();
        Self { state, compatible }
    }

    /// Absolute criteria C1 and C3, plus forbidden pairs.
    fn may_meet(state: &RoundState, a: &PlayerState, b: &PlayerState) -> bool {
        if a.opponents.contains(&b.number) {
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

    fn player(&self, i: usize) -> &PlayerState {
        &self.state.players[i]
    }

    fn run(&self) -> Result<Pairing, SwissError> {
        let n = self.state.players.len();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let score = self.player(i).pairing_score;
            match groups.last_mut() {
                Some(g) if g.first().map(|&f| self.player(f).pairing_score) == Some(score) => {
                    g.push(i)
                }
                _ => groups.push(vec![i]),
            }
        }
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut moved: Vec<usize> = Vec::new();
        for g in 0..groups.len() {
            let mut bracket = moved.clone();
            bracket.extend(groups[g].iter().copied());
            let lower: Vec<usize> = groups[g + 1..].concat();
            let next_len = groups.get(g + 1).map(Vec::len);
            let outcome = self.pair_bracket(
                &bracket,
                moved.len(),
                &lower,
                next_len,
                g + 1 == groups.len(),
            );
            pairs.extend(outcome.pairs);
            moved = outcome.floaters;
        }
        let bye = match moved.as_slice() {
            [] => None,
            [one] if !self.player(*one).bye_ineligible => Some(*one),
            _ => {
                return Err(SwissError::NoLegalPairing {
                    round: self.state.round,
                })
            }
        };
        Ok(self.finish(pairs, bye))
    }

    fn finish(&self, mut pairs: Vec<(usize, usize)>, bye: Option<usize>) -> Pairing {
        for pair in &mut pairs {
            if pair.1 < pair.0 {
                *pair = (pair.1, pair.0);
            }
        }
        pairs.sort_unstable();
        let mut out = Pairing::default();
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
        let odd = if self.state.round == 1 {
            high % 2 == 0
        } else {
            h.number % 2 == 1
        };
        allocate(h, l, self.state.initial_colour, odd)
    }

    /// The cost of pairing `a` with `b` (C8–C19 terms).
    fn pair_cost(&self, a: usize, b: usize) -> Cost {
        let (high, low) = (a.min(b), a.max(b));
        let (h, l) = (self.player(high), self.player(low));
        let mut cost = [0; 13];
        let colour = self.colour_of_high(high, low);
        for (player, got) in [(h, colour), (l, colour.opposite())] {
            if let Some(wanted) = player.preference.colour {
                if wanted != got {
                    cost[COLOUR] += 1;
                    if player.preference.strength >= Strength::Strong {
                        cost[STRONG] += 1;
                    }
                }
            }
        }
        if h.topscorer || l.topscorer {
            for (player, got) in [(h, colour), (l, colour.opposite())] {
                let step = if got == Colour::White { 1 } else { -1 };
                if (player.colour_difference + step).abs() > 2 {
                    cost[1] += 1;
                }
                let n = player.colours.len();
                if n >= 2 && player.colours[n - 1] == got && player.colours[n - 2] == got {
                    cost[2] += 1;
                }
            }
        }
        let difference = h.pairing_score.abs_diff(l.pairing_score);
        if difference > 0 {
            float_cost(&mut cost, h, Float::Down, difference);
            float_cost(&mut cost, l, Float::Up, difference);
        }
        cost
    }

    fn floater_cost(&self, f: usize, lowest: u32) -> (u32, Cost) {
        let player = self.player(f);
        let difference = player.pairing_score + 2 - lowest;
        let mut cost = [0; 13];
        float_cost(&mut cost, player, Float::Down, difference);
        (difference, cost)
    }

    fn pair_bracket(
        &self,
        bracket: &[usize],
        moved: usize,
        lower: &[usize],
        next_len: Option<usize>,
        last: bool,
    ) -> BracketOutcome {
        let lowest_score = bracket
            .iter()
            .map(|&i| self.player(i).pairing_score)
            .min()
            .unwrap_or(0);
        let context = Bracket {
            lower,
            next_len,
            last,
            lowest_score,
        };
        let (mut want_white, mut want_black, mut strong_white, mut strong_black) =
            (0u32, 0u32, 0u32, 0u32);
        for &x in bracket {
            let pref = self.player(x).preference;
            let strong = u32::from(pref.strength >= Strength::Strong);
            match pref.colour {
                Some(Colour::White) => {
                    want_white += 1;
                    strong_white += strong;
                }
                Some(Colour::Black) => {
                    want_black += 1;
                    strong_black += strong;
                }
                None => {}
            }
        }
        let mut cache = BTreeMap::new();
        for p in (0..=bracket.len() / 2).rev() {
            let f = (bracket.len() - 2 * p) as u32;
            let relief = p as u32 + f;
            let mut search = Search {
                steps: 0,
                budget: GUIDED_BUDGET,
                guided: true,
                best: None,
                perfect: false,
                ideal_psd: self.ideal_psd(bracket, moved, p, lowest_score),
                colour_bound: want_white.saturating_sub(relief) + want_black.saturating_sub(relief),
                strong_bound: strong_white.saturating_sub(relief)
                    + strong_black.saturating_sub(relief),
                completion_cache: std::mem::take(&mut cache),
                next_cache: BTreeMap::new(),
            };
            self.enumerate(bracket, moved, p, &context, &mut search);
            search.guided = false;
            search.steps = 0;
            search.budget = BRACKET_BUDGET;
            self.enumerate(bracket, moved, p, &context, &mut search);
            cache = std::mem::take(&mut search.completion_cache);
            if let Some(best) = search.best {
                return BracketOutcome {
                    pairs: best.pairs,
                    floaters: best.floaters,
                };
            }
        }
        // Nothing completes the round: move everybody down (the brackets below collapse).
        BracketOutcome {
            pairs: Vec::new(),
            floaters: bracket.to_vec(),
        }
    }

    fn ideal_psd(&self, bracket: &[usize], moved: usize, p: usize, lowest: u32) -> Vec<u32> {
        let residents = &bracket[moved..];
        let m1 = moved.min(p).min(residents.len());
        let chosen: Vec<usize> = (0..m1).collect();
        self.configuration_psd(bracket, moved, &chosen, p, lowest)
    }

    /// The PSD (C6) when the MDPs at `chosen` (indices into the bracket) are paired with
    /// residents and `p` pairs are made in all.
    fn configuration_psd(
        &self,
        bracket: &[usize],
        moved: usize,
        chosen: &[usize],
        p: usize,
        lowest: u32,
    ) -> Vec<u32> {
        let residents = &bracket[moved..];
        let resident_score = residents
            .first()
            .map_or(lowest, |&r| self.player(r).pairing_score);
        let mut psd = Vec::new();
        for (k, &member) in bracket.iter().enumerate().take(moved) {
            let score = self.player(member).pairing_score;
            if chosen.contains(&k) {
                psd.push(score.saturating_sub(resident_score));
            } else {
                psd.push(score + 2 - lowest);
            }
        }
        let m1 = chosen.len();
        let rest_pairs = p.saturating_sub(m1);
        psd.extend(std::iter::repeat_n(0, rest_pairs));
        let resident_floaters = residents.len().saturating_sub(m1 + 2 * rest_pairs);
        for _ in 0..resident_floaters {
            psd.push(resident_score + 2 - lowest);
        }
        psd.sort_unstable_by(|a, b| b.cmp(a));
        psd
    }

    /// Enumerates the candidates of a bracket with `p` pairs in the order of article 4.
    fn enumerate(
        &self,
        bracket: &[usize],
        moved: usize,
        p: usize,
        context: &Bracket<'_>,
        search: &mut Search,
    ) {
        if moved == 0 {
            let psd = self.configuration_psd(bracket, 0, &[], p, context.lowest_score);
            let mut branch = Branch {
                psd,
                cost: [0; 13],
                pairs: Vec::new(),
            };
            self.homogeneous(bracket, p, &mut branch, &[], context, search);
            return;
        }
        let mdps = &bracket[..moved];
        let residents = &bracket[moved..];
        let top = moved.min(p).min(residents.len());
        for m1 in (0..=top).rev() {
            let rest = p - m1;
            if 2 * rest > residents.len() - m1 {
                continue;
            }
            for s1 in combinations(mdps.len(), m1) {
                if search.exhausted() {
                    return;
                }
                let psd = self.configuration_psd(bracket, moved, &s1, p, context.lowest_score);
                if search.pruned(&psd, &[0; 13]) {
                    continue;
                }
                let chosen: Vec<usize> = s1.iter().map(|&k| mdps[k]).collect();
                let limbo: Vec<usize> = (0..mdps.len())
                    .filter(|k| !s1.contains(k))
                    .map(|k| mdps[k])
                    .collect();
                let mut used = vec![false; residents.len()];
                let mut branch = Branch {
                    psd,
                    cost: [0; 13],
                    pairs: Vec::new(),
                };
                self.mdp_pairing(
                    &chosen,
                    0,
                    residents,
                    &mut used,
                    &mut branch,
                    rest,
                    &limbo,
                    context,
                    search,
                );
            }
        }
    }

    /// Children of an S1 player in search order: S2 order, or by cost when guided.
    fn children(&self, a: usize, s2: &[usize], used: &[bool], guided: bool) -> Vec<(usize, Cost)> {
        let mut out: Vec<(usize, Cost)> = (0..s2.len())
            .filter(|&k| !used[k] && self.compatible[a][s2[k]])
            .map(|k| (k, self.pair_cost(a, s2[k])))
            .collect();
        if guided {
            out.sort_by_key(|x| x.1);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn mdp_pairing(
        &self,
        s1: &[usize],
        i: usize,
        residents: &[usize],
        used: &mut Vec<bool>,
        branch: &mut Branch,
        rest: usize,
        limbo: &[usize],
        context: &Bracket<'_>,
        search: &mut Search,
    ) {
        if search.exhausted() || search.pruned(&branch.psd, &branch.cost) {
            return;
        }
        search.steps += 1;
        if i == s1.len() {
            let remainder: Vec<usize> = residents
                .iter()
                .zip(used.iter())
                .filter(|(_, u)| !**u)
                .map(|(r, _)| *r)
                .collect();
            self.homogeneous(&remainder, rest, branch, limbo, context, search);
            return;
        }
        for (k, cost) in self.children(s1[i], residents, used, search.guided) {
            used[k] = true;
            branch.pairs.push((s1[i], residents[k]));
            add(&mut branch.cost, &cost);
            self.mdp_pairing(
                s1,
                i + 1,
                residents,
                used,
                branch,
                rest,
                limbo,
                context,
                search,
            );
            sub(&mut branch.cost, &cost);
            branch.pairs.pop();
            used[k] = false;
            if search.exhausted() {
                return;
            }
        }
    }

    /// A homogeneous bracket or remainder: exchanges (article 4.3), then transpositions (4.2).
    fn homogeneous(
        &self,
        players: &[usize],
        q: usize,
        branch: &mut Branch,
        extra_floaters: &[usize],
        context: &Bracket<'_>,
        search: &mut Search,
    ) {
        if q == 0 {
            let mut floaters = extra_floaters.to_vec();
            floaters.extend_from_slice(players);
            self.leaf(branch, floaters, context, search);
            return;
        }
        let s1_len = q;
        let s2_len = players.len() - q;
        for (from_s1, from_s2) in exchanges(s1_len, s2_len) {
            if search.exhausted() || search.pruned(&branch.psd, &branch.cost) {
                return;
            }
            let mut s1: Vec<usize> = (0..s1_len).filter(|k| !from_s1.contains(k)).collect();
            s1.extend(from_s2.iter().map(|k| s1_len + k));
            s1.sort_unstable();
            let mut s2: Vec<usize> = (0..s2_len)
                .filter(|k| !from_s2.contains(k))
                .map(|k| s1_len + k)
                .collect();
            s2.extend(from_s1.iter().copied());
            s2.sort_unstable();
            let s1: Vec<usize> = s1.iter().map(|&k| players[k]).collect();
            let s2: Vec<usize> = s2.iter().map(|&k| players[k]).collect();
            let mut used = vec![false; s2.len()];
            self.transpose(
                &s1,
                0,
                &s2,
                &mut used,
                branch,
                extra_floaters,
                context,
                search,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transpose(
        &self,
        s1: &[usize],
        i: usize,
        s2: &[usize],
        used: &mut Vec<bool>,
        branch: &mut Branch,
        extra_floaters: &[usize],
        context: &Bracket<'_>,
        search: &mut Search,
    ) {
        if search.exhausted() {
            return;
        }
        let mut bounded = branch.cost;
        let (colour, strong) = self.remaining_colour_bound(&s1[i..], s2, used);
        bounded[COLOUR] += colour;
        bounded[STRONG] += strong;
        if search.pruned(&branch.psd, &bounded) {
            return;
        }
        search.steps += 1;
        if i == s1.len() {
            let mut floaters = extra_floaters.to_vec();
            floaters.extend(
                s2.iter()
                    .zip(used.iter())
                    .filter(|(_, u)| !**u)
                    .map(|(p, _)| *p),
            );
            self.leaf(branch, floaters, context, search);
            return;
        }
        for (k, cost) in self.children(s1[i], s2, used, search.guided) {
            used[k] = true;
            branch.pairs.push((s1[i], s2[k]));
            add(&mut branch.cost, &cost);
            self.transpose(s1, i + 1, s2, used, branch, extra_floaters, context, search);
            sub(&mut branch.cost, &cost);
            branch.pairs.pop();
            used[k] = false;
            if search.exhausted() {
                return;
            }
        }
    }

    /// C7: pairs and PSD the next bracket can reach with `floaters` moved down into it.
    fn next_bracket(&self, floaters: &[usize], context: &Bracket<'_>) -> NextBracket {
        let Some(next_len) = context.next_len else {
            return (0, Vec::new());
        };
        let (next, beyond) = context.lower.split_at(next_len.min(context.lower.len()));
        let mut bracket = floaters.to_vec();
        bracket.extend_from_slice(next);
        let lowest_score = bracket
            .iter()
            .map(|&i| self.player(i).pairing_score)
            .min()
            .unwrap_or(0);
        let inner = Bracket {
            lower: beyond,
            next_len: None,
            last: beyond.is_empty(),
            lowest_score,
        };
        for p in (0..=bracket.len() / 2).rev() {
            let mut search = Search {
                steps: 0,
                budget: LOOKAHEAD_BUDGET,
                guided: true,
                best: None,
                perfect: false,
                ideal_psd: Vec::new(),
                colour_bound: 0,
                strong_bound: 0,
                completion_cache: BTreeMap::new(),
                next_cache: BTreeMap::new(),
            };
            self.enumerate(&bracket, floaters.len(), p, &inner, &mut search);
            if let Some(best) = search.best {
                return ((bracket.len() - 2 * p) as u32, best.psd);
            }
        }
        (bracket.len() as u32, Vec::new())
    }

    /// A lower bound on the colour (C10) and strong colour (C11) violations still to come
    /// when `rest` are yet to be paired with the unused players of `s2`.
    fn remaining_colour_bound(&self, rest: &[usize], s2: &[usize], used: &[bool]) -> (u32, u32) {
        let pairs = rest.len() as u32;
        let unused = s2
            .iter()
            .zip(used.iter())
            .filter(|(_, u)| !**u)
            .map(|(p, _)| *p);
        let floaters = (s2.len().saturating_sub(used.iter().filter(|u| **u).count()) as u32)
            .saturating_sub(pairs);
        let (mut white, mut black, mut strong_white, mut strong_black) = (0u32, 0u32, 0u32, 0u32);
        for x in rest.iter().copied().chain(unused) {
            let pref = self.player(x).preference;
            let strong = u32::from(pref.strength >= Strength::Strong);
            match pref.colour {
                Some(Colour::White) => {
                    white += 1;
                    strong_white += strong;
                }
                Some(Colour::Black) => {
                    black += 1;
                    strong_black += strong;
                }
                None => {}
            }
        }
        let relief = pairs + floaters;
        (
            white.saturating_sub(relief) + black.saturating_sub(relief),
            strong_white.saturating_sub(relief) + strong_black.saturating_sub(relief),
        )
    }

    fn leaf(
        &self,
        branch: &Branch,
        mut floaters: Vec<usize>,
        context: &Bracket<'_>,
        search: &mut Search,
    ) {
        floaters.sort_unstable();
        let mut cost = branch.cost;
        for &f in &floaters {
            let (_, c) = self.floater_cost(f, context.lowest_score);
            add(&mut cost, &c);
        }
        if context.last {
            if let [bye] = floaters.as_slice() {
                cost[BYE] += self.player(*bye).unplayed_games;
            }
        }
        if let Some(best) = &search.best {
            if branch.psd > best.psd {
                return;
            }
        }
        let completes = if let Some(&known) = search.completion_cache.get(&floaters) {
            known
        } else {
            let result = if context.last {
                match floaters.as_slice() {
                    [] => true,
                    [one] => !self.player(*one).bye_ineligible,
                    _ => false,
                }
            } else {
                let mut rest = floaters.clone();
                rest.extend_from_slice(context.lower);
                let mut steps = 0;
                self.completable(&mut rest, &mut steps)
            };
            search.completion_cache.insert(floaters.clone(), result);
            result
        };
        if !completes {
            return;
        }
        let next = match search.next_cache.get(&floaters) {
            Some(known) => known.clone(),
            None => {
                let value = self.next_bracket(&floaters, context);
                search.next_cache.insert(floaters.clone(), value.clone());
                value
            }
        };
        let replaces = match &search.best {
            None => true,
            Some(best) => match (&branch.psd, &next).cmp(&(&best.psd, &best.next)) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => {
                    cost < best.cost || (cost == best.cost && best.guided && !search.guided)
                }
            },
        };
        if !replaces {
            return;
        }
        let ideal = cost.iter().enumerate().all(|(k, &v)| match k {
            COLOUR => v <= search.colour_bound,
            STRONG => v <= search.strong_bound,
            _ => v == 0,
        });
        let next_ideal = match context.next_len {
            None => true,
            Some(len) => next.0 as usize == (floaters.len() + len) % 2,
        };
        search.perfect = !search.guided && ideal && branch.psd <= search.ideal_psd && next_ideal;
        search.best = Some(Best {
            psd: branch.psd.clone(),
            next,
            cost,
            pairs: branch.pairs.clone(),
            floaters,
            guided: search.guided,
        });
    }

    /// C4: whether `players` can all be paired (one bye-eligible player may be left over).
    fn completable(&self, players: &mut Vec<usize>, steps: &mut u64) -> bool {
        if players.len() % 2 == 0 {
            return self.completable_even(players, steps);
        }
        for k in (0..players.len()).rev() {
            if self.player(players[k]).bye_ineligible {
                continue;
            }
            let mut others = players.clone();
            others.remove(k);
            if self.completable_even(&mut others, steps) {
                return true;
            }
            if *steps > COMPLETION_BUDGET {
                return true;
            }
        }
        false
    }

    fn completable_even(&self, players: &mut Vec<usize>, steps: &mut u64) -> bool {
        *steps += 1;
        if *steps > COMPLETION_BUDGET {
            return true;
        }
        if players.is_empty() {
            return true;
        }
        let mut pick = 0;
        let mut fewest = usize::MAX;
        for (k, &a) in players.iter().enumerate() {
            let degree = players.iter().filter(|&&b| self.compatible[a][b]).count();
            if degree < fewest {
                fewest = degree;
                pick = k;
            }
        }
        if fewest == 0 {
            return false;
        }
        let a = players.swap_remove(pick);
        let mut result = false;
        for k in 0..players.len() {
            if !self.compatible[a][players[k]] {
                continue;
            }
            let b = players.swap_remove(k);
            let ok = self.completable_even(players, steps);
            players.push(b);
            let last = players.len() - 1;
            players.swap(k, last);
            if ok {
                result = true;
                break;
            }
        }
        players.push(a);
        let last = players.len() - 1;
        players.swap(pick, last);
        result
    }
}

fn float_cost(cost: &mut Cost, player: &PlayerState, float: Float, difference: u32) {
    let (count, sd) = match float {
        Float::Down => (5, 9),
        Float::Up => (6, 10),
    };
    if player.float_last == Some(float) {
        cost[count] += 1;
        cost[sd] += difference;
    }
    if player.float_before_last == Some(float) {
        cost[count + 2] += 1;
        cost[sd + 2] += difference;
    }
}

/// All `k`-subsets of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn go(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if out.len() > 100_000 {
            return;
        }
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            if n - i < k - current.len() {
                break;
            }
            current.push(i);
            go(i + 1, n, k, current, out);
            current.pop();
        }
    }
    go(0, n, k, &mut current, &mut out);
    out
}

/// Exchanges between S1 (`0..s1`) and S2 (`0..s2`, indices within S2) in the order of
/// article 4.3: fewer players first, then the smallest difference of the sums of bracket
/// sequence numbers, then the highest S1 players, then the lowest S2 players. The empty
/// exchange comes first. Large exchange sets are cut to keep the search bounded.
fn exchanges(s1: usize, s2: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut out = vec![(Vec::new(), Vec::new())];
    for k in 1..=s1.min(s2) {
        let a = combinations(s1, k);
        let b = combinations(s2, k);
        if a.len().saturating_mul(b.len()) > 20_000 {
            break;
        }
        let mut level: Vec<(i64, Vec<usize>, Vec<usize>)> = Vec::new();
        for x in &a {
            for y in &b {
                let sum_s1: i64 = x.iter().map(|&i| i as i64).sum();
                let sum_s2: i64 = y.iter().map(|&j| (s1 + j) as i64).sum();
                level.push((sum_s2 - sum_s1, x.clone(), y.clone()));
            }
        }
        level.sort_by(|(da, xa, ya), (db, xb, yb)| {
            da.cmp(db)
                .then_with(|| {
                    let mut ra = xa.clone();
                    ra.reverse();
                    let mut rb = xb.clone();
                    rb.reverse();
                    rb.cmp(&ra)
                })
                .then_with(|| ya.cmp(yb))
        });
        out.extend(level.into_iter().map(|(_, x, y)| (x, y)));
    }
    out
}
