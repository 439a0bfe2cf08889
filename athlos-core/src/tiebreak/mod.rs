//! FIDE tie-breaks (C.07, the Tie-Break Regulations) and standings, exact for both editions in
//! use: the one applied from 1 March 2026 ([`Edition::Fide2026`], the default) and the one
//! applied from 1 August 2024 ([`Edition::Fide2024`]).
//!
//! ```
//! use athlos_core::tiebreak::{parse_list, standings, Options};
//! use athlos_core::trf::TrfDocument;
//!
//! let trf = "\
//! 012 Club championship
//! XXR 2
//! 001    1      Ann                               2100                             2.0    1     2 w 1     3 b 1
//! 001    2      Bob                               2000                             0.5    3     1 b 0  0000 - H
//! 001    3      Cid                               1900                             0.5    2  0000 - H     1 w 0
//! ";
//! let document = TrfDocument::parse(trf).unwrap();
//! let order = parse_list("BH,SB").unwrap();
//! let rows = standings(&document.to_tournament(), &order, &Options::for_trf(&document));
//! assert_eq!(rows[0].name, "Ann");
//! assert_eq!(rows[0].points.to_string(), "2");
//! // Ann's opponents scored 0.5 each, with their half-point byes counted as played.
//! assert_eq!(rows[0].tiebreaks.get("BH").unwrap().to_string(), "1");
//! ```
//!
//! Values are exact decimals ([`Value`], hundredths of a point held as an integer): points and
//! tie-breaks under the event's [`PointSystem`] (1 / ½ / 0 unless the event says otherwise),
//! and the rating tie-breaks rounded to whole rating points.
//!
//! # Unplayed rounds (article 16)
//! - **An opponent's score** (Buchholz, Sonneborn-Berger, Fore Buchholz, AOB) counts that
//!   opponent's unplayed rounds with the points actually awarded (a pairing-allocated or
//!   full-point bye and a forfeit win count as a win, a forfeit loss as nothing), except the
//!   voluntarily unplayed rounds (half- and zero-point byes, absences) after the opponent's
//!   last round that was played or awarded, which count as draws. In a round robin they count
//!   nothing.
//! - **A player's own unplayed round** counts as a game against a dummy opponent holding the
//!   player's own final score. The 2026 edition caps that score: at most the scheduled
//!   opponent's adjusted score for a forfeit (16.4.1), at most half the number of rounds for a
//!   bye or an absence (16.4.2). In a round robin an unplayed game counts as played and a bye
//!   counts nothing.
//! - **Cuts** (`C1`, `C2`, medians `M1`, `M2`) take out the voluntarily unplayed rounds first,
//!   then the lowest values; a median also takes out the highest.
//!
//! # Which edition
//! [`Edition::for_start_date`] follows the tournament's start date as FIDE's reference does:
//! before 1 March 2026 the 2024 edition, from then on (or with no date) the 2026 edition.

mod compute;
mod rating;

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

use crate::swiss::{StartNumber, SwissField};
use crate::trf::TrfDocument;

/// A tie-break or its options could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TiebreakError {
    /// An unknown tie-break code.
    #[error("unknown tie-break {code:?}; expected one of BH, FB, SB, AOB, PS, KS, DE, WIN, WON, BPG, BWG, REP, ARO, TPR, PTP, APRO, APPO, with :C1/:M1 cuts where C.07 allows them (BH, FB, SB, PS, ARO)")]
    UnknownCode {
        /// The code.
        code: String,
    },
    /// An unknown edition of the regulations.
    #[error(
        "unknown edition {edition:?} of the FIDE tie-break regulations; expected 2024 or 2026"
    )]
    UnknownEdition {
        /// What was given.
        edition: String,
    },
    /// An unknown kind of event.
    #[error("unknown kind of event {kind:?}; expected swiss or round-robin")]
    UnknownKind {
        /// What was given.
        kind: String,
    },
    /// A point system that cannot be read.
    #[error("invalid point system {text:?}: {reason}")]
    InvalidPointSystem {
        /// What was given.
        text: String,
        /// Why it was refused.
        reason: &'static str,
    },
}

/// The edition of the FIDE Tie-Break Regulations (C.07) the values follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Edition {
    /// Applied from 1 August 2024.
    Fide2024,
    /// Approved by FIDE Council on 2 February 2026, applied from 1 March 2026.
    #[default]
    Fide2026,
}

impl Edition {
    /// Parses `2024` or `2026` (also `fide-2024`, `fide2026`).
    ///
    /// # Errors
    /// [`TiebreakError::UnknownEdition`] for anything else.
    pub fn parse(text: &str) -> Result<Self, TiebreakError> {
        let t = text.trim().to_ascii_lowercase();
        let t = t
            .trim_start_matches("fide")
            .trim_start_matches(['-', '_', ' ']);
        match t {
            "2024" => Ok(Self::Fide2024),
            "2026" => Ok(Self::Fide2026),
            _ => Err(TiebreakError::UnknownEdition {
                edition: text.to_string(),
            }),
        }
    }

    /// The year that names the edition: 2024 or 2026.
    pub fn year(self) -> u16 {
        match self {
            Self::Fide2024 => 2024,
            Self::Fide2026 => 2026,
        }
    }

    /// The edition in force on a tournament's start date, given as `YYYY/MM/DD`, `YYYY-MM-DD`
    /// or `YYYY.MM.DD` (two-digit years are 20YY): before 2026-03-01 the 2024 edition,
    /// otherwise the 2026 one. A date that cannot be read gives the current edition.
    pub fn for_start_date(date: &str) -> Self {
        let parts: Vec<u32> = date
            .trim()
            .split(['/', '-', '.'])
            .map(|p| p.trim().parse().unwrap_or(u32::MAX))
            .collect();
        match parts.as_slice() {
            [y, m, d] if *y != u32::MAX && *m <= 12 && *d <= 31 => {
                let year = if *y < 100 { 2000 + y } else { *y };
                if (year, *m, *d) < (2026, 3, 1) {
                    Self::Fide2024
                } else {
                    Self::Fide2026
                }
            }
            _ => Self::default(),
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.year())
    }
}

impl Serialize for Edition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.year().to_string())
    }
}

impl<'de> Deserialize<'de> for Edition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(t) => t,
        };
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An exact decimal: a number of hundredths. Points, tie-break values and ratings are all
/// written with it; it serialises as a JSON number (`72.5`, `13.75`, `2120`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Value(pub i64);

impl Value {
    /// A whole number.
    pub fn whole(n: i64) -> Self {
        Self(n * 100)
    }

    /// The value in hundredths.
    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// The value as a floating-point number (exact for every value a tie-break produces).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// The value with exactly `decimals` (0–2) decimals, e.g. `12.50`.
    pub fn fixed(self, decimals: usize) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        match decimals {
            0 => format!("{sign}{}", (v + 50) / 100),
            1 => format!("{sign}{}.{}", v / 100, (v % 100) / 10),
            _ => format!("{sign}{}.{:02}", v / 100, v % 100),
        }
    }
}

/// The shortest decimal: `72.5`, `13.75`, `4`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        match v % 100 {
            0 => write!(f, "{sign}{}", v / 100),
            r if r % 10 == 0 => write!(f, "{sign}{}.{}", v / 100, r / 10),
            r => write!(f, "{sign}{}.{r:02}", v / 100),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    /// A JSON number with at most two decimals (`3`, `0.5`, `1.25`) or the same as a string.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => {
                let hundredths = (n * 100.0).round();
                if !n.is_finite()
                    || !(0.0..=1e6).contains(&n)
                    || (hundredths - n * 100.0).abs() > 1e-6
                {
                    return Err(serde::de::Error::custom(format!(
                        "{n} is not a number of points with at most two decimals"
                    )));
                }
                return Ok(Self(hundredths as i64));
            }
            Raw::Text(t) => t,
        };
        parse_decimal(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a number of points with at most two decimals"
            ))
        })
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            serializer.serialize_i64(self.0 / 100)
        } else {
            serializer.serialize_f64(self.as_f64())
        }
    }
}

/// A tie-break of C.07.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// Buchholz (BH): the sum of the opponents' scores.
    Buchholz,
    /// Fore Buchholz (FB): Buchholz with every last-round game counted as a draw.
    ForeBuchholz,
    /// Sonneborn-Berger (SB): the opponents' scores weighted by the result against them.
    SonnebornBerger,
    /// Average of the opponents' Buchholz (AOB).
    AverageOfBuchholz,
    /// Direct encounter (DE) among the tied players: the rank it gives within the tie.
    DirectEncounter,
    /// Progressive (cumulative) score (PS).
    Progressive,
    /// Koya system (KS): points against the opponents who scored at least half the maximum.
    Koya,
    /// Number of wins, played or not (WIN).
    Wins,
    /// Number of games won over the board (WON).
    GamesWon,
    /// Number of games played with black (BPG).
    GamesWithBlack,
    /// Number of games won with black (BWG).
    WinsWithBlack,
    /// Rounds elected to play (REP): games played, and rounds won without playing.
    RoundsElectedToPlay,
    /// Average rating of the opponents (ARO), rounded to the nearest point.
    AverageRatingOfOpponents,
    /// Tournament performance rating (TPR).
    PerformanceRating,
    /// Perfect tournament performance (PTP).
    PerfectPerformance,
    /// Average of the opponents' performance ratings (APRO).
    AveragePerformanceOfOpponents,
    /// Average of the opponents' perfect performances (APPO).
    AveragePerfectPerformanceOfOpponents,
}

impl Kind {
    const ALL: [(Self, &'static str); 17] = [
        (Self::Buchholz, "BH"),
        (Self::ForeBuchholz, "FB"),
        (Self::SonnebornBerger, "SB"),
        (Self::AverageOfBuchholz, "AOB"),
        (Self::DirectEncounter, "DE"),
        (Self::Progressive, "PS"),
        (Self::Koya, "KS"),
        (Self::Wins, "WIN"),
        (Self::GamesWon, "WON"),
        (Self::GamesWithBlack, "BPG"),
        (Self::WinsWithBlack, "BWG"),
        (Self::RoundsElectedToPlay, "REP"),
        (Self::AverageRatingOfOpponents, "ARO"),
        (Self::PerformanceRating, "TPR"),
        (Self::PerfectPerformance, "PTP"),
        (Self::AveragePerformanceOfOpponents, "APRO"),
        (Self::AveragePerfectPerformanceOfOpponents, "APPO"),
    ];

    /// The FIDE acronym.
    pub fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, c)| c)
    }

    /// Whether a smaller value ranks higher (direct encounter gives a rank).
    pub fn lower_is_better(self) -> bool {
        self == Self::DirectEncounter
    }

    /// Whether C.07 defines cuts and medians for it.
    fn cuttable(self) -> bool {
        matches!(
            self,
            Self::Buchholz
                | Self::ForeBuchholz
                | Self::SonnebornBerger
                | Self::Progressive
                | Self::AverageRatingOfOpponents
        )
    }
}

/// A cut modifier (C.07 article 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    /// No cut.
    #[default]
    None,
    /// Cut the least significant `n` values.
    Cut(u8),
    /// Cut the `n` most and `n` least significant values (median).
    Median(u8),
}

/// A tie-break with its modifier, e.g. `BH:C1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tiebreak {
    /// Which tie-break.
    pub kind: Kind,
    /// Its cut.
    pub modifier: Modifier,
}

impl Tiebreak {
    /// Parses a code such as `BH`, `BH:C1`, `BH:M1`, `SB`, `DE`; FIDE's spelling with a slash
    /// (`BH/C1`) and the hyphen (`BH-C1`) are accepted too, in any case.
    ///
    /// # Errors
    /// [`TiebreakError::UnknownCode`] for anything else, and for a cut on a tie-break that has
    /// none.
    pub fn parse(code: &str) -> Result<Self, TiebreakError> {
        let unknown = || TiebreakError::UnknownCode {
            code: code.to_string(),
        };
        let upper = code.trim().to_ascii_uppercase();
        let (name, modifier) = match upper.split_once([':', '/', '-']) {
            Some((n, m)) => (n.trim(), Some(m.trim())),
            None => (upper.as_str(), None),
        };
        let kind = Kind::ALL
            .iter()
            .find(|(_, c)| *c == name)
            .map(|(k, _)| *k)
            .ok_or_else(unknown)?;
        let modifier = match modifier {
            None => Modifier::None,
            Some(m) => {
                let letter = m.chars().next().ok_or_else(unknown)?;
                let n: u8 = m[letter.len_utf8()..].parse().map_err(|_| unknown())?;
                if n == 0 || n > 9 {
                    return Err(unknown());
                }
                match letter {
                    'C' => Modifier::Cut(n),
                    'M' if kind != Kind::Progressive => Modifier::Median(n),
                    _ => return Err(unknown()),
                }
            }
        };
        if modifier != Modifier::None && !kind.cuttable() {
            return Err(unknown());
        }
        Ok(Self { kind, modifier })
    }

    /// The code, e.g. `BH:C1`.
    pub fn code(&self) -> String {
        let base = self.kind.code();
        match self.modifier {
            Modifier::None => base.to_string(),
            Modifier::Cut(n) => format!("{base}:C{n}"),
            Modifier::Median(n) => format!("{base}:M{n}"),
        }
    }
}

impl fmt::Display for Tiebreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// Parses a comma-separated tie-break list such as `BH:C1,BH,SB,DE` (spaces also separate).
///
/// # Errors
/// [`TiebreakError::UnknownCode`] for the first unknown code.
pub fn parse_list(list: &str) -> Result<Vec<Tiebreak>, TiebreakError> {
    list.split([',', ' ', ';'])
        .filter(|c| !c.trim().is_empty())
        .map(Tiebreak::parse)
        .collect()
}

/// Points awarded for each kind of result, as exact decimals. In JSON either `"3-1-0"` or
/// `{"win": 3, "draw": 1, "loss": 0}` (with `zero` for forfeit losses and absences and
/// `pairing_bye`, which default to the loss and the win).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PointSystem {
    /// A win over the board or by forfeit, and a full-point bye.
    pub win: Value,
    /// A draw, and a half-point bye.
    pub draw: Value,
    /// A loss over the board.
    pub loss: Value,
    /// A forfeit loss, a zero-point bye and an absence.
    pub zero: Value,
    /// The pairing-allocated bye.
    pub pairing_bye: Value,
}

impl<'de> Deserialize<'de> for PointSystem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields {
            win: Value,
            draw: Value,
            loss: Value,
            #[serde(default)]
            zero: Option<Value>,
            #[serde(default)]
            pairing_bye: Option<Value>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Fields(Fields),
        }
        match Raw::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "a point system is \"win-draw-loss\" such as \"3-1-0\", or {\"win\", \"draw\", \"loss\"[, \"zero\", \"pairing_bye\"]}",
            )
        })? {
            Raw::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
            Raw::Fields(f) => {
                if f.win <= f.draw || f.draw < f.loss {
                    return Err(serde::de::Error::custom(
                        "a win must be worth more than a draw, a draw at least a loss",
                    ));
                }
                Ok(Self {
                    zero: f.zero.unwrap_or(f.loss),
                    pairing_bye: f.pairing_bye.unwrap_or(f.win),
                    ..Self::new(f.win, f.draw, f.loss)
                })
            }
        }
    }
}

impl Default for PointSystem {
    fn default() -> Self {
        Self::standard()
    }
}

impl PointSystem {
    /// 1 / ½ / 0, a pairing-allocated bye worth a win.
    pub fn standard() -> Self {
        Self {
            win: Value(100),
            draw: Value(50),
            loss: Value(0),
            zero: Value(0),
            pairing_bye: Value(100),
        }
    }

    /// `win`-`draw`-`loss` (e.g. 3-1-0), forfeits and absences worth a loss, the
    /// pairing-allocated bye worth a win.
    pub fn new(win: Value, draw: Value, loss: Value) -> Self {
        Self {
            win,
            draw,
            loss,
            zero: loss,
            pairing_bye: win,
        }
    }

    /// Parses `3-1-0` or `1-0.5-0` (win, draw, loss).
    ///
    /// # Errors
    /// [`TiebreakError::InvalidPointSystem`] for anything else.
    pub fn parse(text: &str) -> Result<Self, TiebreakError> {
        let bad = |reason| TiebreakError::InvalidPointSystem {
            text: text.to_string(),
            reason,
        };
        let parts: Vec<Value> = text
            .split(['-', ':', '/'])
            .map(parse_decimal)
            .collect::<Option<_>>()
            .ok_or_else(|| bad("expected win-draw-loss such as 3-1-0 or 1-0.5-0"))?;
        match parts.as_slice() {
            [w, d, l] if w > d && d >= l => Ok(Self::new(*w, *d, *l)),
            [_, _, _] => Err(bad(
                "a win must be worth more than a draw, a draw at least a loss",
            )),
            _ => Err(bad("expected win-draw-loss such as 3-1-0 or 1-0.5-0")),
        }
    }

    /// The point system a TRF declares: the `162` line of TRF-2026 (`W 3.0  D 1.0 …`) or the
    /// `BBW`/`BBD`/`BBL`/`BBZ`/`BBF`/`BBU` lines; standard points when it declares none.
    ///
    /// # Errors
    /// [`TiebreakError::InvalidPointSystem`] for a value that is not a number.
    pub fn from_trf(document: &TrfDocument) -> Result<Self, TiebreakError> {
        let mut system = Self::standard();
        let mut set = |symbol: char, raw: &str| -> Result<(), TiebreakError> {
            let value = parse_decimal(raw).ok_or_else(|| TiebreakError::InvalidPointSystem {
                text: raw.to_string(),
                reason: "not a decimal number",
            })?;
            match symbol {
                'W' => system.win = value,
                'D' => system.draw = value,
                'L' => system.loss = value,
                'Z' | 'A' => system.zero = value,
                'P' | 'U' => system.pairing_bye = value,
                _ => {}
            }
            Ok(())
        };
        let mut pairing_bye_set = false;
        if let Some(line) = document.point_system.get("162") {
            // Pairs of a result symbol and its points: `W 3.0  D 1.0  L 0.0`, spaced freely.
            let mut tokens = line.split_whitespace().peekable();
            while let Some(token) = tokens.next() {
                let mut chars = token.chars();
                let symbol = chars.next().unwrap_or(' ').to_ascii_uppercase();
                let rest = chars.as_str();
                let raw = if rest.is_empty() {
                    tokens.next().unwrap_or("")
                } else {
                    rest
                };
                pairing_bye_set |= matches!(symbol, 'P' | 'U');
                set(symbol, raw)?;
            }
        }
        for (tag, symbol) in [
            ("BBW", 'W'),
            ("BBD", 'D'),
            ("BBL", 'L'),
            ("BBZ", 'Z'),
            ("BBU", 'P'),
        ] {
            if let Some(raw) = document.point_system.get(tag) {
                pairing_bye_set |= symbol == 'P';
                set(symbol, raw)?;
            }
        }
        if !pairing_bye_set {
            system.pairing_bye = system.win;
        }
        Ok(system)
    }
}

/// Parses a non-negative decimal with at most two decimals (`3`, `0.5`, `1.25`).
fn parse_decimal(text: &str) -> Option<Value> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 || w > 1_000_000 {
        return None;
    }
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(Value(w * 100 + f))
}

/// How the event is played, as far as the tie-breaks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A Swiss event: unplayed rounds follow article 16.
    #[default]
    Swiss,
    /// A round robin (pairings decided in advance): an unplayed game counts as played, a bye
    /// counts nothing.
    RoundRobin,
}

impl EventKind {
    /// Parses `swiss` or `round-robin` (also `round_robin`, `rr`), in any case.
    ///
    /// # Errors
    /// [`TiebreakError::UnknownKind`] for anything else.
    pub fn parse(text: &str) -> Result<Self, TiebreakError> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "swiss" => Ok(Self::Swiss),
            "round-robin" | "roundrobin" | "rr" => Ok(Self::RoundRobin),
            _ => Err(TiebreakError::UnknownKind {
                kind: text.to_string(),
            }),
        }
    }
}

/// Everything besides the results that the values depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// The edition of the regulations.
    pub edition: Edition,
    /// The points of each result.
    pub points: PointSystem,
    /// Swiss or round robin.
    pub kind: EventKind,
    /// The rating that unrated players count with in ARO, TPR and PTP; without it, those
    /// tie-breaks have no value (`None`) as soon as one player is unrated.
    pub unrated_rating: Option<u16>,
}

impl Options {
    /// The options a TRF states: the edition from its start date (`042`), the point system
    /// from `162`/`BB?` lines (standard when unreadable), a round robin when its type line
    /// (`092`/`192`) says so.
    pub fn for_trf(document: &TrfDocument) -> Self {
        let edition = document
            .start_date()
            .map_or_else(Edition::default, |d| Edition::for_start_date(&d));
        let kind = match document.tournament_type() {
            Some(t) => {
                let t = t.to_ascii_uppercase();
                if t.contains("SWISS") {
                    EventKind::Swiss
                } else if t.contains("ROBIN") || t.contains("BERGER") || t.contains("RR") {
                    EventKind::RoundRobin
                } else {
                    EventKind::Swiss
                }
            }
            None => EventKind::Swiss,
        };
        Self {
            edition,
            points: PointSystem::from_trf(document).unwrap_or_default(),
            kind,
            unrated_rating: None,
        }
    }
}

/// Tie-break values in the order asked, keyed by code; serialises as a JSON object in that
/// order (`{"BH:C1": 22, "BH": 25.5, "SB": 13.75}`), `null` where a tie-break has no value
/// (a rating tie-break of a player who played nobody).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TiebreakValues(pub Vec<(String, Option<Value>)>);

impl TiebreakValues {
    /// The value of a code, if asked and defined.
    pub fn get(&self, code: &str) -> Option<Value> {
        self.0.iter().find(|(c, _)| c == code).and_then(|(_, v)| *v)
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = Option<Value>> + '_ {
        self.0.iter().map(|(_, v)| *v)
    }
}

impl Serialize for TiebreakValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (code, value) in &self.0 {
            map.serialize_entry(code, value)?;
        }
        map.end()
    }
}

/// One row of the standings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandingRow {
    /// 1-based rank; players equal on points and every tie-break share a rank.
    pub rank: u32,
    /// Starting number.
    pub number: StartNumber,
    /// Name.
    pub name: String,
    /// Points under the event's point system.
    pub points: Value,
    /// Wins, played or not (forfeit wins, full-point and pairing-allocated byes).
    pub wins: u32,
    /// Draws and half-point byes.
    pub draws: u32,
    /// Losses, forfeit losses, zero-point byes and absences.
    pub losses: u32,
    /// Tie-break values in the order asked.
    pub tiebreaks: TiebreakValues,
}

/// Computes the standings after all recorded rounds: points, then the tie-breaks in `order`,
/// then the starting number (rows equal on points and every tie-break share a rank).
pub fn standings(
    tournament: &SwissField,
    order: &[Tiebreak],
    options: &Options,
) -> Vec<StandingRow> {
    compute::standings(tournament, order, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_rejects_others() {
        assert_eq!(Tiebreak::parse("bh:c1").unwrap().code(), "BH:C1");
        assert_eq!(Tiebreak::parse("BH/C1").unwrap().code(), "BH:C1");
        assert_eq!(Tiebreak::parse("fb/m2").unwrap().code(), "FB:M2");
        assert_eq!(
            Tiebreak::parse("BH:M1").unwrap().modifier,
            Modifier::Median(1)
        );
        for bad in [
            "XX", "DE:C1", "BH:C0", "BH:", "BH:X1", "PS:M1", "TPR:C1", "",
        ] {
            assert!(Tiebreak::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(parse_list("BH:C1, BH SB").unwrap().len(), 3);
    }

    #[test]
    fn editions_follow_the_start_date() {
        assert_eq!(Edition::for_start_date("2025/05/01"), Edition::Fide2024);
        assert_eq!(Edition::for_start_date("2026-02-28"), Edition::Fide2024);
        assert_eq!(Edition::for_start_date("2026/03/01"), Edition::Fide2026);
        assert_eq!(Edition::for_start_date("garbage"), Edition::Fide2026);
        assert_eq!(Edition::parse("2024").unwrap(), Edition::Fide2024);
        assert!(Edition::parse("2025").is_err());
        let e: Edition = serde_json::from_str("2024").unwrap();
        assert_eq!(e, Edition::Fide2024);
        assert_eq!(
            serde_json::to_string(&Edition::Fide2026).unwrap(),
            "\"2026\""
        );
    }

    #[test]
    fn values_print_as_decimals() {
        assert_eq!(Value(1250).to_string(), "12.5");
        assert_eq!(Value(1375).to_string(), "13.75");
        assert_eq!(Value(400).to_string(), "4");
        assert_eq!(Value(-25).to_string(), "-0.25");
        assert_eq!(Value(1250).fixed(2), "12.50");
        assert_eq!(Value(1250).fixed(1), "12.5");
        assert_eq!(serde_json::to_string(&Value(7250)).unwrap(), "72.5");
        assert_eq!(serde_json::to_string(&Value(212000)).unwrap(), "2120");
    }

    #[test]
    fn point_systems_parse() {
        let p = PointSystem::parse("3-1-0").unwrap();
        assert_eq!((p.win, p.draw, p.loss), (Value(300), Value(100), Value(0)));
        assert_eq!(
            PointSystem::parse("1-0.5-0").unwrap(),
            PointSystem::standard()
        );
        for bad in ["", "3-1", "1-1-0", "a-b-c", "1-0.555-0"] {
            assert!(PointSystem::parse(bad).is_err(), "{bad} accepted");
        }
    }
}

crate::codes::error_codes! {
TiebreakError {
    UnknownCode => "unknown_code", Invalid;
    UnknownEdition => "unknown_edition", Invalid;
    UnknownKind => "unknown_kind", Invalid;
    InvalidPointSystem => "invalid_point_system", Invalid;
}
}
