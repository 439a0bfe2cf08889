//! `athlos.Swiss`: a Swiss tournament read from TRF-16, paired by the FIDE Dutch system, with
//! FIDE tie-break standings.

use athlos_core::swiss::{
    pair_next_round, rounds_paired, Colour, GameResult, RoundRecord, StartNumber,
};
use athlos_core::tiebreak::{parse_list, standings, Edition, EventKind, Options, PointSystem};
use athlos_core::trf::{TrfDocument, TrfPlayer};
use pyo3::prelude::*;

use crate::convert::to_python;
use crate::error::{IllegalTransition, InvalidInput, NotFound};

/// A Swiss tournament as a TRF-16 document.
#[pyclass(name = "Swiss", module = "athlos", skip_from_py_object)]
#[derive(Debug, Clone)]
pub struct PySwiss {
    document: TrfDocument,
}

#[pymethods]
impl PySwiss {
    /// A new tournament of `rounds` rounds; `players` are `(name, rating)` pairs in
    /// starting-number order (number 1 first; rating 0 when unrated).
    #[new]
    #[pyo3(signature = (players, rounds, initial_colour="white"))]
    fn new(players: Vec<(String, u16)>, rounds: u32, initial_colour: &str) -> PyResult<Self> {
        if players.len() < 2 {
            return Err(InvalidInput::new_err("a Swiss needs at least 2 players"));
        }
        if rounds == 0 {
            return Err(InvalidInput::new_err("a Swiss needs at least 1 round"));
        }
        let initial_colour = match initial_colour {
            "white" => Colour::White,
            "black" => Colour::Black,
            other => {
                return Err(InvalidInput::new_err(format!(
                    "initial_colour must be \"white\" or \"black\", not {other:?}"
                )))
            }
        };
        let mut document = TrfDocument {
            total_rounds: Some(rounds),
            initial_colour: Some(initial_colour),
            ..TrfDocument::default()
        };
        for (index, (name, rating)) in players.into_iter().enumerate() {
            let number = StartNumber::try_from(index + 1)
                .ok()
                .filter(|n| *n <= 9999)
                .ok_or_else(|| InvalidInput::new_err("TRF-16 holds at most 9999 players"))?;
            if name.trim().is_empty() || name.chars().count() > 33 {
                return Err(InvalidInput::new_err(format!(
                    "player {number}: a name must have 1 to 33 characters"
                )));
            }
            document.players.insert(
                number,
                TrfPlayer {
                    number,
                    sex: String::new(),
                    title: String::new(),
                    name,
                    rating,
                    federation: String::new(),
                    fide_id: String::new(),
                    birth_date: String::new(),
                    points: 0,
                    rank: 0,
                    rounds: Vec::new(),
                },
            );
        }
        Ok(Self { document })
    }

    /// Records the game of `round` between `white` and `black` (starting numbers):
    /// `"1-0"`, `"0-1"`, `"1/2-1/2"` (or `"="`) over the board, `"+-"` / `"-+"` by forfeit,
    /// `"--"` when neither showed. Rounds are filled in order: `round` is the round being
    /// recorded or the next one.
    #[pyo3(signature = (round, white, black, result))]
    fn record(&mut self, round: u32, white: u32, black: u32, result: &str) -> PyResult<()> {
        let (white_result, black_result) = match result {
            "1-0" => (GameResult::Win, GameResult::Loss),
            "0-1" => (GameResult::Loss, GameResult::Win),
            "1/2-1/2" | "=" | "\u{bd}-\u{bd}" => (GameResult::Draw, GameResult::Draw),
            "+-" => (GameResult::ForfeitWin, GameResult::ForfeitLoss),
            "-+" => (GameResult::ForfeitLoss, GameResult::ForfeitWin),
            "--" => (GameResult::ForfeitLoss, GameResult::ForfeitLoss),
            other => {
                return Err(InvalidInput::new_err(format!(
                    "unknown result {other:?}: use 1-0, 0-1, 1/2-1/2, +-, -+ or --"
                )))
            }
        };
        if white == black {
            return Err(InvalidInput::new_err(format!(
                "player {white} cannot play himself"
            )));
        }
        self.check_slot(round, white)?;
        self.check_slot(round, black)?;
        self.put(
            round,
            white,
            RoundRecord::Game {
                opponent: black,
                colour: Colour::White,
                result: white_result,
            },
        );
        self.put(
            round,
            black,
            RoundRecord::Game {
                opponent: white,
                colour: Colour::Black,
                result: black_result,
            },
        );
        Ok(())
    }

    /// Records a round without a game for `player`: `"pairing"` (the pairing-allocated
    /// bye, a full point), `"half"` (a requested half-point bye), `"full"` (a full-point bye)
    /// or `"zero"` (absent, no points). Announced before the round is paired, `"half"` and
    /// `"zero"` keep the player out of that round's pairing.
    #[pyo3(signature = (round, player, kind="pairing"))]
    fn record_bye(&mut self, round: u32, player: u32, kind: &str) -> PyResult<()> {
        let record = match kind {
            "pairing" => RoundRecord::PairingBye,
            "half" => RoundRecord::HalfBye,
            "full" => RoundRecord::FullBye,
            "zero" => RoundRecord::ZeroBye,
            other => {
                return Err(InvalidInput::new_err(format!(
                    "unknown bye {other:?}: use pairing, half, full or zero"
                )))
            }
        };
        self.check_slot(round, player)?;
        self.put(round, player, record);
        Ok(())
    }

    /// Reads a TRF-16 file's text; errors name the line and column.
    #[staticmethod]
    fn from_trf(text: &str) -> PyResult<Self> {
        let document =
            TrfDocument::parse(text).map_err(|e| InvalidInput::new_err(e.to_string()))?;
        if document.players.is_empty() {
            return Err(InvalidInput::new_err("no player lines (001) found"));
        }
        Ok(Self { document })
    }

    /// The document as TRF-16 text (what `from_trf` reads back identically).
    fn to_trf(&self) -> String {
        self.document.write()
    }

    /// Rounds with recorded pairings.
    #[getter]
    fn rounds_played(&self) -> u32 {
        rounds_paired(&self.document.to_tournament())
    }

    /// The FIDE Dutch pairing of the next round: `{"pairs": [[white, black], …], "bye": n or
    /// None}` by starting number, the same pairing `athlos pair` prints. With
    /// `first_round_seed`, a first round is drawn at random from that seed instead of by
    /// rating (the same seed always gives the same round); later rounds ignore it.
    #[pyo3(signature = (first_round_seed=None))]
    fn pair_next_round(
        &self,
        py: Python<'_>,
        first_round_seed: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let tournament = self.document.to_tournament();
        let pairing = match first_round_seed {
            Some(seed) => athlos_core::swiss::pair_next_round_seeded(&tournament, seed),
            None => pair_next_round(&tournament),
        }
        .map_err(|e| InvalidInput::new_err(e.to_string()))?;
        to_python(py, &pairing)
    }

    /// Standings after the recorded rounds with the tie-breaks named by their FIDE codes
    /// (`"BH:C1,BH,SB,DE"`). Each row: `rank`, `number`, `name`, `points`, `wins`, `draws`,
    /// `losses` and `tiebreaks` (code -> value, in order); points and values are decimals
    /// (`72.5`), `None` where a rating tie-break has no value.
    ///
    /// `edition` is `"2024"` or `"2026"` (FIDE Tie-Break Regulations; by default the one in
    /// force on the file's start date, 2026 without one); `points` a `"win-draw-loss"` system
    /// such as `"3-1-0"` (default: what the file declares, else 1-0.5-0); `kind` `"swiss"` or
    /// `"round_robin"` (default: the file's `092` line, else swiss); `unrated_rating` the
    /// rating unrated players count with in ARO, TPR and PTP.
    #[pyo3(signature = (tiebreaks="BH:C1,BH,SB,DE", *, edition=None, points=None, kind=None, unrated_rating=None))]
    fn standings(
        &self,
        py: Python<'_>,
        tiebreaks: &str,
        edition: Option<&str>,
        points: Option<&str>,
        kind: Option<&str>,
        unrated_rating: Option<u16>,
    ) -> PyResult<Py<PyAny>> {
        let invalid =
            |e: athlos_core::tiebreak::TiebreakError| InvalidInput::new_err(e.to_string());
        let order = parse_list(tiebreaks).map_err(invalid)?;
        let mut options = Options::for_trf(&self.document);
        if let Some(edition) = edition {
            options.edition = Edition::parse(edition).map_err(invalid)?;
        }
        options.points = match points {
            Some(p) => PointSystem::parse(p),
            None => PointSystem::from_trf(&self.document),
        }
        .map_err(invalid)?;
        if let Some(kind) = kind {
            options.kind = EventKind::parse(kind).map_err(invalid)?;
        }
        options.unrated_rating = unrated_rating;
        let rows = standings(&self.document.to_tournament(), &order, &options);
        to_python(py, &rows)
    }

    fn __repr__(&self) -> String {
        format!("Swiss(players={})", self.document.players.len())
    }
}

impl PySwiss {
    /// Refuses a record for `round` unless `player` exists, the round is within the
    /// tournament and in order, and the player has no record for it yet.
    fn check_slot(&self, round: u32, player: u32) -> PyResult<()> {
        let line =
            self.document.players.get(&player).ok_or_else(|| {
                NotFound::new_err(format!("no player with starting number {player}"))
            })?;
        let total = self.document.total_rounds.unwrap_or(u32::MAX);
        if round == 0 || round > total {
            return Err(InvalidInput::new_err(format!(
                "round {round} is outside rounds 1 to {total}"
            )));
        }
        let paired = rounds_paired(&self.document.to_tournament());
        if round < paired.max(1) || round > paired + 1 {
            return Err(IllegalTransition::new_err(format!(
                "round {round} cannot be recorded now: rounds are recorded in order and {paired} are paired"
            )));
        }
        if line.rounds.len() >= round as usize {
            return Err(IllegalTransition::new_err(format!(
                "player {player} already has a record for round {round}"
            )));
        }
        Ok(())
    }

    /// Stores `record` as `player`'s round `round`, marking skipped rounds as absences.
    fn put(&mut self, round: u32, player: u32, record: RoundRecord) {
        if let Some(line) = self.document.players.get_mut(&player) {
            let before = round.saturating_sub(1) as usize;
            while line.rounds.len() < before {
                line.rounds.push(RoundRecord::ZeroBye);
            }
            line.rounds.push(record);
            line.points = line.rounds.iter().map(RoundRecord::half_points).sum();
        }
    }
}
