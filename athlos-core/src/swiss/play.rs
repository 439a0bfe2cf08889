//! A Swiss tournament in play: entries known by participant id, rounds paired by the Dutch
//! engine, results recorded by match id, standings with FIDE tie-breaks and a TRF-16 export.
//!
//! [`SwissPlay`] is the state the service layer keeps for a Swiss tournament. Starting numbers
//! are given once, at the start, by the seeding order (explicit seed, rank, rating, then name
//! and id; see [`seed_order`](crate::seeding::seed_order)). Round `r`'s games are matches
//! `MAIN-R{r}-M{board}`; a pairing-allocated bye is a game without a black player on the last
//! board. A withdrawn player loses its pending game by forfeit and is not paired again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bracket::{BracketError, MatchId, MatchResult, MatchStatus, Part};
use crate::model::{Participant, ParticipantId};
use crate::swiss::{
    pair_round, Acceleration, Colour, GameResult, RoundRecord, StartNumber, SwissError, SwissField,
    SwissPlayer,
};
use crate::tiebreak::{self, Edition, Options, PointSystem, Tiebreak, TiebreakValues, Value};
use crate::trf::{TrfDocument, TrfPlayer};

/// How a Swiss tournament is played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwissRules {
    /// Number of rounds (at least 1).
    pub rounds: u32,
    /// Colour of the top-ranked player in round 1.
    #[serde(default = "white")]
    pub initial_colour: Colour,
    /// Acceleration of the early rounds.
    #[serde(default)]
    pub acceleration: Acceleration,
    /// Tie-breaks in order, as FIDE codes (`BH:C1`, `BH`, `SB`, `DE` …).
    #[serde(default = "default_tiebreaks", with = "codes")]
    pub tiebreaks: Vec<Tiebreak>,
    /// Pair the next round as soon as the last result of a round is recorded.
    #[serde(default)]
    pub auto_advance: bool,
    /// Draw the first round at random from this seed instead of by rating
    /// ([`pair_next_round_seeded`](crate::swiss::pair_next_round_seeded)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_round_seed: Option<u64>,
    /// The edition of the FIDE Tie-Break Regulations the standings follow (`"2024"` or
    /// `"2026"`); unset, the one in force now (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<Edition>,
    /// Points for each result; unset, 1 / ½ / 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<PointSystem>,
}

impl SwissRules {
    /// `rounds` rounds, white for the top player, no acceleration, tie-breaks
    /// Buchholz cut 1, Buchholz, Sonneborn-Berger, direct encounter; no automatic advance.
    pub fn new(rounds: u32) -> Self {
        Self {
            rounds,
            initial_colour: Colour::White,
            acceleration: Acceleration::None,
            tiebreaks: default_tiebreaks(),
            auto_advance: false,
            first_round_seed: None,
            edition: None,
            points: None,
        }
    }

    /// The options the standings are computed with.
    pub fn standings_options(&self) -> Options {
        Options {
            edition: self.edition.unwrap_or_default(),
            points: self.points.unwrap_or_default(),
            ..Options::default()
        }
    }
}

/// A Swiss tournament's rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwissPlay {
    /// Players in starting-number order: `players[0]` is number 1.
    pub players: Vec<ParticipantId>,
    /// Rounds paired so far, round 1 first.
    pub rounds: Vec<SwissRound>,
    /// Players who withdrew, in the order they did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<ParticipantId>,
}

/// One round's games.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwissRound {
    /// The round, from 1.
    pub number: u32,
    /// Games in board order; a bye, if any, last.
    pub games: Vec<SwissGame>,
}

/// One board of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwissGame {
    /// `MAIN-R{round}-M{board}`.
    pub id: MatchId,
    /// White, or the player receiving the pairing-allocated bye.
    pub white: ParticipantId,
    /// Black; `None` for the pairing-allocated bye.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub black: Option<ParticipantId>,
    /// The result once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<MatchResult>,
}

impl SwissGame {
    /// Where the game stands: `bye`, `ready` (waiting for a result), `completed` or
    /// `walkover` (decided by forfeit, one side's or both's).
    pub fn status(&self) -> MatchStatus {
        match (&self.black, &self.result) {
            (None, _) => MatchStatus::Bye,
            (Some(_), None) => MatchStatus::Ready,
            (Some(_), Some(MatchResult::Walkover { .. } | MatchResult::DoubleForfeit {})) => {
                MatchStatus::Walkover
            }
            (Some(_), Some(_)) => MatchStatus::Completed,
        }
    }

    /// The two sides, black `None` for a bye.
    pub fn sides(&self) -> [Option<ParticipantId>; 2] {
        [Some(self.white.clone()), self.black.clone()]
    }
}

/// A row of the Swiss standings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwissStanding {
    /// 1-based rank; players equal on points and every tie-break share a rank.
    pub rank: u32,
    /// The participant.
    pub participant: ParticipantId,
    /// Display name.
    pub name: String,
    /// Starting number.
    pub number: StartNumber,
    /// Points under the rules' point system.
    pub points: Value,
    /// Wins, played or by forfeit, and full-point byes.
    pub wins: u32,
    /// Draws and half-point byes.
    pub draws: u32,
    /// Losses, forfeits and rounds missed.
    pub losses: u32,
    /// Tie-break values keyed by code, in the rules' order.
    pub tiebreaks: TiebreakValues,
}

impl SwissPlay {
    /// Gives starting numbers to `entries` by the seeding order; no round is paired yet.
    pub fn new(entries: &[Participant]) -> Self {
        Self {
            players: crate::seeding::seed_order(entries)
                .into_iter()
                .filter_map(|i| entries.get(i).map(|p| p.id.clone()))
                .collect(),
            rounds: Vec::new(),
            withdrawn: Vec::new(),
        }
    }

    /// The latest round, if any was paired.
    pub fn current(&self) -> Option<&SwissRound> {
        self.rounds.last()
    }

    /// Round `number` (from 1).
    pub fn round(&self, number: u32) -> Option<&SwissRound> {
        self.rounds
            .get(usize::try_from(number).ok()?.checked_sub(1)?)
    }

    /// Whether every game of round `number` is decided (false for a round not paired).
    pub fn round_complete(&self, number: u32) -> bool {
        self.round(number)
            .is_some_and(|r| r.games.iter().all(|g| g.status().is_decided()))
    }

    /// The starting number of `participant`.
    pub fn number(&self, participant: &ParticipantId) -> Option<StartNumber> {
        self.players
            .iter()
            .position(|p| p == participant)
            .and_then(|i| StartNumber::try_from(i + 1).ok())
    }

    /// The tournament as the pairing engine sees it: every paired round, and the withdrawn
    /// players marked absent from the next round.
    pub fn engine(&self, entries: &[Participant], rules: &SwissRules) -> SwissField {
        let names: BTreeMap<&ParticipantId, &Participant> =
            entries.iter().map(|p| (&p.id, p)).collect();
        let mut players: Vec<SwissPlayer> = self
            .players
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let entry = names.get(id);
                SwissPlayer {
                    number: StartNumber::try_from(i + 1).unwrap_or(StartNumber::MAX),
                    name: entry.map_or_else(|| id.to_string(), |p| p.name.clone()),
                    rating: entry
                        .and_then(|p| p.rating)
                        .map_or(0, |r| u16::try_from(r).unwrap_or(u16::MAX)),
                    rounds: Vec::with_capacity(self.rounds.len() + 1),
                }
            })
            .collect();
        for round in &self.rounds {
            let mut records: Vec<RoundRecord> = vec![RoundRecord::ZeroBye; players.len()];
            for game in &round.games {
                let Some(white) = self.index(&game.white) else {
                    continue;
                };
                let Some(black) = game.black.as_ref().and_then(|b| self.index(b)) else {
                    records[white] = RoundRecord::PairingBye;
                    continue;
                };
                let (white_result, black_result) = outcome(game);
                records[white] = RoundRecord::Game {
                    opponent: number_of(black),
                    colour: Colour::White,
                    result: white_result,
                };
                records[black] = RoundRecord::Game {
                    opponent: number_of(white),
                    colour: Colour::Black,
                    result: black_result,
                };
            }
            for (player, record) in players.iter_mut().zip(records) {
                player.rounds.push(record);
            }
        }
        for id in &self.withdrawn {
            if let Some(player) = self.index(id).and_then(|i| players.get_mut(i)) {
                player.rounds.push(RoundRecord::ZeroBye);
            }
        }
        SwissField {
            players,
            total_rounds: rules.rounds,
            initial_colour: rules.initial_colour,
            acceleration: rules.acceleration,
            forbidden_pairs: Default::default(),
        }
    }

    /// Pairs the next round with the Dutch system and appends it.
    ///
    /// # Errors
    /// The engine's [`SwissError`] (no legal pairing, all rounds paired); nothing changes
    /// then.
    pub fn pair_next(
        &mut self,
        entries: &[Participant],
        rules: &SwissRules,
    ) -> Result<&SwissRound, SwissError> {
        let number = u32::try_from(self.rounds.len() + 1).unwrap_or(u32::MAX);
        if number > rules.rounds {
            return Err(SwissError::TournamentOver {
                total_rounds: rules.rounds,
            });
        }
        let engine = self.engine(entries, rules);
        // The round is named: with every player withdrawn, the engine would read the round
        // as played by everybody absent and pair the one after it (see `rounds_paired`).
        let pairing = pair_round(&engine, number, rules.first_round_seed)?;
        let player = |n: StartNumber| {
            usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.players.get(i))
                .cloned()
                .ok_or(SwissError::NoLegalPairing { round: number })
        };
        let mut games = Vec::with_capacity(pairing.pairs.len() + 1);
        for (white, black) in &pairing.pairs {
            games.push(SwissGame {
                id: board_id(number, games.len()),
                white: player(*white)?,
                black: Some(player(*black)?),
                result: None,
            });
        }
        if let Some(bye) = pairing.bye {
            games.push(SwissGame {
                id: board_id(number, games.len()),
                white: player(bye)?,
                black: None,
                result: None,
            });
        }
        self.rounds.push(SwissRound { number, games });
        self.rounds
            .last()
            .ok_or(SwissError::NoLegalPairing { round: number })
    }

    /// Records the result of a game of the current round waiting for one.
    ///
    /// # Errors
    /// [`BracketError::UnknownMatch`] when the id names no game of the current round;
    /// [`BracketError::MatchNotPlayable`] for a bye or a decided game;
    /// [`BracketError::NotInMatch`] when the winner is not one of the two players.
    pub fn record(&mut self, match_id: &MatchId, result: MatchResult) -> Result<(), BracketError> {
        let game = self
            .rounds
            .last_mut()
            .and_then(|r| r.games.iter_mut().find(|g| g.id == *match_id))
            .ok_or(BracketError::UnknownMatch {
                match_id: *match_id,
            })?;
        let status = game.status();
        if status != MatchStatus::Ready {
            return Err(BracketError::MatchNotPlayable {
                match_id: *match_id,
                status,
            });
        }
        if let MatchResult::Win { winner, .. } | MatchResult::Walkover { winner } = &result {
            if *winner != game.white && Some(winner) != game.black.as_ref() {
                return Err(BracketError::NotInMatch {
                    match_id: *match_id,
                    participant: winner.clone(),
                });
            }
        }
        game.result = Some(result);
        Ok(())
    }

    /// Withdraws a player: a pending game of the current round is lost by forfeit and the
    /// player is not paired again.
    ///
    /// # Errors
    /// [`BracketError::UnknownParticipant`], [`BracketError::AlreadyWithdrawn`].
    pub fn withdraw(&mut self, participant: &ParticipantId) -> Result<(), BracketError> {
        if self.index(participant).is_none() {
            return Err(BracketError::UnknownParticipant {
                participant: participant.clone(),
            });
        }
        if self.withdrawn.contains(participant) {
            return Err(BracketError::AlreadyWithdrawn {
                participant: participant.clone(),
            });
        }
        if let Some(round) = self.rounds.last_mut() {
            for game in &mut round.games {
                let Some(black) = &game.black else { continue };
                if game.result.is_some() {
                    continue;
                }
                let winner = if game.white == *participant {
                    black.clone()
                } else if black == participant {
                    game.white.clone()
                } else {
                    continue;
                };
                game.result = Some(MatchResult::Walkover { winner });
            }
        }
        self.withdrawn.push(participant.clone());
        Ok(())
    }

    /// Standings after the decided rounds, ranked by points and then the rules' tie-breaks.
    pub fn standings(&self, entries: &[Participant], rules: &SwissRules) -> Vec<SwissStanding> {
        let engine = self.decided_field(entries, rules);
        tiebreak::standings(&engine, &rules.tiebreaks, &rules.standings_options())
            .into_iter()
            .filter_map(|row| {
                let index = usize::try_from(row.number).ok()?.checked_sub(1)?;
                let participant = self.players.get(index)?.clone();
                Some(SwissStanding {
                    rank: row.rank,
                    participant,
                    name: row.name,
                    number: row.number,
                    points: row.points,
                    wins: row.wins,
                    draws: row.draws,
                    losses: row.losses,
                    tiebreaks: row.tiebreaks,
                })
            })
            .collect()
    }

    /// The tournament as a TRF-16 document: players with their decided rounds, points and
    /// ranks, the number of rounds, the first-round colour, and a point system other than
    /// 1 / ½ / 0 on a `162` line (so that the file's standings read back the same).
    pub fn to_trf(&self, name: &str, entries: &[Participant], rules: &SwissRules) -> TrfDocument {
        let engine = self.decided_field(entries, rules);
        let table: BTreeMap<StartNumber, (u32, Value)> = self
            .standings(entries, rules)
            .into_iter()
            .map(|s| (s.number, (s.rank, s.points)))
            .collect();
        let federations: BTreeMap<&ParticipantId, &str> = entries
            .iter()
            .filter_map(|p| Some((&p.id, p.nation.as_deref()?)))
            .collect();
        let mut doc = TrfDocument {
            other_lines: vec![format!("012 {name}")],
            total_rounds: Some(rules.rounds),
            initial_colour: Some(rules.initial_colour),
            ..TrfDocument::default()
        };
        if let Some(system) = rules.points.filter(|p| *p != PointSystem::standard()) {
            // TRF-2026 layout: a symbol every nine columns, its points in the four after it.
            let line: String = [
                ('W', system.win),
                ('D', system.draw),
                ('L', system.loss),
                ('Z', system.zero),
                ('P', system.pairing_bye),
            ]
            .iter()
            .map(|(symbol, value)| format!(" {symbol}{:>4}   ", value.fixed(1)))
            .collect();
            doc.point_system
                .insert("162".to_string(), line.trim_end().to_string());
        }
        for (player, id) in engine.players.iter().zip(&self.players) {
            let (rank, points) = table.get(&player.number).copied().unwrap_or_default();
            doc.players.insert(
                player.number,
                TrfPlayer {
                    number: player.number,
                    sex: String::new(),
                    title: String::new(),
                    name: player.name.clone(),
                    rating: player.rating,
                    federation: federations
                        .get(id)
                        .map(|f| f.to_string())
                        .unwrap_or_default(),
                    fide_id: String::new(),
                    birth_date: String::new(),
                    points: u32::try_from(points.hundredths() / 50).unwrap_or(0),
                    rank,
                    rounds: player.rounds.clone(),
                },
            );
        }
        doc
    }

    /// The engine's view of the rounds decided so far (a round still being played is left
    /// out, and withdrawals add no announced absence).
    pub(crate) fn decided_field(&self, entries: &[Participant], rules: &SwissRules) -> SwissField {
        let complete = self
            .rounds
            .iter()
            .take_while(|r| self.round_complete(r.number))
            .count();
        let decided = SwissPlay {
            players: self.players.clone(),
            rounds: self.rounds.iter().take(complete).cloned().collect(),
            withdrawn: Vec::new(),
        };
        decided.engine(entries, rules)
    }

    fn index(&self, participant: &ParticipantId) -> Option<usize> {
        self.players.iter().position(|p| p == participant)
    }
}

fn number_of(index: usize) -> StartNumber {
    StartNumber::try_from(index + 1).unwrap_or(StartNumber::MAX)
}

fn board_id(round: u32, index: usize) -> MatchId {
    MatchId::new(
        Part::Main,
        0,
        round,
        u32::try_from(index + 1).unwrap_or(u32::MAX),
    )
}

/// White's and black's results; an undecided game counts as not played by either.
fn outcome(game: &SwissGame) -> (GameResult, GameResult) {
    let white_won = |winner: &ParticipantId| *winner == game.white;
    match &game.result {
        Some(MatchResult::Win { winner, .. }) if white_won(winner) => {
            (GameResult::Win, GameResult::Loss)
        }
        Some(MatchResult::Win { .. }) => (GameResult::Loss, GameResult::Win),
        Some(MatchResult::Draw { .. }) => (GameResult::Draw, GameResult::Draw),
        Some(MatchResult::Walkover { winner }) if white_won(winner) => {
            (GameResult::ForfeitWin, GameResult::ForfeitLoss)
        }
        Some(MatchResult::Walkover { .. }) => (GameResult::ForfeitLoss, GameResult::ForfeitWin),
        // A double forfeit ("0F-0F"): both lose by forfeit, as an undecided game reads.
        Some(MatchResult::DoubleForfeit {}) | None => {
            (GameResult::ForfeitLoss, GameResult::ForfeitLoss)
        }
    }
}

fn white() -> Colour {
    Colour::White
}

fn default_tiebreaks() -> Vec<Tiebreak> {
    ["BH:C1", "BH", "SB", "DE"]
        .iter()
        .filter_map(|c| Tiebreak::parse(c).ok())
        .collect()
}

/// Tie-breaks as their FIDE codes in JSON.
mod codes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::tiebreak::Tiebreak;

    pub(super) fn serialize<S: Serializer>(
        tiebreaks: &[Tiebreak],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let codes: Vec<String> = tiebreaks.iter().map(Tiebreak::code).collect();
        codes.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Tiebreak>, D::Error> {
        let codes = Vec::<String>::deserialize(deserializer)?;
        codes
            .iter()
            .map(|c| Tiebreak::parse(c).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: usize) -> Vec<Participant> {
        (1..=n)
            .map(|i| {
                let mut p = Participant::new(format!("p{i}"), format!("Player {i}")).unwrap();
                p.rating = Some(2000 - i as u32);
                p
            })
            .collect()
    }

    fn play_round(play: &mut SwissPlay) {
        let round = play.current().unwrap().clone();
        for game in round
            .games
            .iter()
            .filter(|g| g.status() == MatchStatus::Ready)
        {
            play.record(&game.id, MatchResult::win(game.white.clone()))
                .unwrap();
        }
    }

    #[test]
    fn numbers_follow_the_rating_order() {
        let mut entries = field(4);
        entries.reverse();
        let play = SwissPlay::new(&entries);
        assert_eq!(play.number(&ParticipantId::new("p1").unwrap()), Some(1));
        assert_eq!(play.number(&ParticipantId::new("p4").unwrap()), Some(4));
    }

    #[test]
    fn first_round_pairs_top_half_against_bottom_half_with_a_bye_last() {
        let entries = field(5);
        let rules = SwissRules::new(3);
        let mut play = SwissPlay::new(&entries);
        let round = play.pair_next(&entries, &rules).unwrap().clone();
        let boards: Vec<(String, Option<String>)> = round
            .games
            .iter()
            .map(|g| (g.white.to_string(), g.black.as_ref().map(|b| b.to_string())))
            .collect();
        assert_eq!(
            boards,
            vec![
                ("p1".into(), Some("p3".into())),
                ("p4".into(), Some("p2".into())),
                ("p5".into(), None),
            ]
        );
        assert_eq!(round.games[2].id.to_string(), "MAIN-R1-M3");
        assert_eq!(round.games[2].status(), MatchStatus::Bye);
    }

    #[test]
    fn results_are_only_taken_once_and_only_from_the_players() {
        let entries = field(4);
        let rules = SwissRules::new(3);
        let mut play = SwissPlay::new(&entries);
        let game = play.pair_next(&entries, &rules).unwrap().games[0].clone();
        let stranger = ParticipantId::new("p2").unwrap();
        let refused = play.record(&game.id, MatchResult::win(stranger));
        assert!(matches!(refused, Err(BracketError::NotInMatch { .. })));
        play.record(&game.id, MatchResult::Draw { score: None })
            .unwrap();
        let again = play.record(&game.id, MatchResult::Draw { score: None });
        assert!(matches!(again, Err(BracketError::MatchNotPlayable { .. })));
    }

    #[test]
    fn a_round_after_everybody_withdrew_pairs_nobody() {
        let entries = field(4);
        let rules = SwissRules::new(3);
        let mut play = SwissPlay::new(&entries);
        play.pair_next(&entries, &rules).unwrap();
        for entry in &entries {
            play.withdraw(&entry.id).unwrap();
        }
        let round = play.pair_next(&entries, &rules).unwrap();
        assert_eq!(round.number, 2);
        assert!(round.games.is_empty());
    }

    #[test]
    fn a_withdrawn_player_forfeits_and_is_not_paired_again() {
        let entries = field(6);
        let rules = SwissRules::new(3);
        let mut play = SwissPlay::new(&entries);
        play.pair_next(&entries, &rules).unwrap();
        let leaving = ParticipantId::new("p6").unwrap();
        play.withdraw(&leaving).unwrap();
        let forfeited = play
            .current()
            .unwrap()
            .games
            .iter()
            .find(|g| g.white == leaving || g.black.as_ref() == Some(&leaving));
        assert_eq!(forfeited.unwrap().status(), MatchStatus::Walkover);
        play_round(&mut play);
        let round = play.pair_next(&entries, &rules).unwrap();
        assert!(round
            .games
            .iter()
            .all(|g| g.white != leaving && g.black.as_ref() != Some(&leaving)));
        assert_eq!(round.games.len(), 3, "five players: two boards and a bye");
    }

    #[test]
    fn standings_rank_by_points_and_export_round_trips_through_trf() {
        let entries = field(8);
        let rules = SwissRules::new(3);
        let mut play = SwissPlay::new(&entries);
        for _ in 0..3 {
            play.pair_next(&entries, &rules).unwrap();
            play_round(&mut play);
        }
        let table = play.standings(&entries, &rules);
        assert_eq!(table.len(), 8);
        assert!(table.windows(2).all(|w| w[0].points >= w[1].points));
        assert_eq!(table[0].points, Value::whole(3), "someone won all three");
        let text = play.to_trf("Test", &entries, &rules).write();
        let parsed = TrfDocument::parse(&text).unwrap();
        let rows = tiebreak::standings(
            &parsed.to_tournament(),
            &rules.tiebreaks,
            &rules.standings_options(),
        );
        let from_trf: Vec<_> = rows
            .iter()
            .map(|r| (r.number, r.points, r.tiebreaks.clone()))
            .collect();
        let ours: Vec<_> = table
            .iter()
            .map(|r| (r.number, r.points, r.tiebreaks.clone()))
            .collect();
        assert_eq!(from_trf, ours);
        assert!(matches!(
            play.pair_next(&entries, &rules),
            Err(SwissError::TournamentOver { .. })
        ));
    }

    #[test]
    fn a_point_system_travels_through_the_trf_export() {
        let entries = field(7);
        let mut rules = SwissRules::new(3);
        rules.points = Some(PointSystem::parse("3-1-0").unwrap());
        rules.tiebreaks = tiebreak::parse_list("BH,SB,AOB").unwrap();
        let mut play = SwissPlay::new(&entries);
        for _ in 0..3 {
            play.pair_next(&entries, &rules).unwrap();
            play_round(&mut play);
        }
        let table = play.standings(&entries, &rules);
        // Three rounds of three boards and a bye: 3 per decisive game or bye, 2 per draw.
        assert!(table
            .iter()
            .any(|r| r.points.hundredths() % 300 == 0 && r.points.hundredths() > 300));
        let text = play.to_trf("Test", &entries, &rules).write();
        assert!(
            text.contains("\n162  W 3.0    D 1.0    L 0.0    Z 0.0    P 3.0\n"),
            "{text}"
        );
        let parsed = TrfDocument::parse(&text).unwrap();
        let options = Options::for_trf(&parsed);
        assert_eq!(options.points, rules.points.unwrap());
        let rows = tiebreak::standings(&parsed.to_tournament(), &rules.tiebreaks, &options);
        let from_trf: Vec<_> = rows
            .iter()
            .map(|r| (r.number, r.points, r.tiebreaks.clone()))
            .collect();
        let ours: Vec<_> = table
            .iter()
            .map(|r| (r.number, r.points, r.tiebreaks.clone()))
            .collect();
        assert_eq!(from_trf, ours);
        // The points column is written under the event's system.
        let first = parsed
            .players
            .values()
            .find(|p| p.number == table[0].number)
            .unwrap();
        assert_eq!(i64::from(first.points) * 50, table[0].points.hundredths());
    }

    #[test]
    fn rules_read_tiebreak_codes_and_refuse_unknown_ones() {
        let rules: SwissRules =
            serde_json::from_str(r#"{"rounds": 5, "tiebreaks": ["BH:C1", "SB"]}"#).unwrap();
        assert_eq!(rules.tiebreaks.len(), 2);
        assert_eq!(
            serde_json::to_value(&rules).unwrap()["tiebreaks"],
            serde_json::json!(["BH:C1", "SB"])
        );
        assert!(
            serde_json::from_str::<SwissRules>(r#"{"rounds": 5, "tiebreaks": ["XX"]}"#).is_err()
        );
    }
}
