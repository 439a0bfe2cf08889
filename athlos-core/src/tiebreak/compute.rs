//! The computation of the standings: what each round means for the tie-breaks, then each
//! tie-break of C.07 over it. Everything is in hundredths of a point (or whole rating points
//! times 100) so that every value is exact.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::rating;
use super::{
    Edition, EventKind, Kind, Modifier, Options, StandingRow, Tiebreak, TiebreakValues, Value,
};
use crate::swiss::{Colour, GameResult, RoundRecord, SwissField};

/// One round of one player, as the tie-breaks see it.
#[derive(Debug, Clone, Copy)]
struct Round {
    /// Points under the event's point system (hundredths).
    points: i64,
    /// Points on the 1 / ½ / 0 scale, for the rating tie-breaks (hundredths).
    standard: i64,
    /// Played over the board, or the pairing-allocated bye.
    played: bool,
    /// The scheduled opponent (index), played or forfeited.
    opponent: Option<usize>,
    black: bool,
    /// Won (2), drawn (1) or lost (0), whatever the points.
    outcome: u32,
    /// A voluntarily unplayed round: unplayed and not won (half- and zero-point byes,
    /// absences, forfeit losses).
    voluntary: bool,
}

impl Round {
    fn has_opponent(&self) -> bool {
        self.opponent.is_some()
    }
}

/// A player's rounds and the facts derived from them.
struct Player {
    rounds: Vec<Round>,
    total: i64,
    rating: Option<i64>,
    /// The last round (1-based) that was not voluntarily unplayed; 0 if none.
    last_not_voluntary: usize,
    /// The last round (1-based) with an opponent, or the pairing-allocated bye; 0 if none.
    last_paired: usize,
}

struct Event<'a> {
    tournament: &'a SwissField,
    players: Vec<Player>,
    /// Rounds counted (those paired so far).
    rounds: usize,
    /// Rounds planned (at least `rounds`).
    planned: usize,
    options: Options,
}

/// One contribution to a Buchholz-like sum.
#[derive(Debug, Clone, Copy)]
struct Contribution {
    /// The (adjusted) score the contribution is based on.
    score: i64,
    /// The value summed (the score, or score × result for SB).
    value: i64,
    voluntary: bool,
}

pub(super) fn standings(
    tournament: &SwissField,
    order: &[Tiebreak],
    options: &Options,
) -> Vec<StandingRow> {
    let event = Event::new(tournament, options);
    let n = event.players.len();
    let mut values: Vec<Vec<Option<i64>>> = vec![Vec::with_capacity(order.len()); n];
    for tb in order {
        let column: Vec<Option<i64>> = if tb.kind == Kind::DirectEncounter {
            let ranks = progressive_ranks(&event, order, &values);
            event.direct_encounter(&ranks)
        } else {
            event.column(*tb)
        };
        for (row, v) in values.iter_mut().zip(column) {
            row.push(v);
        }
    }
    let mut indices: Vec<usize> = (0..n).collect();
    indices.sort_by(|&a, &b| {
        compare(&event, order, &values, a, b).then_with(|| {
            tournament.players[a]
                .number
                .cmp(&tournament.players[b].number)
        })
    });
    let mut rows: Vec<StandingRow> = Vec::with_capacity(n);
    for (position, &i) in indices.iter().enumerate() {
        let tied = position > 0
            && compare(&event, order, &values, indices[position - 1], i) == Ordering::Equal;
        let rank = match rows.last() {
            Some(previous) if tied => previous.rank,
            _ => position as u32 + 1,
        };
        let p = &tournament.players[i];
        let (mut wins, mut draws, mut losses) = (0, 0, 0);
        for r in &event.players[i].rounds {
            match r.outcome {
                2 => wins += 1,
                1 => draws += 1,
                _ => losses += 1,
            }
        }
        rows.push(StandingRow {
            rank,
            number: p.number,
            name: p.name.clone(),
            points: Value(event.players[i].total),
            wins,
            draws,
            losses,
            tiebreaks: TiebreakValues(
                order
                    .iter()
                    .zip(&values[i])
                    .map(|(tb, v)| (tb.code(), v.map(Value)))
                    .collect(),
            ),
        });
    }
    rows
}

/// Orders two players: more points first, then each tie-break in turn (a missing value last).
fn compare(
    event: &Event<'_>,
    order: &[Tiebreak],
    values: &[Vec<Option<i64>>],
    a: usize,
    b: usize,
) -> Ordering {
    let by_points = event.players[b].total.cmp(&event.players[a].total);
    order
        .iter()
        .enumerate()
        .filter(|(k, _)| *k < values[a].len())
        .fold(by_points, |acc, (k, tb)| {
            acc.then_with(|| compare_value(tb.kind, values[a][k], values[b][k]))
        })
}

fn compare_value(kind: Kind, a: Option<i64>, b: Option<i64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) if kind.lower_is_better() => x.cmp(&y),
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The rank of each player by points and the tie-breaks computed so far (ties share the rank
/// of the first of them).
fn progressive_ranks(
    event: &Event<'_>,
    order: &[Tiebreak],
    values: &[Vec<Option<i64>>],
) -> Vec<i64> {
    let n = values.len();
    let mut indices: Vec<usize> = (0..n).collect();
    let cmp = |a: usize, b: usize| compare(event, order, values, a, b);
    indices.sort_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    let mut ranks = vec![0i64; n];
    for (position, &i) in indices.iter().enumerate() {
        ranks[i] = if position > 0 && cmp(indices[position - 1], i) == Ordering::Equal {
            ranks[indices[position - 1]]
        } else {
            position as i64 + 1
        };
    }
    ranks
}

impl<'a> Event<'a> {
    fn new(tournament: &'a SwissField, options: &Options) -> Self {
        let rounds = crate::swiss::rounds_paired(tournament) as usize;
        let planned = (tournament.total_rounds as usize).max(rounds);
        let index: BTreeMap<_, _> = tournament
            .players
            .iter()
            .enumerate()
            .map(|(i, p)| (p.number, i))
            .collect();
        let pts = options.points;
        let any_unrated = tournament.players.iter().any(|p| p.rating == 0);
        let players = tournament
            .players
            .iter()
            .map(|p| {
                let rounds: Vec<Round> = (0..rounds)
                    .map(|r| round_of(p.rounds.get(r), &index, &pts))
                    .collect();
                let total = rounds.iter().map(|r| r.points).sum();
                let last_not_voluntary = rounds
                    .iter()
                    .rposition(|r| !r.voluntary)
                    .map_or(0, |i| i + 1);
                let last_paired = rounds
                    .iter()
                    .rposition(|r| r.has_opponent() || r.played)
                    .map_or(0, |i| i + 1);
                let rating = match (p.rating, options.unrated_rating) {
                    (0, Some(u)) => Some(i64::from(u)),
                    (0, None) => None,
                    (r, _) => Some(i64::from(r)),
                };
                Player {
                    rounds,
                    total,
                    rating: if any_unrated && options.unrated_rating.is_none() {
                        None
                    } else {
                        rating
                    },
                    last_not_voluntary,
                    last_paired,
                }
            })
            .collect();
        Self {
            tournament,
            players,
            rounds,
            planned,
            options: *options,
        }
    }

    fn round_robin(&self) -> bool {
        self.options.kind == EventKind::RoundRobin
    }

    fn draw(&self) -> i64 {
        self.options.points.draw.0
    }

    fn win(&self) -> i64 {
        self.options.points.win.0
    }

    fn column(&self, tb: Tiebreak) -> Vec<Option<i64>> {
        let count = |f: &dyn Fn(&Round) -> bool| -> Vec<Option<i64>> {
            self.players
                .iter()
                .map(|p| Some(p.rounds.iter().filter(|r| f(r)).count() as i64 * 100))
                .collect()
        };
        let win = self.win();
        match tb.kind {
            Kind::Wins => count(&|r| r.points == win),
            Kind::GamesWon => count(&|r| r.points == win && r.played && r.has_opponent()),
            Kind::GamesWithBlack => count(&|r| r.black && r.played && r.has_opponent()),
            Kind::WinsWithBlack => {
                count(&|r| r.black && r.played && r.has_opponent() && r.points == win)
            }
            Kind::RoundsElectedToPlay => count(&|r| r.played || r.points == win),
            Kind::Progressive => self.progressive(tb.modifier),
            Kind::Koya => self.koya(),
            Kind::Buchholz | Kind::ForeBuchholz | Kind::SonnebornBerger => self
                .buchholz_like(tb.kind, tb.modifier)
                .into_iter()
                .map(Some)
                .collect(),
            Kind::AverageOfBuchholz => {
                let bh = self.buchholz_like(Kind::Buchholz, Modifier::None);
                self.average_over_opponents(|o| Some(bh[o]), 1)
            }
            Kind::AverageRatingOfOpponents | Kind::PerformanceRating | Kind::PerfectPerformance => {
                self.rating_column(tb)
            }
            Kind::AveragePerformanceOfOpponents => {
                let tpr = self.rating_column(Tiebreak {
                    kind: Kind::PerformanceRating,
                    modifier: Modifier::None,
                });
                self.average_over_opponents(|o| tpr[o], 100)
            }
            Kind::AveragePerfectPerformanceOfOpponents => {
                let ptp = self.rating_column(Tiebreak {
                    kind: Kind::PerfectPerformance,
                    modifier: Modifier::None,
                });
                self.average_over_opponents(|o| ptp[o], 100)
            }
            Kind::DirectEncounter => vec![Some(0); self.players.len()],
        }
    }

    /// Progressive score: the sum of the running scores after each round, the first `n` rounds
    /// left out for a cut `Cn`.
    fn progressive(&self, modifier: Modifier) -> Vec<Option<i64>> {
        let skip = match modifier {
            Modifier::Cut(n) => usize::from(n),
            _ => 0,
        };
        self.players
            .iter()
            .map(|p| {
                let mut running = 0;
                let mut sum = 0;
                for (r, round) in p.rounds.iter().enumerate() {
                    running += round.points;
                    if r >= skip {
                        sum += running;
                    }
                }
                Some(sum)
            })
            .collect()
    }

    /// Koya: points scored (paired games, forfeits included) against the opponents whose final
    /// score is at least half of the maximum possible.
    fn koya(&self) -> Vec<Option<i64>> {
        let mut max_games = self.rounds as i64;
        if self.round_robin() {
            let n = self.players.len() as i64;
            if n > 0 && self.rounds as i64 % n == 0 {
                max_games -= self.rounds as i64 / n;
            }
            max_games -= self.players.iter().filter(|p| p.last_paired == 0).count() as i64;
        }
        // Half the maximum: 50 % of a win per game.
        let limit_times_two = self.win() * max_games;
        self.players
            .iter()
            .map(|p| {
                Some(
                    p.rounds
                        .iter()
                        .filter_map(|r| {
                            let o = r.opponent?;
                            (self.players[o].total * 2 >= limit_times_two).then_some(r.points)
                        })
                        .sum(),
                )
            })
            .collect()
    }

    /// Each player's score as an opponent sees it (article 16.3): rounds up to the player's
    /// last round not voluntarily unplayed, and rounds with a scheduled opponent, count the
    /// points awarded; later voluntarily unplayed rounds count as draws (nothing in a round
    /// robin). For Fore Buchholz a player paired in the final round has that round counted as
    /// a draw; `own` is then the player's own score with the same change.
    fn adjusted_scores(&self, fore: bool) -> (Vec<i64>, Vec<i64>) {
        let unplayed = if self.round_robin() { 0 } else { self.draw() };
        let mut adjusted = Vec::with_capacity(self.players.len());
        let mut own = Vec::with_capacity(self.players.len());
        for p in &self.players {
            let in_final = fore && p.last_paired == self.planned;
            let last = if in_final {
                p.last_paired
            } else {
                p.last_not_voluntary
            };
            let mut sum: i64 = p
                .rounds
                .iter()
                .enumerate()
                .map(|(r, round)| {
                    if r < last || round.has_opponent() {
                        round.points
                    } else {
                        unplayed
                    }
                })
                .sum();
            let mut mine = p.total;
            if in_final && self.rounds == self.planned {
                if let Some(final_round) = p.rounds.last().filter(|r| r.has_opponent()) {
                    let change = self.draw() - final_round.points;
                    sum += change;
                    mine += change;
                }
            }
            adjusted.push(sum);
            own.push(mine);
        }
        (adjusted, own)
    }

    /// Buchholz, Fore Buchholz or Sonneborn-Berger with a cut, per player.
    fn buchholz_like(&self, kind: Kind, modifier: Modifier) -> Vec<i64> {
        let fore = kind == Kind::ForeBuchholz;
        let sb = kind == Kind::SonnebornBerger;
        let (adjusted, own) = self.adjusted_scores(fore);
        let cap_byes = self.draw() * self.rounds as i64;
        self.players
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut parts: Vec<Contribution> = Vec::with_capacity(p.rounds.len());
                for (r, round) in p.rounds.iter().enumerate() {
                    let counts_played =
                        self.round_robin() || round.played || (fore && r + 1 == self.planned);
                    let (score, voluntary) = match round.opponent {
                        Some(o) if counts_played => (adjusted[o], false),
                        _ if self.round_robin() => continue,
                        opponent => {
                            let mut score = own[i];
                            if self.options.edition == Edition::Fide2026 {
                                score = match opponent {
                                    Some(o) => score.min(adjusted[o]),
                                    None => score.min(cap_byes),
                                };
                            }
                            (score, round.voluntary)
                        }
                    };
                    let value = if sb {
                        score * round.points / 100
                    } else {
                        score
                    };
                    parts.push(Contribution {
                        score,
                        value,
                        voluntary,
                    });
                }
                cut(parts, modifier, self.rounds)
                    .iter()
                    .map(|c| c.value)
                    .sum()
            })
            .collect()
    }

    /// ARO, TPR or PTP (`None` without rated opponents, or when some player is unrated and no
    /// rating stands in for the unrated).
    fn rating_column(&self, tb: Tiebreak) -> Vec<Option<i64>> {
        if self.players.iter().any(|p| p.rating.is_none()) {
            return vec![None; self.players.len()];
        }
        self.players
            .iter()
            .map(|p| {
                // (rating, standard points) of each opponent met over the board.
                let mut games: Vec<(i64, i64)> = p
                    .rounds
                    .iter()
                    .filter(|r| r.played)
                    .filter_map(|r| Some((self.players[r.opponent?].rating?, r.standard)))
                    .collect();
                let (low, high) = limits(tb.modifier, self.rounds);
                for _ in 0..low {
                    if games.is_empty() {
                        break;
                    }
                    let at = min_position(&games);
                    games.remove(at);
                }
                for _ in 0..high {
                    if games.is_empty() {
                        break;
                    }
                    let at = max_position(&games);
                    games.remove(at);
                }
                let ratings: Vec<i64> = games.iter().map(|g| g.0).collect();
                let score: i64 = games.iter().map(|g| g.1).sum();
                let value = match tb.kind {
                    Kind::AverageRatingOfOpponents => rating::average(&ratings),
                    Kind::PerformanceRating => rating::performance(score, &ratings),
                    _ => rating::perfect_performance(score, &ratings),
                }?;
                Some(value * 100)
            })
            .collect()
    }

    /// The average of a per-player value over each player's opponents met over the board,
    /// rounded (halves up) to `step` hundredths.
    fn average_over_opponents(
        &self,
        value_of: impl Fn(usize) -> Option<i64>,
        step: i64,
    ) -> Vec<Option<i64>> {
        self.players
            .iter()
            .map(|p| {
                let values: Vec<i64> = p
                    .rounds
                    .iter()
                    .filter(|r| r.played)
                    .filter_map(|r| value_of(r.opponent?))
                    .collect();
                if values.is_empty() {
                    return None;
                }
                let n = values.len() as i64 * step;
                Some(rating::round_div(values.iter().sum(), n) * step)
            })
            .collect()
    }

    /// Direct encounter (article 6), as a rank within each group of players tied on points and
    /// the earlier tie-breaks: among players who all met, the points scored against each other
    /// order them; in a Swiss where not all met, a player ranks ahead only when the points
    /// already scored against the others exceed what any of the others could reach. Separated
    /// sub-groups are ordered again among themselves. The value is 0 when it separates nobody
    /// in the group; otherwise 1 for the first, and so on.
    fn direct_encounter(&self, ranks: &[i64]) -> Vec<Option<i64>> {
        let n = self.players.len();
        let mut value: Vec<i64> = ranks.to_vec();
        for _ in 0..30 {
            let mut changed = false;
            let mut groups: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            for (i, v) in value.iter().enumerate() {
                groups.entry(*v).or_default().push(i);
            }
            for (start, group) in groups {
                if group.len() > 1 && self.separate(&mut value, start, &group) {
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Express each group of equal rank relative to its first member.
        let mut by_rank: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, r) in ranks.iter().enumerate() {
            by_rank.entry(*r).or_default().push(i);
        }
        let mut out = vec![Some(0); n];
        for members in by_rank.values() {
            let first = members.iter().map(|&i| value[i]).min().unwrap_or(0);
            let last = members.iter().map(|&i| value[i]).max().unwrap_or(0);
            let offset = if first == last { first } else { first - 1 };
            for &i in members {
                out[i] = Some((value[i] - offset) * 100);
            }
        }
        out
    }

    /// One pass of direct encounter over a group sharing the value `start`; true when it
    /// separated anyone.
    fn separate(&self, value: &mut [i64], start: i64, group: &[usize]) -> bool {
        let round_robin = self.round_robin();
        let others = group.len() as i64 - 1;
        // (player, points against the group, opponents of the group met, best reachable)
        let mut scored: Vec<(usize, i64, i64)> = Vec::with_capacity(group.len());
        let mut all_met = true;
        for &i in group {
            // Points against each group member met (several games against one are averaged).
            let mut against: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
            for round in &self.players[i].rounds {
                let Some(o) = round.opponent else { continue };
                if (round_robin || round.played) && value[o] == start && o != i {
                    let entry = against.entry(o).or_insert((0, 0));
                    entry.0 += round.points;
                    entry.1 += 1;
                }
            }
            let met = against.len() as i64;
            // Exact averages: all games against one opponent are worth their mean.
            let points: i64 = against.values().map(|(sum, games)| sum / games).sum();
            let best = if !round_robin && met < others {
                all_met = false;
                points + (others - met) * self.win()
            } else {
                points
            };
            scored.push((i, points, best));
        }
        let mut changed = false;
        if all_met {
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(self.number(a.0).cmp(&self.number(b.0))));
            let mut rank = start;
            let mut current = start;
            for k in 1..scored.len() {
                rank += 1;
                if scored[k].1 != scored[k - 1].1 {
                    current = rank;
                    changed = true;
                }
                value[scored[k].0] = current;
            }
        } else {
            scored.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then(b.2.cmp(&a.2))
                    .then(self.number(a.0).cmp(&self.number(b.0)))
            });
            let mut rank = start;
            let mut current = start;
            let mut unique = true;
            for k in 1..scored.len() {
                rank += 1;
                let best_below = scored[k..].iter().map(|s| s.2).max().unwrap_or(0);
                if unique && scored[k - 1].1 > best_below {
                    current = rank;
                    changed = true;
                } else {
                    unique = false;
                }
                value[scored[k].0] = current;
            }
        }
        changed
    }

    fn number(&self, i: usize) -> u32 {
        self.tournament.players[i].number
    }
}

/// How many of the lowest and highest values a modifier takes out, bounded by the rounds.
fn limits(modifier: Modifier, rounds: usize) -> (usize, usize) {
    let (low, high) = match modifier {
        Modifier::None => (0, 0),
        Modifier::Cut(n) => (usize::from(n), 0),
        Modifier::Median(n) => (usize::from(n), usize::from(n)),
    };
    let low = low.min(rounds);
    (low, high.min(rounds - low))
}

/// Applies a cut or median (article 14 with 16.5): each low cut takes out the voluntarily
/// unplayed round with the lowest score when there is one (unless another contribution is
/// lower still in value), otherwise the lowest; each high cut the highest. Ties go to the
/// earliest round.
fn cut(mut parts: Vec<Contribution>, modifier: Modifier, rounds: usize) -> Vec<Contribution> {
    let (low, high) = limits(modifier, rounds);
    for _ in 0..low {
        if parts.is_empty() {
            break;
        }
        let lowest = first_by(&parts, |a, b| {
            a.score.cmp(&b.score).then(a.value.cmp(&b.value))
        });
        let lowest_voluntary = first_by(&parts, |a, b| {
            b.voluntary
                .cmp(&a.voluntary)
                .then(a.score.cmp(&b.score))
                .then(a.value.cmp(&b.value))
        });
        let at = if parts[lowest].value > parts[lowest_voluntary].value {
            lowest
        } else {
            lowest_voluntary
        };
        parts.remove(at);
    }
    for _ in 0..high {
        if parts.is_empty() {
            break;
        }
        let highest = first_by(&parts, |a, b| {
            b.score.cmp(&a.score).then(b.value.cmp(&a.value))
        });
        parts.remove(highest);
    }
    parts
}

/// The position of the first element that no other precedes under `order`.
fn first_by<T>(items: &[T], order: impl Fn(&T, &T) -> Ordering) -> usize {
    let mut best = 0;
    for k in 1..items.len() {
        if order(&items[k], &items[best]) == Ordering::Less {
            best = k;
        }
    }
    best
}

/// The first game with the lowest rating.
fn min_position(games: &[(i64, i64)]) -> usize {
    first_by(games, |a, b| a.0.cmp(&b.0))
}

/// The last game with the highest rating.
fn max_position(games: &[(i64, i64)]) -> usize {
    let mut best = 0;
    for k in 1..games.len() {
        if games[k].0 >= games[best].0 {
            best = k;
        }
    }
    best
}

/// What one round record means for the tie-breaks.
fn round_of(
    record: Option<&RoundRecord>,
    index: &BTreeMap<u32, usize>,
    points: &super::PointSystem,
) -> Round {
    let outcome = record.map_or(0, RoundRecord::half_points);
    let unplayed = |points: i64, voluntary: bool| Round {
        points,
        standard: 0,
        played: false,
        opponent: None,
        black: false,
        outcome,
        voluntary,
    };
    match record {
        None | Some(RoundRecord::ZeroBye) => unplayed(points.zero.0, true),
        Some(RoundRecord::HalfBye) => unplayed(points.draw.0, true),
        Some(RoundRecord::FullBye) => unplayed(points.win.0, false),
        Some(RoundRecord::PairingBye) => Round {
            played: true,
            ..unplayed(points.pairing_bye.0, false)
        },
        Some(RoundRecord::Game {
            opponent,
            colour,
            result,
        }) => {
            let (pts, standard, played, voluntary) = match result {
                GameResult::Win => (points.win.0, 100, true, false),
                GameResult::Draw => (points.draw.0, 50, true, false),
                GameResult::Loss => (points.loss.0, 0, true, false),
                GameResult::ForfeitWin => (points.win.0, 100, false, false),
                GameResult::ForfeitLoss => (points.zero.0, 0, false, true),
            };
            Round {
                points: pts,
                standard,
                played,
                opponent: index.get(opponent).copied(),
                black: *colour == Colour::Black,
                outcome,
                voluntary,
            }
        }
    }
}
