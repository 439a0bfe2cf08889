//! Maximum-weight matching in a general graph: Edmonds' blossom algorithm in its primal-dual
//! form (O(n³)), over exact integer weights.
//!
//! Vertices are `0..n`; an edge is `(u, v, w)` with `w > 0`. Weights are doubled internally so
//! every dual variable stays an integer. The result gives each vertex its mate, if any.

use super::wide::Wide;

const NONE: usize = usize::MAX;

/// Why a matching could not be computed (a broken invariant; never expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MatchingFailed;

struct Solver<'e, const L: usize> {
    n: usize,
    edges: &'e [(usize, usize, Wide<L>)],
    /// Endpoint `p` of edge `p / 2`: `2k` is the first vertex, `2k + 1` the second.
    endpoint: Vec<usize>,
    /// For each vertex, the endpoints `p` whose opposite end (`p ^ 1`) is the vertex.
    neighbours: Vec<Vec<usize>>,
    /// The remote endpoint of the matched edge, or `NONE`.
    mate: Vec<usize>,
    /// 0 free, 1 S (outer), 2 T (inner); indices `n..2n` are blossoms.
    label: Vec<u8>,
    /// Marker used while looking for a common ancestor.
    mark: Vec<bool>,
    /// The endpoint through which the label was given.
    label_end: Vec<usize>,
    /// The top-level blossom holding each vertex.
    in_blossom: Vec<usize>,
    parent: Vec<usize>,
    children: Vec<Vec<usize>>,
    base: Vec<usize>,
    /// Endpoints linking consecutive children of a blossom.
    links: Vec<Vec<usize>>,
    best_edge: Vec<usize>,
    blossom_best: Vec<Option<Vec<usize>>>,
    unused: Vec<usize>,
    dual: Vec<Wide<L>>,
    allowed: Vec<bool>,
    queue: Vec<usize>,
    weight2: Vec<Wide<L>>,
}

/// Computes a maximum-weight matching. `mate[v]` is `Some(u)` when `v` is matched with `u`.
pub(crate) fn max_weight_matching<const L: usize>(
    n: usize,
    edges: &[(usize, usize, Wide<L>)],
) -> Result<Vec<Option<usize>>, MatchingFailed> {
    if n == 0 || edges.is_empty() {
        return Ok(vec![None; n]);
    }
    let mut solver = Solver::new(n, edges);
    solver.solve()?;
    let mut out = vec![None; n];
    for (v, slot) in out.iter_mut().enumerate() {
        let p = solver.mate[v];
        if p != NONE {
            *slot = Some(solver.endpoint[p]);
        }
    }
    Ok(out)
}

impl<'e, const L: usize> Solver<'e, L> {
    fn new(n: usize, edges: &'e [(usize, usize, Wide<L>)]) -> Self {
        let mut endpoint = Vec::with_capacity(2 * edges.len());
        let mut neighbours = vec![Vec::new(); n];
        let mut max = Wide::ZERO;
        let mut weight2 = Vec::with_capacity(edges.len());
        for (k, (u, v, w)) in edges.iter().enumerate() {
            endpoint.push(*u);
            endpoint.push(*v);
            neighbours[*u].push(2 * k + 1);
            neighbours[*v].push(2 * k);
            let doubled = w.add(w);
            if doubled > max {
                max = doubled;
            }
            weight2.push(doubled);
        }
        let mut dual = vec![max; n];
        dual.extend(std::iter::repeat_n(Wide::ZERO, n));
        Self {
            n,
            edges,
            endpoint,
            neighbours,
            mate: vec![NONE; n],
            label: vec![0; 2 * n],
            mark: vec![false; 2 * n],
            label_end: vec![NONE; 2 * n],
            in_blossom: (0..n).collect(),
            parent: vec![NONE; 2 * n],
            children: vec![Vec::new(); 2 * n],
            base: (0..n).chain(std::iter::repeat_n(NONE, n)).collect(),
            links: vec![Vec::new(); 2 * n],
            best_edge: vec![NONE; 2 * n],
            blossom_best: vec![None; 2 * n],
            unused: (n..2 * n).rev().collect(),
            dual,
            allowed: vec![false; edges.len()],
            queue: Vec::new(),
            weight2,
        }
    }

    /// Twice the slack of edge `k` (doubled weights: `y_u + y_v - 2w`).
    fn slack(&self, k: usize) -> Wide<L> {
        let (u, v, _) = self.edges[k];
        self.dual[u].add(&self.dual[v]).sub(&self.weight2[k])
    }

    fn leaves(&self, b: usize, out: &mut Vec<usize>) {
        if b < self.n {
            out.push(b);
            return;
        }
        let mut stack = vec![b];
        while let Some(x) = stack.pop() {
            if x < self.n {
                out.push(x);
            } else {
                stack.extend(self.children[x].iter().rev().copied());
            }
        }
    }

    fn leaves_of(&self, b: usize) -> Vec<usize> {
        let mut out = Vec::new();
        self.leaves(b, &mut out);
        out
    }

    fn assign_label(&mut self, w: usize, t: u8, p: usize) {
        let mut w = w;
        let mut t = t;
        let mut p = p;
        loop {
            let b = self.in_blossom[w];
            self.label[w] = t;
            self.label[b] = t;
            self.label_end[w] = p;
            self.label_end[b] = p;
            self.best_edge[w] = NONE;
            self.best_edge[b] = NONE;
            if t == 1 {
                let leaves = self.leaves_of(b);
                self.queue.extend(leaves);
                return;
            }
            let base = self.base[b];
            let m = self.mate[base];
            if m == NONE {
                return;
            }
            w = self.endpoint[m];
            t = 1;
            p = m ^ 1;
        }
    }

    /// The base of the new blossom found through edge `(v, w)`, or `NONE` for an augmenting path.
    fn scan_blossom(&mut self, v: usize, w: usize) -> usize {
        let mut path = Vec::new();
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
            if self.label_end[b] == NONE {
                v = NONE;
            } else {
                let t = self.endpoint[self.label_end[b]];
                let bt = self.in_blossom[t];
                v = if self.label_end[bt] == NONE {
                    NONE
                } else {
                    self.endpoint[self.label_end[bt]]
                };
            }
            if w != NONE {
                std::mem::swap(&mut v, &mut w);
            }
        }
        for b in path {
            self.mark[b] = false;
        }
        found
    }

    fn add_blossom(&mut self, base: usize, k: usize) -> Result<(), MatchingFailed> {
        let (mut v, mut w, _) = self.edges[k];
        let bb = self.in_blossom[base];
        let mut bv = self.in_blossom[v];
        let mut bw = self.in_blossom[w];
        let b = self.unused.pop().ok_or(MatchingFailed)?;
        self.base[b] = base;
        self.parent[b] = NONE;
        self.parent[bb] = b;
        let mut path = Vec::new();
        let mut links = Vec::new();
        while bv != bb {
            self.parent[bv] = b;
            path.push(bv);
            links.push(self.label_end[bv]);
            if self.label_end[bv] == NONE {
                return Err(MatchingFailed);
            }
            v = self.endpoint[self.label_end[bv]];
            bv = self.in_blossom[v];
        }
        path.push(bb);
        path.reverse();
        links.reverse();
        links.push(2 * k);
        while bw != bb {
            self.parent[bw] = b;
            path.push(bw);
            if self.label_end[bw] == NONE {
                return Err(MatchingFailed);
            }
            links.push(self.label_end[bw] ^ 1);
            w = self.endpoint[self.label_end[bw]];
            bw = self.in_blossom[w];
        }
        self.children[b] = path.clone();
        self.links[b] = links;
        self.label[b] = 1;
        self.label_end[b] = self.label_end[bb];
        self.dual[b] = Wide::ZERO;
        for leaf in self.leaves_of(b) {
            if self.label[self.in_blossom[leaf]] == 2 {
                self.queue.push(leaf);
            }
            self.in_blossom[leaf] = b;
        }
        let mut best_to = vec![NONE; 2 * self.n];
        for &child in &path {
            let lists: Vec<Vec<usize>> = match self.blossom_best[child].take() {
                Some(list) => vec![list],
                None => self
                    .leaves_of(child)
                    .into_iter()
                    .map(|leaf| self.neighbours[leaf].iter().map(|p| p / 2).collect())
                    .collect(),
            };
            for list in lists {
                for edge in list {
                    let (mut i, mut j, _) = self.edges[edge];
                    if self.in_blossom[j] == b {
                        std::mem::swap(&mut i, &mut j);
                    }
                    let _ = i;
                    let bj = self.in_blossom[j];
                    if bj != b
                        && self.label[bj] == 1
                        && (best_to[bj] == NONE || self.slack(edge) < self.slack(best_to[bj]))
                    {
                        best_to[bj] = edge;
                    }
                }
            }
            self.best_edge[child] = NONE;
        }
        let list: Vec<usize> = best_to.into_iter().filter(|&e| e != NONE).collect();
        let mut best = NONE;
        for &edge in &list {
            if best == NONE || self.slack(edge) < self.slack(best) {
                best = edge;
            }
        }
        self.best_edge[b] = best;
        self.blossom_best[b] = Some(list);
        Ok(())
    }

    fn at(list: &[usize], j: isize) -> usize {
        let len = list.len() as isize;
        list[(((j % len) + len) % len) as usize]
    }

    fn expand_blossom(&mut self, b: usize, end_stage: bool) -> Result<(), MatchingFailed> {
        let children = self.children[b].clone();
        for &s in &children {
            self.parent[s] = NONE;
            if s < self.n {
                self.in_blossom[s] = s;
            } else if end_stage && self.dual[s].is_zero() {
                self.expand_blossom(s, end_stage)?;
            } else {
                for leaf in self.leaves_of(s) {
                    self.in_blossom[leaf] = s;
                }
            }
        }
        if !end_stage && self.label[b] == 2 {
            let links = self.links[b].clone();
            let entry_end = self.label_end[b];
            if entry_end == NONE {
                return Err(MatchingFailed);
            }
            let entry = self.in_blossom[self.endpoint[entry_end ^ 1]];
            let position = children
                .iter()
                .position(|&c| c == entry)
                .ok_or(MatchingFailed)?;
            let len = children.len() as isize;
            let mut j = position as isize;
            let (step, trick): (isize, usize) = if j & 1 == 1 {
                j -= len;
                (1, 0)
            } else {
                (-1, 1)
            };
            let mut p = entry_end;
            while j != 0 {
                let a = self.endpoint[p ^ 1];
                self.label[a] = 0;
                let q = Self::at(&links, j - trick as isize) ^ trick ^ 1;
                let c = self.endpoint[q];
                self.label[c] = 0;
                self.assign_label(a, 2, p);
                self.allowed[Self::at(&links, j - trick as isize) / 2] = true;
                j += step;
                p = Self::at(&links, j - trick as isize) ^ trick;
                self.allowed[p / 2] = true;
                j += step;
            }
            let bv = Self::at(&children, j);
            let a = self.endpoint[p ^ 1];
            self.label[a] = 2;
            self.label[bv] = 2;
            self.label_end[a] = p;
            self.label_end[bv] = p;
            self.best_edge[bv] = NONE;
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
                let leaves = self.leaves_of(bv);
                if let Some(&v) = leaves.iter().find(|&&v| self.label[v] != 0) {
                    self.label[v] = 0;
                    let m = self.mate[self.base[bv]];
                    if m != NONE {
                        let e = self.endpoint[m];
                        self.label[e] = 0;
                    }
                    let end = self.label_end[v];
                    self.assign_label(v, 2, end);
                }
                j += step;
            }
        }
        self.label[b] = 0;
        self.label_end[b] = NONE;
        self.children[b] = Vec::new();
        self.links[b] = Vec::new();
        self.base[b] = NONE;
        self.blossom_best[b] = None;
        self.best_edge[b] = NONE;
        self.unused.push(b);
        Ok(())
    }

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
        let (step, trick): (isize, usize) = if j & 1 == 1 {
            j -= len;
            (1, 0)
        } else {
            (-1, 1)
        };
        while j != 0 {
            j += step;
            let t = Self::at(&children, j);
            let p = Self::at(&links, j - trick as isize) ^ trick;
            if t >= self.n {
                let e = self.endpoint[p];
                self.augment_blossom(t, e)?;
            }
            j += step;
            let t = Self::at(&children, j);
            if t >= self.n {
                let e = self.endpoint[p ^ 1];
                self.augment_blossom(t, e)?;
            }
            let (a, c) = (self.endpoint[p], self.endpoint[p ^ 1]);
            self.mate[a] = p ^ 1;
            self.mate[c] = p;
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

    fn augment(&mut self, k: usize) -> Result<(), MatchingFailed> {
        let (v, w, _) = self.edges[k];
        for (start, first) in [(v, 2 * k + 1), (w, 2 * k)] {
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
                if self.label_end[bs] == NONE {
                    break;
                }
                let t = self.endpoint[self.label_end[bs]];
                let bt = self.in_blossom[t];
                let end = self.label_end[bt];
                if end == NONE {
                    return Err(MatchingFailed);
                }
                s = self.endpoint[end];
                let j = self.endpoint[end ^ 1];
                if bt >= self.n {
                    self.augment_blossom(bt, j)?;
                }
                self.mate[j] = end;
                p = end ^ 1;
            }
        }
        Ok(())
    }

    fn solve(&mut self) -> Result<(), MatchingFailed> {
        let n = self.n;
        for _stage in 0..n {
            self.label.iter_mut().for_each(|x| *x = 0);
            self.best_edge.iter_mut().for_each(|x| *x = NONE);
            for b in n..2 * n {
                self.blossom_best[b] = None;
            }
            self.allowed.iter_mut().for_each(|x| *x = false);
            self.queue.clear();
            for v in 0..n {
                if self.mate[v] == NONE && self.label[self.in_blossom[v]] == 0 {
                    self.assign_label(v, 1, NONE);
                }
            }
            let mut augmented = false;
            let mut substeps = 0usize;
            loop {
                substeps += 1;
                if substeps > 8 * n + 16 {
                    return Err(MatchingFailed);
                }
                while let Some(v) = self.queue.pop() {
                    for index in 0..self.neighbours[v].len() {
                        let p = self.neighbours[v][index];
                        let k = p / 2;
                        let w = self.endpoint[p];
                        if self.in_blossom[v] == self.in_blossom[w] {
                            continue;
                        }
                        let mut slack = Wide::ZERO;
                        if !self.allowed[k] {
                            slack = self.slack(k);
                            if slack.is_zero() {
                                self.allowed[k] = true;
                            }
                        }
                        if self.allowed[k] {
                            let bw = self.in_blossom[w];
                            if self.label[bw] == 0 {
                                self.assign_label(w, 2, p ^ 1);
                            } else if self.label[bw] == 1 {
                                let base = self.scan_blossom(v, w);
                                if base != NONE {
                                    self.add_blossom(base, k)?;
                                } else {
                                    self.augment(k)?;
                                    augmented = true;
                                    break;
                                }
                            } else if self.label[w] == 0 {
                                self.label[w] = 2;
                                self.label_end[w] = p ^ 1;
                            }
                        } else if self.label[self.in_blossom[w]] == 1 {
                            let b = self.in_blossom[v];
                            if self.best_edge[b] == NONE || slack < self.slack(self.best_edge[b]) {
                                self.best_edge[b] = k;
                            }
                        } else if self.label[w] == 0
                            && (self.best_edge[w] == NONE || slack < self.slack(self.best_edge[w]))
                        {
                            self.best_edge[w] = k;
                        }
                    }
                    if augmented {
                        break;
                    }
                }
                if augmented {
                    break;
                }
                // Dual adjustment.
                let mut kind = 1u8;
                let mut delta = self.dual[..n].iter().min().copied().unwrap_or(Wide::ZERO);
                let mut delta_edge = NONE;
                let mut delta_blossom = NONE;
                for v in 0..n {
                    if self.label[self.in_blossom[v]] == 0 && self.best_edge[v] != NONE {
                        let d = self.slack(self.best_edge[v]);
                        if d < delta {
                            delta = d;
                            kind = 2;
                            delta_edge = self.best_edge[v];
                        }
                    }
                }
                for b in 0..2 * n {
                    if self.parent[b] == NONE
                        && self.label[b] == 1
                        && self.best_edge[b] != NONE
                        && (b < n || self.base[b] != NONE)
                    {
                        let d = self.slack(self.best_edge[b]).half();
                        if d < delta {
                            delta = d;
                            kind = 3;
                            delta_edge = self.best_edge[b];
                        }
                    }
                }
                for b in n..2 * n {
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
                for v in 0..n {
                    match self.label[self.in_blossom[v]] {
                        1 => self.dual[v] = self.dual[v].sub(&delta),
                        2 => self.dual[v] = self.dual[v].add(&delta),
                        _ => {}
                    }
                }
                for b in n..2 * n {
                    if self.base[b] != NONE && self.parent[b] == NONE {
                        match self.label[b] {
                            1 => self.dual[b] = self.dual[b].add(&delta),
                            2 => self.dual[b] = self.dual[b].sub(&delta),
                            _ => {}
                        }
                    }
                }
                match kind {
                    1 => break,
                    2 => {
                        self.allowed[delta_edge] = true;
                        let (mut i, mut j, _) = self.edges[delta_edge];
                        if self.label[self.in_blossom[i]] == 0 {
                            std::mem::swap(&mut i, &mut j);
                        }
                        let _ = j;
                        self.queue.push(i);
                    }
                    3 => {
                        self.allowed[delta_edge] = true;
                        let (i, _, _) = self.edges[delta_edge];
                        self.queue.push(i);
                    }
                    _ => self.expand_blossom(delta_blossom, false)?,
                }
            }
            if !augmented {
                break;
            }
            for b in n..2 * n {
                if self.parent[b] == NONE
                    && self.base[b] != NONE
                    && self.label[b] == 1
                    && self.dual[b].is_zero()
                {
                    self.expand_blossom(b, true)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    type W = Wide<2>;

    fn run(n: usize, edges: &[(usize, usize, u64)]) -> Vec<Option<usize>> {
        let edges: Vec<(usize, usize, W)> = edges
            .iter()
            .map(|&(u, v, w)| (u, v, W::from_u64(w)))
            .collect();
        max_weight_matching(n, &edges).unwrap()
    }

    fn weight(mate: &[Option<usize>], edges: &[(usize, usize, u64)]) -> u64 {
        edges
            .iter()
            .filter(|(u, v, _)| mate[*u] == Some(*v))
            .map(|e| e.2)
            .sum()
    }

    /// Exhaustive maximum over all matchings of a small graph.
    fn brute(n: usize, edges: &[(usize, usize, u64)]) -> u64 {
        fn go(v: usize, n: usize, used: &mut Vec<bool>, edges: &[(usize, usize, u64)]) -> u64 {
            if v == n {
                return 0;
            }
            if used[v] {
                return go(v + 1, n, used, edges);
            }
            used[v] = true;
            let mut best = go(v + 1, n, used, edges);
            for &(a, b, w) in edges {
                let other = if a == v {
                    b
                } else if b == v {
                    a
                } else {
                    continue;
                };
                if !used[other] {
                    used[other] = true;
                    best = best.max(w + go(v + 1, n, used, edges));
                    used[other] = false;
                }
            }
            used[v] = false;
            best
        }
        go(0, n, &mut vec![false; n], edges)
    }

    #[test]
    fn small_cases() {
        assert_eq!(run(2, &[(0, 1, 1)]), vec![Some(1), Some(0)]);
        let edges = [(0, 1, 10), (1, 2, 11)];
        assert_eq!(weight(&run(3, &edges), &edges), 11);
        let edges = [(0, 1, 5), (1, 2, 11), (2, 3, 5)];
        assert_eq!(weight(&run(4, &edges), &edges), 11);
    }

    #[test]
    fn agrees_with_exhaustive_search_on_random_graphs() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..400 {
            let n = 2 + (case % 9) as usize;
            let mut edges = Vec::new();
            for u in 0..n {
                for v in u + 1..n {
                    if next() % 3 != 0 {
                        edges.push((u, v, 1 + next() % 12));
                    }
                }
            }
            let mate = run(n, &edges);
            for v in 0..n {
                if let Some(u) = mate[v] {
                    assert_eq!(mate[u], Some(v));
                    assert!(edges
                        .iter()
                        .any(|&(a, b, _)| (a, b) == (u.min(v), u.max(v))));
                }
            }
            assert_eq!(weight(&mate, &edges), brute(n, &edges), "case {case}");
        }
    }
}
