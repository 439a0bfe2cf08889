//! Maximum-weight matching in a general graph that is re-optimised after local changes:
//! Edmonds' blossom algorithm in its primal-dual form, over exact integer weights.
//!
//! The graph is dense and given by an [`EdgeWeights`] oracle over vertices `0..n` (weight zero:
//! no edge). The solver keeps its matching, its dual solution and its blossoms between calls.
//! When the weights of the edges at some vertices change, [`Matcher::detach`] takes those
//! vertices out of their blossoms and their matched pairs and [`Matcher::solve`] gives each of
//! them a feasible dual again and grows one alternating tree per free vertex whose dual is
//! positive. A re-optimisation after `k` vertices change therefore costs `O(k)` searches of
//! `O(n²)` each instead of a solution from scratch (`O(n³)`). [`Matcher::absorb`] first lets
//! the duals take the changes they can (a matched edge that grows, an edge that loses weight
//! or gains less than its slack), so only the ends of the other changed edges need detaching.
//!
//! Invariants between calls (with doubled weights, so every dual stays an integer):
//! every edge has a non-negative slack `y_u + y_v - 2w + 2·Σ z_B` (blossoms holding both ends),
//! matched edges and the edges of each blossom's cycle have slack zero, every blossom with a
//! positive dual is full, and a free vertex has dual zero once it has been searched from — which
//! is the optimality condition of a maximum-weight matching.

use std::collections::BTreeSet;

use super::wide::Wide;

const NONE: usize = usize::MAX;
const NO_ARC: u64 = u64::MAX;

/// The edge `{from, to}` seen from `from`: its head is `to`.
fn arc(from: usize, to: usize) -> u64 {
    ((from as u64) << 32) | to as u64
}

fn head(a: u64) -> usize {
    (a & 0xffff_ffff) as usize
}

fn tail(a: u64) -> usize {
    (a >> 32) as usize
}

fn rev(a: u64) -> u64 {
    a.rotate_left(32)
}

/// Whether bit `at` of the bitset `bits` is set.
#[inline]
pub(super) fn bit(bits: &[u64], at: usize) -> bool {
    bits.get(at / 64).is_some_and(|w| w & (1 << (at % 64)) != 0)
}

/// Sets or clears bit `at` of the bitset `bits`.
#[inline]
pub(super) fn set_bit(bits: &mut [u64], at: usize, on: bool) {
    if let Some(w) = bits.get_mut(at / 64) {
        if on {
            *w |= 1 << (at % 64);
        } else {
            *w &= !(1 << (at % 64));
        }
    }
}

/// Why a matching could not be computed (a broken invariant; never expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MatchingFailed;

/// How many classes of outer vertices the searches tell apart.
pub(crate) const OUTER_CLASSES: usize = 2;

/// The weights of a dense graph. Must be symmetric; zero means "no edge".
///
/// Some vertices may be declared *outer*, in one of the classes `1..=OUTER_CLASSES`: every
/// edge of an outer vertex `x` of class `c` weighs either zero or `lone(u, c) + own(x)` for
/// its other end `u`, where `lone` depends on `u` and the class alone. The searches then
/// never visit the outer vertices one by one: the slack of an edge from a tree vertex `v` to
/// an outer vertex `x` outside the tree is `(y_v - 2·lone(v, c)) + (y_x - 2·own(x))`, so
/// with those outer vertices ordered by their own part, the tightest edge of `v` to them is
/// its edge to the first one it has an edge to.
pub(crate) trait EdgeWeights<const L: usize> {
    /// The weight of the edge between `u` and `v`.
    fn weight(&self, u: usize, v: usize) -> Wide<L>;

    /// Twice the slack `y_u + y_v - 2·weight(u, v)` of the edge between `u` and `v` under
    /// the duals `du` and `dv`, or `None` when there is no edge (weight zero).
    #[inline(always)]
    fn slack(&self, u: usize, v: usize, du: &Wide<L>, dv: &Wide<L>) -> Option<Wide<L>> {
        let weight = self.weight(u, v);
        (!weight.is_zero()).then(|| du.slack(dv, &weight))
    }

    /// The class of `x`: zero when it is not outer.
    fn class(&self, _x: usize) -> usize {
        0
    }

    /// The part of each of its edges that depends on the outer vertex `x` alone.
    fn own(&self, _x: usize) -> Wide<L> {
        Wide::ZERO
    }
}

/// A maximum-weight matching kept optimal across weight changes.
pub(crate) struct Matcher<const L: usize> {
    n: usize,
    active: Vec<bool>,
    /// The active vertices, ascending.
    order: Vec<usize>,
    /// The arc from each vertex to its mate, or `NO_ARC`.
    mate: Vec<u64>,
    /// 0 free, 1 S (outer), 2 T (inner); indices `n..2n` are blossoms.
    label: Vec<u8>,
    /// The arc through which the label was given (its head is the giver).
    label_end: Vec<u64>,
    mark: Vec<bool>,
    /// The top-level blossom holding each vertex.
    in_blossom: Vec<usize>,
    parent: Vec<usize>,
    children: Vec<Vec<usize>>,
    base: Vec<usize>,
    /// Arcs linking consecutive children of a blossom.
    links: Vec<Vec<u64>>,
    best_edge: Vec<u64>,
    /// The slack of `best_edge`, valid while `best_stamp` equals `stamp`.
    best_slack: Vec<Wide<L>>,
    best_stamp: Vec<u64>,
    /// Bumped whenever the duals change.
    stamp: u64,
    blossom_best: Vec<Option<Vec<u64>>>,
    unused: Vec<usize>,
    /// The blossoms in use (not in `unused`), a bit each from `n` on.
    live: Vec<u64>,
    /// Scratch: the blossoms in use, ascending.
    live_list: Vec<usize>,
    dual: Vec<Wide<L>>,
    queue: Vec<usize>,
    /// Free vertices that may need a search.
    pending: Vec<usize>,
    /// Vertices whose dual must be recomputed from the weights.
    stale: Vec<usize>,
    is_stale: Vec<bool>,
    /// Scratch of `add_blossom`: the best arc to each S blossom, its slack, and which are set.
    best_to: Vec<u64>,
    best_to_slack: Vec<Wide<L>>,
    best_to_set: Vec<usize>,
    /// The class of each active vertex, as the weights of the current solve declare it.
    class: Vec<u8>,
    /// The active vertices of class zero, ascending.
    inner: Vec<usize>,
    /// For each class, the outer vertices outside the current search's tree, by
    /// `(y_x - 2·own(x))` (sign-biased so that the order is the signed one), then index. The
    /// searches reach them only through this order (index zero is unused).
    free_outer: [BTreeSet<(Wide<L>, usize)>; OUTER_CLASSES + 1],
    /// The key of each vertex in `free_outer`, when it is there.
    outer_key: Vec<Option<Wide<L>>>,
    /// The vertices a search visits one by one: the inner ones and the outer ones it labels
    /// S.
    visited: Vec<usize>,
    is_visited: Vec<bool>,
    /// The vertices labelled in the current search (each once).
    tree: Vec<usize>,
    in_tree: Vec<bool>,
    /// The visited vertices outside the blossom `apart_from` (of the first `apart_len` of
    /// `visited`), while `apart_epoch` equals `epoch`: the leaves of one S blossom are scanned
    /// one after another, and each would otherwise pass over all the others. A scan through
    /// the list also drops the labelled vertices of inner blossoms from it: while the list
    /// holds, they stay so (a T vertex changes its label only when its blossom is expanded, a
    /// new epoch, or when it joins a new S blossom, which then holds `apart_from`, so the list
    /// is not used again).
    apart: Vec<usize>,
    apart_from: usize,
    apart_len: usize,
    apart_epoch: u64,
    /// Bumped whenever a vertex may leave a blossom (a blossom dissolved or expanded) and at
    /// each search.
    epoch: u64,
    /// The S vertices scanned in the current search, in the order of their first scan.
    scanned: Vec<usize>,
    is_scanned: Vec<bool>,
    /// For each scanned S vertex and class: its tightest edge to an outer vertex of the class
    /// outside the tree (the vertex, or `NONE`, and the weight).
    outer_best: Vec<[(usize, Wide<L>); OUTER_CLASSES + 1]>,
    /// Whether outer vertices left the tree since `outer_best` was computed (it may then miss
    /// them).
    outer_stale: bool,
    /// Scratch of `absorb`: each vertex's dual growth under each way of sharing (zero
    /// outside `raise_list`), and a bit per way for each changed edge.
    raise: [Vec<Wide<L>>; 3],
    raise_list: Vec<usize>,
    verdicts: Vec<u8>,
    /// Scratch of the walks over a blossom's leaves.
    leaf_stack: Vec<usize>,
    leaf_buf: Vec<usize>,
    /// Scratch of `scan_blossom` and of `add_blossom`'s S vertices.
    path_buf: Vec<usize>,
    targets_buf: Vec<usize>,
}

impl<const L: usize> Matcher<L> {
    /// A matcher over `n` vertices, all active, unmatched and to be solved.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            n,
            active: vec![true; n],
            order: (0..n).collect(),
            mate: vec![NO_ARC; n],
            label: vec![0; 2 * n],
            label_end: vec![NO_ARC; 2 * n],
            mark: vec![false; 2 * n],
            in_blossom: (0..n).collect(),
            parent: vec![NONE; 2 * n],
            children: vec![Vec::new(); 2 * n],
            base: (0..n).chain(std::iter::repeat_n(NONE, n)).collect(),
            links: vec![Vec::new(); 2 * n],
            best_edge: vec![NO_ARC; 2 * n],
            best_slack: vec![Wide::ZERO; 2 * n],
            best_stamp: vec![0; 2 * n],
            stamp: 1,
            blossom_best: vec![None; 2 * n],
            unused: (n..2 * n).rev().collect(),
            live: vec![0; n.div_ceil(64)],
            live_list: Vec::new(),
            dual: vec![Wide::ZERO; 2 * n],
            queue: Vec::new(),
            pending: (0..n).collect(),
            stale: (0..n).collect(),
            is_stale: vec![true; n],
            best_to: vec![NO_ARC; 2 * n],
            best_to_slack: vec![Wide::ZERO; 2 * n],
            best_to_set: Vec::new(),
            class: vec![0; n],
            inner: (0..n).collect(),
            free_outer: std::array::from_fn(|_| BTreeSet::new()),
            outer_key: vec![None; n],
            visited: Vec::new(),
            is_visited: vec![false; n],
            tree: Vec::new(),
            in_tree: vec![false; n],
            apart: Vec::new(),
            apart_from: NONE,
            apart_len: 0,
            apart_epoch: 0,
            epoch: 1,
            scanned: Vec::new(),
            is_scanned: vec![false; n],
            outer_best: vec![[(NONE, Wide::ZERO); OUTER_CLASSES + 1]; n],
            outer_stale: false,
            raise: std::array::from_fn(|_| vec![Wide::ZERO; n]),
            raise_list: Vec::new(),
            verdicts: Vec::new(),
            leaf_stack: Vec::new(),
            leaf_buf: Vec::new(),
            path_buf: Vec::new(),
            targets_buf: Vec::new(),
        }
    }

    /// The mate of `v` in the current matching.
    pub(crate) fn mate(&self, v: usize) -> Option<usize> {
        match self.mate.get(v) {
            Some(&a) if a != NO_ARC => Some(head(a)),
            _ => None,
        }
    }

    /// The vertices still taking part, ascending.
    pub(crate) fn active(&self) -> &[usize] {
        &self.order
    }

    /// Whether `v` still takes part in the matching.
    pub(crate) fn is_active(&self, v: usize) -> bool {
        self.active.get(v).copied().unwrap_or(false)
    }

    /// Prepares `v` for a change of the weights of its edges: it leaves its blossoms and its
    /// matched pair. Call [`Matcher::solve`] with the new weights afterwards.
    pub(crate) fn detach(&mut self, v: usize) {
        if !self.is_active(v) {
            return;
        }
        self.isolate(v);
        if !self.is_stale[v] {
            self.is_stale[v] = true;
            self.stale.push(v);
        }
        self.pending.push(v);
    }

    /// Keeps the matching optimal across weight changes where raising duals suffices, and
    /// returns the changed edges that remain in the way (detach an end of each before
    /// [`Matcher::solve`]).
    ///
    /// `changed` lists the edges whose weight changed (both ends active), `weight` gives the
    /// new weight of an edge, and `grown` each matched edge among them whose weight grew,
    /// with the growth. The blossoms holding both ends of a changed edge are dissolved first
    /// (their duals move to their vertices, so no slack changes; a base whose matched edge is
    /// no longer tight is freed for the next solve). A matched edge that grew stays tight
    /// when the duals of its ends grow by twice as much between them (the growth goes to the
    /// end with the lower index, to the other one, or half to each: whichever leaves the
    /// fewest edges in the way). Raising a dual only adds to the slack of the edges that did
    /// not change, so the matching and duals stay optimal for every edge except those
    /// returned: a matched edge that is no longer tight, or an edge whose slack is now
    /// negative.
    pub(crate) fn absorb<F: Fn(usize, usize) -> Wide<L>>(
        &mut self,
        changed: &[(usize, usize)],
        grown: &[(usize, usize, Wide<L>)],
        weight: F,
    ) -> Vec<(usize, usize)> {
        if changed.is_empty() {
            return Vec::new();
        }
        for &(u, v) in changed {
            while self.in_blossom[u] == self.in_blossom[v] {
                let b = self.in_blossom[u];
                self.dissolve(b);
            }
        }
        // The dual growth of each way of sharing (by the lower index, the higher, half each).
        let mut raised = std::mem::take(&mut self.raise_list);
        raised.clear();
        for &(u, v, growth) in grown {
            if self.mate[u] == NO_ARC || head(self.mate[u]) != v {
                continue;
            }
            let (first, second) = (u.min(v), u.max(v));
            let single = |x: usize| self.in_blossom[x] == x && !self.is_stale[x];
            let twice = growth.add(&growth);
            if single(first) {
                self.raise[0][first] = twice;
            }
            if single(second) {
                self.raise[1][second] = twice;
            }
            if single(first) && single(second) {
                self.raise[2][first] = growth;
                self.raise[2][second] = growth;
            }
            raised.extend([first, second]);
        }
        // Which changed edges stand in the way under each share: a bit each.
        let mut verdicts = std::mem::take(&mut self.verdicts);
        verdicts.clear();
        let mut counts = [0usize; 3];
        for &(u, v) in changed {
            let new = weight(u, v);
            let matched = self.mate[u] != NO_ARC && head(self.mate[u]) == v;
            let mut bits = 0u8;
            for (share, count) in counts.iter_mut().enumerate() {
                let yu = self.dual[u].add(&self.raise[share][u]);
                let yv = self.dual[v].add(&self.raise[share][v]);
                let slack = yu.slack(&yv, &new);
                if (matched && !slack.is_zero()) || slack.is_negative() {
                    bits |= 1 << share;
                    *count += 1;
                }
            }
            verdicts.push(bits);
        }
        let mut share = 0;
        for k in 1..3 {
            if counts[k] < counts[share] {
                share = k;
            }
        }
        let blocking = changed
            .iter()
            .zip(&verdicts)
            .filter(|&(_, bits)| bits & (1 << share) != 0)
            .map(|(&edge, _)| edge)
            .collect();
        for &v in &raised {
            self.dual[v] = self.dual[v].add(&self.raise[share][v]);
            for r in &mut self.raise {
                r[v] = Wide::ZERO;
            }
        }
        if !raised.is_empty() {
            self.stamp += 1;
        }
        self.raise_list = raised;
        self.verdicts = verdicts;
        blocking
    }

    /// Takes `v` out of the graph for good (its edges are gone).
    pub(crate) fn remove(&mut self, v: usize) {
        if !self.is_active(v) {
            return;
        }
        self.isolate(v);
        self.active[v] = false;
        if let Ok(at) = self.order.binary_search(&v) {
            self.order.remove(at);
        }
    }

    /// Dissolves the blossoms holding `v` and unmatches it.
    fn isolate(&mut self, v: usize) {
        while self.in_blossom[v] != v {
            let top = self.in_blossom[v];
            self.dissolve(top);
        }
        let m = self.mate[v];
        if m != NO_ARC {
            let u = head(m);
            self.mate[v] = NO_ARC;
            self.mate[u] = NO_ARC;
            self.pending.push(u);
        }
    }

    /// Dissolves the top-level blossom `b`, moving its dual onto its vertices so that every
    /// slack inside it is unchanged; its base leaves its mate when that edge stops being tight.
    fn dissolve(&mut self, b: usize) {
        self.epoch += 1;
        let z = self.dual[b];
        if !z.is_zero() {
            let leaves = self.leaves_buf(b);
            for &leaf in &leaves {
                self.dual[leaf] = self.dual[leaf].add(&z);
            }
            self.leaf_buf = leaves;
            let base = self.base[b];
            let m = self.mate[base];
            self.pending.push(base);
            if m != NO_ARC {
                let u = head(m);
                self.mate[base] = NO_ARC;
                self.mate[u] = NO_ARC;
                self.pending.push(u);
            }
        }
        let children = std::mem::take(&mut self.children[b]);
        for &child in &children {
            self.parent[child] = NONE;
            if child < self.n {
                self.in_blossom[child] = child;
            } else {
                let leaves = self.leaves_buf(child);
                for &leaf in &leaves {
                    self.in_blossom[leaf] = child;
                }
                self.leaf_buf = leaves;
            }
        }
        self.links[b].clear();
        self.base[b] = NONE;
        self.label[b] = 0;
        self.label_end[b] = NO_ARC;
        self.best_edge[b] = NO_ARC;
        self.blossom_best[b] = None;
        self.dual[b] = Wide::ZERO;
        self.unused.push(b);
        self.set_live(b, false);
    }

    /// Restores optimality for the weights `w`.
    pub(crate) fn solve<W: EdgeWeights<L>>(&mut self, w: &W) -> Result<(), MatchingFailed> {
        self.refresh_duals(w);
        self.sort_vertices(w);
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        pending.dedup();
        for r in pending {
            if self.is_active(r) && self.mate[r] == NO_ARC && !self.dual[r].is_zero() {
                self.phase(r, w)?;
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// Reads the class of every active vertex from `w` and files the outer ones in the order
    /// of their own part.
    fn sort_vertices<W: EdgeWeights<L>>(&mut self, w: &W) {
        self.inner.clear();
        for set in &mut self.free_outer {
            set.clear();
        }
        for index in 0..self.order.len() {
            let v = self.order[index];
            self.outer_key[v] = None;
            let class = w.class(v).min(OUTER_CLASSES);
            self.class[v] = class as u8;
            if class == 0 {
                self.inner.push(v);
            } else {
                self.file_outer(w, v);
            }
        }
    }

    /// Puts the outer vertex `x` among the outer vertices outside the tree.
    fn file_outer<W: EdgeWeights<L>>(&mut self, w: &W, x: usize) {
        let own = w.own(x);
        let key = self.dual[x].sub(&own).sub(&own).biased();
        self.outer_key[x] = Some(key);
        self.free_outer[usize::from(self.class[x])].insert((key, x));
    }

    /// Takes `x` out of the free outer vertices, if it is there.
    fn unfile_outer(&mut self, x: usize) {
        if let Some(key) = self.outer_key[x].take() {
            self.free_outer[usize::from(self.class[x])].remove(&(key, x));
        }
    }

    /// The first outer vertex of class `c` outside the tree that `v` has an edge to, and the
    /// edge's weight: `v`'s tightest edge to them.
    fn first_outer<W: EdgeWeights<L>>(&self, w: &W, v: usize, c: usize) -> (usize, Wide<L>) {
        for &(_, x) in &self.free_outer[c] {
            let weight = w.weight(v, x);
            if !weight.is_zero() {
                return (x, weight);
            }
        }
        (NONE, Wide::ZERO)
    }

    /// After a search: the outer vertices it labelled go back among the outer vertices
    /// outside the tree, with their new duals; the search's lists are emptied.
    fn settle_search<W: EdgeWeights<L>>(&mut self, w: &W) {
        let tree = std::mem::take(&mut self.tree);
        for &v in &tree {
            self.in_tree[v] = false;
            if self.is_active(v) && self.class[v] != 0 {
                self.unfile_outer(v);
                self.file_outer(w, v);
            }
        }
        self.tree = tree;
        self.tree.clear();
        for &v in &self.scanned {
            self.is_scanned[v] = false;
        }
        self.scanned.clear();
        for &v in &self.visited {
            self.is_visited[v] = false;
        }
        self.visited.clear();
    }

    /// Adds the leaves of the top-level blossom `b` to the search's tree.
    fn enter_tree(&mut self, b: usize) {
        let leaves = self.leaves_buf(b);
        for &leaf in &leaves {
            if !self.in_tree[leaf] {
                self.in_tree[leaf] = true;
                self.tree.push(leaf);
            }
            self.unfile_outer(leaf);
        }
        self.leaf_buf = leaves;
    }

    /// Gives every stale vertex the least dual that keeps all its edges feasible. Two stale
    /// vertices share the edge between them (half each), so a cold start begins from each
    /// vertex's heaviest edge.
    fn refresh_duals<W: EdgeWeights<L>>(&mut self, w: &W) {
        let stale = std::mem::take(&mut self.stale);
        for &v in &stale {
            if !self.is_active(v) {
                continue;
            }
            let mut y = Wide::ZERO;
            for &x in &self.order {
                if x == v {
                    continue;
                }
                let weight = w.weight(v, x);
                if weight.is_zero() {
                    continue;
                }
                let need = if self.is_stale[x] {
                    weight
                } else {
                    let doubled = weight.add(&weight);
                    if doubled > self.dual[x] {
                        doubled.sub(&self.dual[x])
                    } else {
                        Wide::ZERO
                    }
                };
                if need > y {
                    y = need;
                }
            }
            self.dual[v] = y;
        }
        for &v in &stale {
            self.is_stale[v] = false;
        }
    }

    /// Twice the slack of the edge of arc `a` (its ends in different top-level blossoms).
    fn slack<W: EdgeWeights<L>>(&self, w: &W, a: u64) -> Wide<L> {
        let (u, v) = (tail(a), head(a));
        self.dual[u].slack(&self.dual[v], &w.weight(u, v))
    }

    /// The slack of `best_edge[i]` (which must be set).
    fn best_slack_of<W: EdgeWeights<L>>(&mut self, w: &W, i: usize) -> Wide<L> {
        if self.best_stamp[i] != self.stamp {
            self.best_slack[i] = self.slack(w, self.best_edge[i]);
            self.best_stamp[i] = self.stamp;
        }
        self.best_slack[i]
    }

    fn set_best(&mut self, i: usize, a: u64, slack: Wide<L>) {
        self.best_edge[i] = a;
        self.best_slack[i] = slack;
        self.best_stamp[i] = self.stamp;
    }

    fn set_live(&mut self, b: usize, on: bool) {
        set_bit(&mut self.live, b - self.n, on);
    }

    /// The blossoms in use, ascending, in the scratch list (taken: give it back with
    /// `self.live_list =`).
    fn live_blossoms(&mut self) -> Vec<usize> {
        let mut list = std::mem::take(&mut self.live_list);
        list.clear();
        for (i, &word) in self.live.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                list.push(self.n + i * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        list
    }

    /// Appends the leaves of `b` to `out`, in the order of its cycles.
    fn leaves(&mut self, b: usize, out: &mut Vec<usize>) {
        if b < self.n {
            out.push(b);
            return;
        }
        let mut stack = std::mem::take(&mut self.leaf_stack);
        stack.clear();
        stack.push(b);
        while let Some(x) = stack.pop() {
            if x < self.n {
                out.push(x);
            } else {
                stack.extend(self.children[x].iter().rev().copied());
            }
        }
        self.leaf_stack = stack;
    }

    /// The leaves of `b` in the scratch buffer (taken: give it back with `self.leaf_buf =`).
    fn leaves_buf(&mut self, b: usize) -> Vec<usize> {
        let mut buf = std::mem::take(&mut self.leaf_buf);
        buf.clear();
        self.leaves(b, &mut buf);
        buf
    }

    fn assign_label(&mut self, w: usize, t: u8, p: u64) {
        let mut w = w;
        let mut t = t;
        let mut p = p;
        loop {
            let b = self.in_blossom[w];
            self.label[w] = t;
            self.label[b] = t;
            self.label_end[w] = p;
            self.label_end[b] = p;
            self.best_edge[w] = NO_ARC;
            self.best_edge[b] = NO_ARC;
            self.enter_tree(b);
            if t == 1 {
                let mut queue = std::mem::take(&mut self.queue);
                self.leaves(b, &mut queue);
                self.queue = queue;
                return;
            }
            let base = self.base[b];
            let m = self.mate[base];
            if m == NO_ARC {
                return;
            }
            w = head(m);
            t = 1;
            p = rev(m);
        }
    }

    /// The base of the blossom closed by the edge `(v, w)`, or `NONE` when the two S
    /// vertices lie in different trees.
    fn scan_blossom(&mut self, v: usize, w: usize) -> usize {
        let mut path = std::mem::take(&mut self.path_buf);
        path.clear();
        let mut found = NONE;
        let (mut v, mut w) = (v, w);
        while v != NONE {
            let b = self.in_blossom[v];
            if self.mark[b] {
                found = self.base[b];
                break;
            }
            path.push(b);
            self.mark[b] = true;
            if self.label_end[b] == NO_ARC {
                v = NONE;
            } else {
                let t = head(self.label_end[b]);
                let bt = self.in_blossom[t];
                v = if self.label_end[bt] == NO_ARC {
                    NONE
                } else {
                    head(self.label_end[bt])
                };
            }
            if w != NONE {
                std::mem::swap(&mut v, &mut w);
            }
        }
        for &b in &path {
            self.mark[b] = false;
        }
        self.path_buf = path;
        found
    }

    /// Makes a blossom of the cycle closed by arc `k` (from `v` to `w`, both S).
    fn add_blossom<W: EdgeWeights<L>>(
        &mut self,
        weights: &W,
        base: usize,
        k: u64,
    ) -> Result<(), MatchingFailed> {
        let (mut v, mut w) = (tail(k), head(k));
        let bb = self.in_blossom[base];
        let mut bv = self.in_blossom[v];
        let mut bw = self.in_blossom[w];
        let b = self.unused.pop().ok_or(MatchingFailed)?;
        self.set_live(b, true);
        self.base[b] = base;
        self.parent[b] = NONE;
        self.parent[bb] = b;
        let mut path = Vec::new();
        let mut links = Vec::new();
        while bv != bb {
            self.parent[bv] = b;
            path.push(bv);
            links.push(self.label_end[bv]);
            if self.label_end[bv] == NO_ARC {
                return Err(MatchingFailed);
            }
            v = head(self.label_end[bv]);
            bv = self.in_blossom[v];
        }
        path.push(bb);
        path.reverse();
        links.reverse();
        // The arc whose head is `v`'s end of the closing edge, as the cycle runs.
        links.push(rev(k));
        while bw != bb {
            self.parent[bw] = b;
            path.push(bw);
            if self.label_end[bw] == NO_ARC {
                return Err(MatchingFailed);
            }
            links.push(rev(self.label_end[bw]));
            w = head(self.label_end[bw]);
            bw = self.in_blossom[w];
        }
        self.children[b] = path.clone();
        self.links[b] = links;
        self.label[b] = 1;
        self.label_end[b] = self.label_end[bb];
        self.dual[b] = Wide::ZERO;
        let leaves = self.leaves_buf(b);
        for &leaf in &leaves {
            if self.label[self.in_blossom[leaf]] == 2 {
                self.queue.push(leaf);
            }
            self.in_blossom[leaf] = b;
        }
        self.leaf_buf = leaves;
        let mut best_to = std::mem::take(&mut self.best_to);
        let mut best_to_slack = std::mem::take(&mut self.best_to_slack);
        let mut best_to_set = std::mem::take(&mut self.best_to_set);
        best_to_set.clear();
        let mut offer = |bj: usize, a: u64, slack: Wide<L>| {
            if best_to[bj] == NO_ARC {
                best_to_set.push(bj);
            }
            if best_to[bj] == NO_ARC || slack < best_to_slack[bj] {
                best_to[bj] = a;
                best_to_slack[bj] = slack;
            }
        };
        // The S vertices outside the new blossom, ascending (computed when first needed).
        let mut targets = std::mem::take(&mut self.targets_buf);
        let mut have_targets = false;
        for &child in &path {
            if let Some(list) = self.blossom_best[child].take() {
                for a in list {
                    let (mut i, mut j) = (tail(a), head(a));
                    if self.in_blossom[j] == b {
                        std::mem::swap(&mut i, &mut j);
                    }
                    let bj = self.in_blossom[j];
                    if bj != b && self.label[bj] == 1 {
                        offer(bj, arc(i, j), self.slack(weights, arc(i, j)));
                    }
                }
            } else {
                if !have_targets {
                    targets.clear();
                    targets.extend(self.tree.iter().copied().filter(|&x| {
                        let bx = self.in_blossom[x];
                        bx != b && self.label[bx] == 1
                    }));
                    targets.sort_unstable();
                    have_targets = true;
                }
                let leaves = self.leaves_buf(child);
                for &leaf in &leaves {
                    let dl = self.dual[leaf];
                    for &x in &targets {
                        let weight = weights.weight(leaf, x);
                        if !weight.is_zero() {
                            offer(
                                self.in_blossom[x],
                                arc(leaf, x),
                                dl.slack(&self.dual[x], &weight),
                            );
                        }
                    }
                }
                self.leaf_buf = leaves;
            }
            self.best_edge[child] = NO_ARC;
        }
        self.targets_buf = targets;
        let mut list = Vec::new();
        let mut best = NO_ARC;
        let mut best_slack = Wide::ZERO;
        best_to_set.sort_unstable();
        for &bj in &best_to_set {
            let edge = best_to[bj];
            best_to[bj] = NO_ARC;
            list.push(edge);
            if best == NO_ARC || best_to_slack[bj] < best_slack {
                best = edge;
                best_slack = best_to_slack[bj];
            }
        }
        if best == NO_ARC {
            self.best_edge[b] = NO_ARC;
        } else {
            self.set_best(b, best, best_slack);
        }
        self.blossom_best[b] = Some(list);
        self.best_to = best_to;
        self.best_to_slack = best_to_slack;
        self.best_to_set = best_to_set;
        Ok(())
    }

    fn at<T: Copy>(list: &[T], j: isize) -> T {
        let len = list.len() as isize;
        list[(((j % len) + len) % len) as usize]
    }

    /// The arc `p ^ trick` of the classic formulation: `rev` when `trick` is set.
    fn flip(a: u64, trick: bool) -> u64 {
        if trick {
            rev(a)
        } else {
            a
        }
    }

    fn expand_blossom(&mut self, b: usize, end_stage: bool) -> Result<(), MatchingFailed> {
        self.epoch += 1;
        let children = self.children[b].clone();
        for &s in &children {
            self.parent[s] = NONE;
            if s < self.n {
                self.in_blossom[s] = s;
            } else if end_stage && self.dual[s].is_zero() {
                self.expand_blossom(s, end_stage)?;
            } else {
                let leaves = self.leaves_buf(s);
                for &leaf in &leaves {
                    self.in_blossom[leaf] = s;
                }
                self.leaf_buf = leaves;
            }
        }
        if !end_stage && self.label[b] == 2 {
            let links = self.links[b].clone();
            let entry_end = self.label_end[b];
            if entry_end == NO_ARC {
                return Err(MatchingFailed);
            }
            let entry = self.in_blossom[tail(entry_end)];
            let position = children
                .iter()
                .position(|&c| c == entry)
                .ok_or(MatchingFailed)?;
            let len = children.len() as isize;
            let mut j = position as isize;
            let (step, trick): (isize, bool) = if j & 1 == 1 {
                j -= len;
                (1, false)
            } else {
                (-1, true)
            };
            let shift = isize::from(trick);
            let mut p = entry_end;
            while j != 0 {
                let a = tail(p);
                self.label[a] = 0;
                let q = rev(Self::flip(Self::at(&links, j - shift), trick));
                let c = head(q);
                self.label[c] = 0;
                self.assign_label(a, 2, p);
                j += step;
                p = Self::flip(Self::at(&links, j - shift), trick);
                j += step;
            }
            let bv = Self::at(&children, j);
            let a = tail(p);
            self.label[a] = 2;
            self.label[bv] = 2;
            self.label_end[a] = p;
            self.label_end[bv] = p;
            self.best_edge[bv] = NO_ARC;
            j += step;
            let mut guard = 0usize;
            while Self::at(&children, j) != entry {
                guard += 1;
                if guard > children.len() + 2 {
                    return Err(MatchingFailed);
                }
                let bv = Self::at(&children, j);
                if self.label[bv] == 1 {
                    j += step;
                    continue;
                }
                let leaves = self.leaves_buf(bv);
                let found = leaves.iter().copied().find(|&v| self.label[v] != 0);
                self.leaf_buf = leaves;
                if let Some(v) = found {
                    self.label[v] = 0;
                    let m = self.mate[self.base[bv]];
                    if m != NO_ARC {
                        let e = head(m);
                        self.label[e] = 0;
                    }
                    let end = self.label_end[v];
                    self.assign_label(v, 2, end);
                }
                j += step;
            }
        }
        self.label[b] = 0;
        self.label_end[b] = NO_ARC;
        self.children[b] = Vec::new();
        self.links[b] = Vec::new();
        self.base[b] = NONE;
        self.blossom_best[b] = None;
        self.best_edge[b] = NO_ARC;
        self.dual[b] = Wide::ZERO;
        self.unused.push(b);
        self.set_live(b, false);
        Ok(())
    }

    /// Rotates blossom `b` so that its vertex `v` becomes the base, rematching the cycle.
    fn augment_blossom(&mut self, b: usize, v: usize) -> Result<(), MatchingFailed> {
        let mut t = v;
        while self.parent[t] != b {
            t = self.parent[t];
            if t == NONE {
                return Err(MatchingFailed);
            }
        }
        if t >= self.n {
            self.augment_blossom(t, v)?;
        }
        let children = self.children[b].clone();
        let links = self.links[b].clone();
        let len = children.len() as isize;
        let i = children
            .iter()
            .position(|&c| c == t)
            .ok_or(MatchingFailed)?;
        let mut j = i as isize;
        let (step, trick): (isize, bool) = if j & 1 == 1 {
            j -= len;
            (1, false)
        } else {
            (-1, true)
        };
        let shift = isize::from(trick);
        while j != 0 {
            j += step;
            let t = Self::at(&children, j);
            let p = Self::flip(Self::at(&links, j - shift), trick);
            if t >= self.n {
                self.augment_blossom(t, head(p))?;
            }
            j += step;
            let t = Self::at(&children, j);
            if t >= self.n {
                self.augment_blossom(t, tail(p))?;
            }
            let (a, c) = (head(p), tail(p));
            self.mate[a] = arc(a, c);
            self.mate[c] = arc(c, a);
        }
        let mut rotated = children[i..].to_vec();
        rotated.extend_from_slice(&children[..i]);
        let mut rotated_links = links[i..].to_vec();
        rotated_links.extend_from_slice(&links[..i]);
        self.base[b] = self.base[rotated[0]];
        self.children[b] = rotated;
        self.links[b] = rotated_links;
        Ok(())
    }

    /// Flips the tree path from S vertex `start` up to the root; `start` is then matched
    /// through `first` (an arc from `start`), or left free when `first` is `NO_ARC`.
    fn flip_path(&mut self, start: usize, first: u64) -> Result<(), MatchingFailed> {
        let mut s = start;
        let mut p = first;
        let mut guard = 0usize;
        loop {
            guard += 1;
            if guard > 4 * self.n + 4 {
                return Err(MatchingFailed);
            }
            let bs = self.in_blossom[s];
            if bs >= self.n {
                self.augment_blossom(bs, s)?;
            }
            self.mate[s] = p;
            if self.label_end[bs] == NO_ARC {
                return Ok(());
            }
            let t = head(self.label_end[bs]);
            let bt = self.in_blossom[t];
            let end = self.label_end[bt];
            if end == NO_ARC {
                return Err(MatchingFailed);
            }
            s = head(end);
            let j = tail(end);
            if bt >= self.n {
                self.augment_blossom(bt, j)?;
            }
            self.mate[j] = end;
            p = rev(end);
        }
    }

    /// One search from the free vertex `root` (dual positive): it ends matched through an
    /// augmenting path, or free with dual zero, or another S vertex of its tree reaches dual
    /// zero and takes its place as the free vertex.
    fn phase<W: EdgeWeights<L>>(&mut self, root: usize, w: &W) -> Result<(), MatchingFailed> {
        self.label.iter_mut().for_each(|x| *x = 0);
        self.label_end.iter_mut().for_each(|x| *x = NO_ARC);
        self.best_edge.iter_mut().for_each(|x| *x = NO_ARC);
        let live = self.live_blossoms();
        for &b in &live {
            self.blossom_best[b] = None;
        }
        self.live_list = live;
        self.queue.clear();
        self.stamp += 1;
        self.epoch += 1;
        // The vertices visited one by one, ascending: the inner ones.
        let mut visited = std::mem::take(&mut self.visited);
        visited.clear();
        visited.extend_from_slice(&self.inner);
        for &v in &visited {
            self.is_visited[v] = true;
        }
        self.visited = visited;
        self.assign_label(root, 1, NO_ARC);
        let result = self.search(root, w);
        // A snapshot: expanding frees blossoms, and the ones it frees are not top-level S
        // blossoms of zero dual at the time the plain loop would reach them.
        if result.is_ok() {
            let live = self.live_blossoms();
            for &b in &live {
                if self.parent[b] == NONE
                    && self.base[b] != NONE
                    && self.label[b] == 1
                    && self.dual[b].is_zero()
                {
                    self.expand_blossom(b, true)?;
                }
            }
            self.live_list = live;
        }
        self.settle_search(w);
        result
    }

    /// The substeps of a search: scans and dual adjustments until the search ends.
    fn search<W: EdgeWeights<L>>(&mut self, root: usize, w: &W) -> Result<(), MatchingFailed> {
        let n = self.n;
        let mut substeps = 0usize;
        loop {
            substeps += 1;
            if substeps > 8 * n + 16 {
                return Err(MatchingFailed);
            }
            if self.scan(w)? {
                return Ok(());
            }
            // Dual adjustment. Ties go to the lowest vertex (the root first for kind 1), as
            // a scan of all vertices in ascending order would choose.
            let mut kind = 1u8;
            let mut delta = Wide::ZERO;
            let mut zero_at = NONE;
            for index in 0..self.tree.len() {
                let v = self.tree[index];
                if self.label[self.in_blossom[v]] == 1
                    && (zero_at == NONE
                        || self.dual[v] < delta
                        || (self.dual[v] == delta && zero_at != root && (v == root || v < zero_at)))
                {
                    delta = self.dual[v];
                    zero_at = v;
                }
            }
            let mut delta_edge = NO_ARC;
            let mut delta_at = NONE;
            let mut delta_blossom = NONE;
            for index in 0..self.visited.len() {
                let v = self.visited[index];
                if self.label[self.in_blossom[v]] == 0 && self.best_edge[v] != NO_ARC {
                    let d = self.best_slack_of(w, v);
                    if d < delta || (kind == 2 && d == delta && v < delta_at) {
                        delta = d;
                        kind = 2;
                        delta_edge = self.best_edge[v];
                        delta_at = v;
                    }
                }
            }
            // The outer vertices outside the tree, through each scanned S vertex's tightest
            // edge to them.
            let stale = std::mem::take(&mut self.outer_stale);
            for index in 0..self.scanned.len() {
                let v = self.scanned[index];
                for c in 1..=OUTER_CLASSES {
                    let (mut x, mut weight) = self.outer_best[v][c];
                    if x == NONE && !stale {
                        continue;
                    }
                    if stale || self.outer_key[x].is_none() {
                        (x, weight) = self.first_outer(w, v, c);
                        self.outer_best[v][c] = (x, weight);
                        if x == NONE {
                            continue;
                        }
                    }
                    let d = self.dual[v].slack(&self.dual[x], &weight);
                    if d < delta || (kind == 2 && d == delta && x < delta_at) {
                        delta = d;
                        kind = 2;
                        delta_edge = arc(v, x);
                        delta_at = x;
                    }
                }
            }
            let live = self.live_blossoms();
            let mut delta_b = NONE;
            for index in 0..self.tree.len() + live.len() {
                let b = match self.tree.get(index) {
                    Some(&v) => v,
                    None => live[index - self.tree.len()],
                };
                if self.parent[b] == NONE
                    && self.label[b] == 1
                    && self.best_edge[b] != NO_ARC
                    && (b < n || self.base[b] != NONE)
                {
                    let doubled = self.best_slack_of(w, b);
                    if doubled.0[0] & 1 == 1 {
                        return Err(MatchingFailed);
                    }
                    let d = doubled.half();
                    if d < delta || (kind == 3 && d == delta && b < delta_b) {
                        delta = d;
                        kind = 3;
                        delta_edge = self.best_edge[b];
                        delta_b = b;
                    }
                }
            }
            for &b in &live {
                if self.base[b] != NONE
                    && self.parent[b] == NONE
                    && self.label[b] == 2
                    && self.dual[b] < delta
                {
                    delta = self.dual[b];
                    kind = 4;
                    delta_blossom = b;
                }
            }
            if !delta.is_zero() {
                self.stamp += 1;
                for &v in &self.tree {
                    match self.label[self.in_blossom[v]] {
                        1 => self.dual[v] = self.dual[v].sub(&delta),
                        2 => self.dual[v] = self.dual[v].add(&delta),
                        _ => {}
                    }
                }
                for &b in &live {
                    if self.base[b] != NONE && self.parent[b] == NONE {
                        match self.label[b] {
                            1 => self.dual[b] = self.dual[b].add(&delta),
                            2 => self.dual[b] = self.dual[b].sub(&delta),
                            _ => {}
                        }
                    }
                }
            }
            self.live_list = live;
            match kind {
                1 => {
                    if zero_at != root {
                        self.flip_path(zero_at, NO_ARC)?;
                    }
                    return Ok(());
                }
                2 => {
                    let (mut i, j) = (tail(delta_edge), head(delta_edge));
                    if self.label[self.in_blossom[i]] == 0 {
                        i = j;
                    }
                    self.queue.push(i);
                }
                3 => self.queue.push(tail(delta_edge)),
                _ => {
                    let leaves = self.leaves_buf(delta_blossom);
                    self.expand_blossom(delta_blossom, false)?;
                    // Outer vertices the expansion left unlabelled are outside the tree again.
                    for &leaf in &leaves {
                        if self.class[leaf] != 0 && self.label[self.in_blossom[leaf]] == 0 {
                            self.unfile_outer(leaf);
                            self.file_outer(w, leaf);
                            self.outer_stale = true;
                        }
                    }
                    self.leaf_buf = leaves;
                }
            }
        }
    }

    /// Scans the queued S vertices; returns whether an augmenting path was used.
    ///
    /// Each S vertex visits the vertices of `visited` one by one; of the free outer vertices
    /// it takes its tightest edge to each class (the first in their order it has an edge
    /// to), labels through it while it is tight, and otherwise keeps it for the dual
    /// adjustment.
    fn scan<W: EdgeWeights<L>>(&mut self, w: &W) -> Result<bool, MatchingFailed> {
        while let Some(v) = self.queue.pop() {
            if !self.is_scanned[v] {
                self.is_scanned[v] = true;
                self.scanned.push(v);
            }
            if !self.is_visited[v] {
                self.is_visited[v] = true;
                self.visited.push(v);
            }
            let mut bv = self.in_blossom[v];
            let dv = self.dual[v];
            // The visited vertices outside `bv` (the others are passed over below), in their
            // order: those of the list kept for `bv`, then the ones visited since it was made.
            let len = self.visited.len();
            let key = bv;
            let (kept, from) = if bv >= self.n {
                if self.apart_from != bv || self.apart_epoch != self.epoch {
                    let mut apart = std::mem::take(&mut self.apart);
                    apart.clear();
                    apart.extend(
                        self.visited
                            .iter()
                            .copied()
                            .filter(|&x| self.in_blossom[x] != bv),
                    );
                    self.apart = apart;
                    self.apart_from = bv;
                    self.apart_len = len;
                    self.apart_epoch = self.epoch;
                }
                // Not usable until the scan has passed over all of it (a scan that augments
                // ends early).
                self.apart_from = NONE;
                (self.apart.len(), self.apart_len)
            } else {
                (0, 0)
            };
            // Where the next vertex the list keeps goes: the list is compacted as it is read.
            let mut write = 0;
            for index in 0..kept + (len - from) {
                let x = if index < kept {
                    self.apart[index]
                } else {
                    self.visited[from + index - kept]
                };
                let bx = self.in_blossom[x];
                // An edge to a labelled vertex of an inner blossom changes nothing.
                if bv == bx || (self.label[bx] == 2 && self.label[x] != 0) {
                    continue;
                }
                if key >= self.n {
                    if write < self.apart.len() {
                        self.apart[write] = x;
                    } else {
                        self.apart.push(x);
                    }
                    write += 1;
                }
                let Some(slack) = w.slack(v, x, &dv, &self.dual[x]) else {
                    continue;
                };
                let p = arc(v, x);
                if slack.is_zero() {
                    if self.label[bx] == 0 {
                        if self.mate[self.base[bx]] == NO_ARC {
                            self.flip_path(v, p)?;
                            self.flip_path(x, rev(p))?;
                            return Ok(true);
                        }
                        self.assign_label(x, 2, rev(p));
                    } else if self.label[bx] == 1 {
                        let base = self.scan_blossom(v, x);
                        if base == NONE {
                            return Err(MatchingFailed);
                        }
                        self.add_blossom(w, base, p)?;
                        bv = self.in_blossom[v];
                    } else if self.label[x] == 0 {
                        self.label[x] = 2;
                        self.label_end[x] = rev(p);
                    }
                } else if self.label[bx] == 1 {
                    let b = bv;
                    if self.best_edge[b] == NO_ARC || slack < self.best_slack_of(w, b) {
                        self.set_best(b, p, slack);
                    }
                } else if self.label[x] == 0
                    && (self.best_edge[x] == NO_ARC || slack < self.best_slack_of(w, x))
                {
                    self.set_best(x, p, slack);
                }
            }
            if key >= self.n {
                self.apart.truncate(write);
                self.apart_len = len;
                self.apart_from = key;
            }
            for c in 1..=OUTER_CLASSES {
                loop {
                    let (x, weight) = self.first_outer(w, v, c);
                    self.outer_best[v][c] = (x, weight);
                    if x == NONE {
                        break;
                    }
                    if !dv.slack(&self.dual[x], &weight).is_zero() {
                        break;
                    }
                    let p = arc(v, x);
                    if self.mate[self.base[self.in_blossom[x]]] == NO_ARC {
                        self.flip_path(v, p)?;
                        self.flip_path(x, rev(p))?;
                        return Ok(true);
                    }
                    self.assign_label(x, 2, rev(p));
                }
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::needless_range_loop)]
    use super::*;

    type W = Wide<2>;

    struct Dense {
        n: usize,
        w: Vec<u64>,
    }

    impl Dense {
        fn set(&mut self, u: usize, v: usize, value: u64) {
            self.w[u * self.n + v] = value;
            self.w[v * self.n + u] = value;
        }
    }

    impl EdgeWeights<2> for Dense {
        fn weight(&self, u: usize, v: usize) -> W {
            let mut out = W::ZERO;
            out.add_at(0, self.w[u * self.n + v]);
            out
        }
    }

    fn total(m: &Matcher<2>, g: &Dense, alive: &[bool]) -> u64 {
        let mut sum = 0;
        for v in 0..g.n {
            if !alive[v] {
                assert_eq!(m.mate(v), None);
                continue;
            }
            if let Some(u) = m.mate(v) {
                assert_eq!(m.mate(u), Some(v), "mates agree");
                assert!(alive[u]);
                assert!(g.w[u * g.n + v] > 0, "matched along an edge");
                if u > v {
                    sum += g.w[u * g.n + v];
                }
            }
        }
        sum
    }

    /// Exhaustive maximum over all matchings of the live part of a small graph.
    fn brute(g: &Dense, alive: &[bool]) -> u64 {
        fn go(v: usize, g: &Dense, used: &mut Vec<bool>) -> u64 {
            if v == g.n {
                return 0;
            }
            if used[v] {
                return go(v + 1, g, used);
            }
            used[v] = true;
            let mut best = go(v + 1, g, used);
            for u in v + 1..g.n {
                let w = g.w[v * g.n + u];
                if !used[u] && w > 0 {
                    used[u] = true;
                    best = best.max(w + go(v + 1, g, used));
                    used[u] = false;
                }
            }
            used[v] = false;
            best
        }
        let mut used: Vec<bool> = alive.iter().map(|a| !a).collect();
        go(0, g, &mut used)
    }

    /// The optimality certificate: feasible duals, tight matched edges, free duals zero.
    fn check_duals(m: &Matcher<2>, g: &Dense, alive: &[bool], case: usize, step: usize) {
        let n = g.n;
        let chain = |v: usize| {
            let mut out = Vec::new();
            let mut b = v;
            while m.parent[b] != NONE {
                b = m.parent[b];
                out.push(b);
            }
            out
        };
        for u in 0..n {
            if !alive[u] {
                continue;
            }
            if m.mate(u).is_none() {
                assert!(
                    m.dual[u].is_zero(),
                    "case {case} step {step}: free {u} has dual"
                );
            }
            for v in u + 1..n {
                let w = g.w[u * n + v];
                if !alive[v] || w == 0 {
                    continue;
                }
                let cu = chain(u);
                let cv = chain(v);
                let mut z = 0u64;
                for b in &cu {
                    if cv.contains(b) {
                        z += 2 * m.dual[*b].0[0];
                    }
                }
                let s = (m.dual[u].0[0] + m.dual[v].0[0] + z) as i64 - 2 * w as i64;
                assert!(s >= 0, "case {case} step {step}: edge {u}-{v} slack {s}");
                if m.mate(u) == Some(v) {
                    assert_eq!(s, 0, "case {case} step {step}: matched {u}-{v} slack {s}");
                }
            }
        }
    }

    /// An optimal matching (against exhaustive search) with a valid dual certificate.
    fn assert_optimal(m: &Matcher<2>, g: &Dense, alive: &[bool], case: usize, step: usize) {
        check_duals(m, g, alive, case, step);
        assert_eq!(
            total(m, g, alive),
            brute(g, alive),
            "case {case} step {step}"
        );
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn random_graph(rng: &mut Rng, n: usize, spread: u64) -> Dense {
        let mut g = Dense {
            n,
            w: vec![0; n * n],
        };
        for u in 0..n {
            for v in u + 1..n {
                if rng.next() % 3 != 0 {
                    g.set(u, v, 1 + rng.next() % spread);
                }
            }
        }
        g
    }

    #[test]
    fn small_cases() {
        let mut g = Dense {
            n: 4,
            w: vec![0; 16],
        };
        g.set(0, 1, 5);
        g.set(1, 2, 11);
        g.set(2, 3, 5);
        let mut m = Matcher::<2>::new(4);
        m.solve(&g).unwrap();
        assert_eq!(total(&m, &g, &[true; 4]), 11);
        assert_eq!(m.mate(1), Some(2));
    }

    #[test]
    fn cold_solutions_agree_with_exhaustive_search() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for case in 0..400 {
            let n = 2 + case % 10;
            let g = random_graph(&mut rng, n, if case % 2 == 0 { 12 } else { 3 });
            let mut m = Matcher::<2>::new(n);
            m.solve(&g).unwrap();
            let alive = vec![true; n];
            assert_eq!(total(&m, &g, &alive), brute(&g, &alive), "case {case}");
        }
    }

    /// A graph with outer vertices of both classes: those from `first_next` to `first_outer`
    /// are of class 2, those from `first_outer` on of class 1. An edge to an outer vertex `x`
    /// of class `c` weighs `lone[c][u] + term[x]` (or nothing), with `lone[1][x] = 20 +
    /// term[x]` and `lone[2][y] = 20 + term[y]` for the outer vertices of the other class,
    /// and `lone[2][x] = 25 + term[x]` within class 2, so that the weights are symmetric.
    struct Separable {
        g: Dense,
        term: Vec<u64>,
        first_next: usize,
        first_outer: usize,
        declared: bool,
    }

    impl EdgeWeights<2> for Separable {
        fn weight(&self, u: usize, v: usize) -> W {
            self.g.weight(u, v)
        }

        fn class(&self, x: usize) -> usize {
            if !self.declared || x < self.first_next {
                0
            } else if x < self.first_outer {
                2
            } else {
                1
            }
        }

        fn own(&self, x: usize) -> W {
            let mut out = W::ZERO;
            out.add_at(0, self.term[x]);
            out
        }
    }

    fn separable_graph(
        rng: &mut Rng,
        n: usize,
        first_next: usize,
        first_outer: usize,
    ) -> Separable {
        let term: Vec<u64> = (0..n).map(|_| rng.next() % 3).collect();
        let lone1: Vec<u64> = (0..n)
            .map(|x| {
                if x >= first_next {
                    20 + term[x]
                } else {
                    20 + rng.next() % 4
                }
            })
            .collect();
        let lone2: Vec<u64> = (0..n)
            .map(|x| {
                if x >= first_outer {
                    20 + term[x]
                } else if x >= first_next {
                    25 + term[x]
                } else {
                    22 + rng.next() % 6
                }
            })
            .collect();
        let mut g = Dense {
            n,
            w: vec![0; n * n],
        };
        for u in 0..n {
            for v in u + 1..n {
                if rng.next() % 5 == 0 {
                    continue;
                }
                let w = if v >= first_outer {
                    lone1[u] + term[v]
                } else if v >= first_next {
                    lone2[u] + term[v]
                } else {
                    10 + rng.next() % 30
                };
                g.set(u, v, w);
            }
        }
        Separable {
            g,
            term,
            first_next,
            first_outer,
            declared: false,
        }
    }

    /// The searches that reach outer vertices only through their order find an optimal
    /// matching with a valid dual certificate, from scratch and after changes, as the plain
    /// searches do.
    #[test]
    fn reaching_outer_vertices_through_their_order_stays_optimal() {
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        for case in 0..400 {
            let n = 6 + case % 7;
            let first_next = 2 + (rng.next() as usize) % (n - 3);
            let first_outer = first_next + (rng.next() as usize) % (n - first_next);
            let mut plain = separable_graph(&mut rng, n, first_next, first_outer);
            let mut a = Matcher::<2>::new(n);
            let mut b = Matcher::<2>::new(n);
            a.solve(&plain).unwrap();
            plain.declared = true;
            b.solve(&plain).unwrap();
            let alive = vec![true; n];
            for step in 0..8 {
                let best = brute(&plain.g, &alive);
                assert_eq!(total(&a, &plain.g, &alive), best, "case {case} step {step}");
                assert_eq!(total(&b, &plain.g, &alive), best, "case {case} step {step}");
                check_duals(&b, &plain.g, &alive, case, step);
                // Change the edges of a vertex before the outer ones, as a bracket does.
                let t = (rng.next() as usize) % first_next;
                a.detach(t);
                b.detach(t);
                for x in 0..first_next {
                    if x != t && rng.next() % 2 == 0 {
                        let w = if rng.next() % 4 == 0 {
                            0
                        } else {
                            10 + rng.next() % 30
                        };
                        plain.g.set(t, x, w);
                    }
                }
                plain.declared = false;
                a.solve(&plain).unwrap();
                plain.declared = true;
                b.solve(&plain).unwrap();
            }
        }
    }

    #[test]
    fn re_optimisation_after_changes_and_removals_stays_optimal() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..150 {
            let n = 4 + case % 9;
            let mut g = random_graph(&mut rng, n, if case % 3 == 0 { 4 } else { 20 });
            let mut m = Matcher::<2>::new(n);
            m.solve(&g).unwrap();
            let mut alive = vec![true; n];
            check_duals(&m, &g, &alive, case, 99);
            for step in 0..12 {
                let v = (rng.next() % n as u64) as usize;
                if !alive[v] {
                    continue;
                }
                if step % 4 == 3 {
                    // Remove a matched pair, as the pairing engine does.
                    if let Some(u) = m.mate(v) {
                        m.remove(v);
                        m.remove(u);
                        alive[v] = false;
                        alive[u] = false;
                        for x in 0..n {
                            g.set(v, x, 0);
                            g.set(u, x, 0);
                        }
                    }
                } else {
                    let changes = 1 + rng.next() % 2;
                    let mut touched = vec![v];
                    if changes == 2 {
                        let u = (rng.next() % n as u64) as usize;
                        if alive[u] && u != v {
                            touched.push(u);
                        }
                    }
                    for &t in &touched {
                        m.detach(t);
                        for x in 0..n {
                            if x != t && alive[x] && rng.next() % 2 == 0 {
                                let w = if rng.next() % 4 == 0 {
                                    0
                                } else {
                                    1 + rng.next() % 25
                                };
                                g.set(t, x, w);
                            }
                        }
                    }
                }
                m.solve(&g).unwrap();
                assert_optimal(&m, &g, &alive, case, step);
            }
        }
    }

    /// Changes the duals absorb (matched edges that grow, edges that lose weight, edges that
    /// gain little) need no search; the rest are detached as a bracket does. The matching
    /// stays optimal with a valid dual certificate either way.
    #[test]
    fn changes_absorbed_by_the_duals_keep_the_matching_optimal() {
        let mut rng = Rng(0x2f8e_1d3c_5b7a_9e61);
        let (mut absorbed, mut total_changes) = (0usize, 0usize);
        let wide = |x: u64| {
            let mut w = W::ZERO;
            w.add_at(0, x);
            w
        };
        for case in 0..300 {
            let n = 4 + case % 9;
            let mut g = random_graph(&mut rng, n, 20);
            let mut m = Matcher::<2>::new(n);
            m.solve(&g).unwrap();
            let alive = vec![true; n];
            for step in 0..10 {
                let mut changed: Vec<(usize, usize)> = Vec::new();
                let mut grown: Vec<(usize, usize, W)> = Vec::new();
                for u in 0..n {
                    for v in u + 1..n {
                        if rng.next() % 3 != 0 {
                            continue;
                        }
                        let old = g.w[u * n + v];
                        let new = match rng.next() % 4 {
                            // A matched edge (or any) growing: the duals can take it.
                            0 | 1 => old + rng.next() % 6,
                            2 => old.saturating_sub(rng.next() % 6),
                            _ => rng.next() % 25,
                        };
                        if new != old {
                            g.set(u, v, new);
                            changed.push((u, v));
                            if new > old && m.mate(u) == Some(v) {
                                grown.push((u, v, wide(new - old)));
                            }
                        }
                    }
                }
                let blocking = m.absorb(&changed, &grown, |u, v| g.weight(u, v));
                total_changes += changed.len();
                absorbed += changed.len() - blocking.len();
                for (u, v) in blocking {
                    m.detach(if rng.next() % 2 == 0 { u } else { v });
                }
                m.solve(&g).unwrap();
                assert_optimal(&m, &g, &alive, case, step);
            }
        }
        assert!(
            absorbed * 4 > total_changes,
            "the duals absorbed {absorbed} of {total_changes} changes"
        );
    }
}
