//! The FIDE Tournament Report File, TRF-16, with the extension lines pairing programs
//! exchange (`XXR`, `XXC`, `XXA`, `XXP`, `BB?`) and their TRF-2026 spellings.
//!
//! [`TrfDocument::parse`] accepts CR, LF and CRLF line ends; [`TrfDocument::write`] writes LF
//! and reading back what it wrote gives the same document.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::swiss::{
    Acceleration, Colour, GameResult, RoundRecord, StartNumber, SwissField, SwissPlayer,
};

/// An error in a TRF file, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("trf line {line}, column {column}: {kind}")]
pub struct TrfError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What was wrong.
    pub kind: TrfErrorKind,
}

/// What was wrong in a TRF line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrfErrorKind {
    /// A number field holds something else.
    #[error("invalid {field} {value:?}")]
    InvalidNumber {
        /// The field.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// A colour that is not `w`, `b` or `-`.
    #[error("invalid colour {value:?}")]
    InvalidColour {
        /// The text found.
        value: char,
    },
    /// A result code outside the TRF-16 set.
    #[error("invalid result code {value:?}")]
    InvalidResult {
        /// The text found.
        value: char,
    },
    /// A round entry that is inconsistent (e.g. an opponent with a bye code).
    #[error("inconsistent round entry {value:?}")]
    InconsistentEntry {
        /// The entry.
        value: String,
    },
    /// A line too short for its required fields.
    #[error("line too short for the {field}")]
    TooShort {
        /// The field.
        field: &'static str,
    },
    /// A starting number used twice.
    #[error("starting number {number} already used")]
    DuplicateNumber {
        /// The number.
        number: StartNumber,
    },
    /// An extension line with an unknown value.
    #[error("invalid value {value:?} for {tag}")]
    InvalidValue {
        /// The line tag.
        tag: &'static str,
        /// The value.
        value: String,
    },
}

/// One player line (`001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrfPlayer {
    /// Starting number.
    pub number: StartNumber,
    /// Sex column (column 10).
    pub sex: String,
    /// Title (columns 11–13).
    pub title: String,
    /// Name (columns 15–47).
    pub name: String,
    /// Rating (columns 49–52), 0 when blank.
    pub rating: u16,
    /// Federation (54–56).
    pub federation: String,
    /// FIDE id (58–68).
    pub fide_id: String,
    /// Birth date (70–79).
    pub birth_date: String,
    /// Points as written, in half points.
    pub points: u32,
    /// Rank as written (0 when blank).
    pub rank: u32,
    /// Round records, round 1 first.
    pub rounds: Vec<RoundRecord>,
}

/// A parsed TRF file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrfDocument {
    /// Lines other than players and known extensions, kept verbatim (tag included), in order.
    pub other_lines: Vec<String>,
    /// Player lines, by starting number.
    pub players: BTreeMap<StartNumber, TrfPlayer>,
    /// Number of rounds (`XXR` / `142`).
    pub total_rounds: Option<u32>,
    /// First-round colour of the top player (`XXC white1|black1` / `152`).
    pub initial_colour: Option<Colour>,
    /// Acceleration points per player and round (`XXA` / `250`): number -> half points.
    pub acceleration: BTreeMap<StartNumber, Vec<u32>>,
    /// Forbidden pairs (`XXP` / `260`).
    pub forbidden_pairs: BTreeSet<(StartNumber, StartNumber)>,
    /// Point system lines (`BBW`, `BBD`, … / `162`), tag -> value text.
    pub point_system: BTreeMap<String, String>,
    /// Pairing system (`092`/`192`), e.g. `FIDE_DUTCH_2025_BAKU`.
    pub system: Option<String>,
    /// Whether the TRF-2026 tag numbers were used for the extension lines.
    pub trf2026: bool,
}

impl TrfDocument {
    /// Parses a TRF file.
    ///
    /// # Errors
    /// A [`TrfError`] naming the line and column of the first bad field.
    pub fn parse(text: &str) -> Result<Self, TrfError> {
        let mut doc = Self::default();
        let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
        for (index, raw) in normalised.split('\n').enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let tag = raw.get(..3).unwrap_or(raw);
            let rest = raw.get(3..).unwrap_or("").trim();
            match tag {
                "001" => {
                    let player = parse_player(raw, line)?;
                    if doc.players.contains_key(&player.number) {
                        return Err(err(
                            line,
                            5,
                            TrfErrorKind::DuplicateNumber {
                                number: player.number,
                            },
                        ));
                    }
                    doc.players.insert(player.number, player);
                }
                "XXR" | "142" => {
                    doc.trf2026 |= tag == "142";
                    doc.total_rounds = Some(number(rest, line, 5, "number of rounds")?);
                }
                "XXC" | "152" => {
                    // The TRF-2026 spelling is remembered only from a line that sets
                    // something written back; otherwise it could not survive a round trip.
                    let mut colour = None;
                    for word in rest.split_whitespace() {
                        match word.to_ascii_lowercase().as_str() {
                            "white1" | "w" | "white" => colour = Some(Colour::White),
                            "black1" | "b" | "black" => colour = Some(Colour::Black),
                            "rank" => {}
                            _ => {
                                return Err(err(
                                    line,
                                    5,
                                    TrfErrorKind::InvalidValue {
                                        tag: "XXC",
                                        value: word.to_string(),
                                    },
                                ))
                            }
                        }
                    }
                    if colour.is_some() {
                        doc.initial_colour = colour;
                        doc.trf2026 |= tag == "152";
                    }
                }
                "XXA" | "250" => {
                    doc.trf2026 |= tag == "250";
                    let mut words = rest.split_whitespace();
                    let first = words.next().unwrap_or("");
                    let who: StartNumber = number(first, line, 5, "starting number")?;
                    let mut points = Vec::new();
                    for w in words {
                        points.push(half_points(w, line, 9, "acceleration points")?);
                    }
                    doc.acceleration.insert(who, points);
                }
                "XXP" | "260" => {
                    let ids: Vec<StartNumber> = rest
                        .split_whitespace()
                        .map(|w| number(w, line, 5, "starting number"))
                        .collect::<Result<_, _>>()?;
                    doc.trf2026 |= tag == "260" && ids.len() >= 2;
                    for (i, &a) in ids.iter().enumerate() {
                        for &b in &ids[i + 1..] {
                            doc.forbidden_pairs.insert((a.min(b), a.max(b)));
                        }
                    }
                }
                "BBW" | "BBD" | "BBL" | "BBZ" | "BBF" | "BBU" | "162" => {
                    doc.trf2026 |= tag == "162";
                    doc.point_system.insert(tag.to_string(), rest.to_string());
                }
                "192" => {
                    doc.trf2026 = true;
                    doc.system = Some(rest.to_string());
                }
                "092" => {
                    doc.system = Some(rest.to_string());
                    doc.other_lines.push(raw.to_string());
                }
                _ => doc.other_lines.push(raw.to_string()),
            }
        }
        Ok(doc)
    }

    /// Writes the document with LF line ends.
    pub fn write(&self) -> String {
        let mut out = String::new();
        for line in &self.other_lines {
            out.push_str(line);
            out.push('\n');
        }
        let (rounds_tag, colour_tag, accel_tag, forbidden_tag) = if self.trf2026 {
            ("142", "152", "250", "260")
        } else {
            ("XXR", "XXC", "XXA", "XXP")
        };
        if let Some(r) = self.total_rounds {
            out.push_str(&format!("{rounds_tag} {r}\n"));
        }
        if let Some(c) = self.initial_colour {
            let word = if c == Colour::White {
                "white1"
            } else {
                "black1"
            };
            out.push_str(&format!("{colour_tag} {word}\n"));
        }
        if self.trf2026 {
            if let Some(system) = &self.system {
                out.push_str(&format!("192 {system}\n"));
            }
        }
        for (tag, value) in &self.point_system {
            out.push_str(&format!("{tag} {value}\n"));
        }
        for (who, points) in &self.acceleration {
            out.push_str(&format!("{accel_tag} {who:4}"));
            for p in points {
                out.push_str(&format!(" {}", format_points(*p)));
            }
            out.push('\n');
        }
        for (a, b) in &self.forbidden_pairs {
            out.push_str(&format!("{forbidden_tag} {a} {b}\n"));
        }
        for player in self.players.values() {
            out.push_str(&write_player(player));
            out.push('\n');
        }
        out
    }

    /// The start date as written on the `042` line, if any.
    pub fn start_date(&self) -> Option<String> {
        self.other_line("042")
    }

    /// The type of tournament as written on the `092` (or `192`) line, if any.
    pub fn tournament_type(&self) -> Option<String> {
        self.other_line("092").or_else(|| self.system.clone())
    }

    fn other_line(&self, tag: &str) -> Option<String> {
        self.other_lines
            .iter()
            .find(|l| l.starts_with(tag))
            .map(|l| l.get(tag.len()..).unwrap_or("").trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The tournament the pairing engine works on.
    ///
    /// The initial colour comes from `XXC`; without it, from the first round with a colour
    /// as recorded (the top-ranked player paired by then, alternating downwards past the
    /// others paired by then; see `infer_initial_colour`).
    pub fn to_tournament(&self) -> SwissField {
        let players: Vec<SwissPlayer> = self
            .players
            .values()
            .map(|p| SwissPlayer {
                number: p.number,
                name: p.name.clone(),
                rating: p.rating,
                rounds: p.rounds.clone(),
            })
            .collect();
        let recorded = players
            .iter()
            .map(|p| p.rounds.len() as u32)
            .max()
            .unwrap_or(0);
        let acceleration = match self.system.as_deref() {
            Some(s) if s.to_ascii_uppercase().contains("BAKU") => Acceleration::Baku,
            _ => Acceleration::None,
        };
        SwissField {
            initial_colour: self
                .initial_colour
                .unwrap_or_else(|| infer_initial_colour(&players)),
            players,
            total_rounds: self.total_rounds.unwrap_or(recorded),
            acceleration,
            forbidden_pairs: self.forbidden_pairs.clone(),
        }
    }

    /// A document holding `tournament`: one player line per player (points recomputed from
    /// the rounds, no rank), the number of rounds, the initial colour, the forbidden pairs and,
    /// for Baku acceleration, the pairing system line. [`TrfDocument::to_tournament`] of the
    /// result gives `tournament` back (players in starting-number order) when its numbers and
    /// ratings fit their TRF columns (up to 9999) and its names fit 33 characters.
    pub fn from_tournament(tournament: &SwissField) -> Self {
        let mut doc = Self {
            total_rounds: Some(tournament.total_rounds),
            initial_colour: Some(tournament.initial_colour),
            ..Self::default()
        };
        if tournament.acceleration == Acceleration::Baku {
            let system = "FIDE_DUTCH_2025_BAKU".to_string();
            doc.other_lines.push(format!("092 {system}"));
            doc.system = Some(system);
        }
        for &(a, b) in &tournament.forbidden_pairs {
            doc.forbidden_pairs.insert((a.min(b), a.max(b)));
        }
        for p in &tournament.players {
            doc.players.insert(
                p.number,
                TrfPlayer {
                    number: p.number,
                    sex: String::new(),
                    title: String::new(),
                    name: p.name.clone(),
                    rating: p.rating,
                    federation: String::new(),
                    fide_id: String::new(),
                    birth_date: String::new(),
                    points: p.rounds.iter().map(RoundRecord::half_points).sum(),
                    rank: 0,
                    rounds: p.rounds.clone(),
                },
            );
        }
        doc
    }

    /// Replaces the players' rounds with those of `tournament`, recomputing points.
    pub fn set_rounds(&mut self, tournament: &SwissField) {
        for p in &tournament.players {
            if let Some(line) = self.players.get_mut(&p.number) {
                line.rounds = p.rounds.clone();
                line.points = p.rounds.iter().map(RoundRecord::half_points).sum();
            }
        }
    }
}

/// The initial colour a recorded tournament was paired with, read as bbpPairings v6.0.0 reads
/// it when the file does not give it: from the first round in which any player has a colour
/// (a game, forfeited or not), not necessarily round 1 (everybody may have been absent then).
/// The players are taken by starting number, counting only those paired (a game or the
/// pairing-allocated bye) in that round or before it, as C.04.3 article 5.2.6 numbers them;
/// the first of them with a colour in that round had the initial colour if he is counted odd
/// (1st, 3rd, …) and the other colour if even. White when no round has a colour.
fn infer_initial_colour(players: &[SwissPlayer]) -> Colour {
    let Some(first) = players
        .iter()
        .filter_map(|p| {
            p.rounds
                .iter()
                .position(|r| matches!(r, RoundRecord::Game { .. }))
        })
        .min()
    else {
        return Colour::White;
    };
    let mut sorted: Vec<&SwissPlayer> = players.iter().collect();
    sorted.sort_by_key(|p| p.number);
    let mut position = 0usize;
    for p in sorted {
        let paired = p
            .rounds
            .iter()
            .take(first + 1)
            .any(|r| matches!(r, RoundRecord::Game { .. } | RoundRecord::PairingBye));
        if !paired {
            continue;
        }
        if let Some(RoundRecord::Game { colour, .. }) = p.rounds.get(first) {
            return if position % 2 == 0 {
                *colour
            } else {
                colour.opposite()
            };
        }
        position += 1;
    }
    Colour::White
}

fn err(line: usize, column: usize, kind: TrfErrorKind) -> TrfError {
    TrfError { line, column, kind }
}

fn number<T: std::str::FromStr>(
    text: &str,
    line: usize,
    column: usize,
    field: &'static str,
) -> Result<T, TrfError> {
    text.trim().parse().map_err(|_| {
        err(
            line,
            column,
            TrfErrorKind::InvalidNumber {
                field,
                value: text.trim().to_string(),
            },
        )
    })
}

fn half_points(
    text: &str,
    line: usize,
    column: usize,
    field: &'static str,
) -> Result<u32, TrfError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    let bad = || {
        err(
            line,
            column,
            TrfErrorKind::InvalidNumber {
                field,
                value: t.to_string(),
            },
        )
    };
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, "0"),
    };
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let half = match frac.trim_end_matches('0') {
        "" => 0,
        "5" => 1,
        _ => return Err(bad()),
    };
    whole
        .checked_mul(2)
        .and_then(|w| w.checked_add(half))
        .ok_or_else(bad)
}

fn format_points(half: u32) -> String {
    format!("{}.{}", half / 2, if half % 2 == 1 { 5 } else { 0 })
}

/// Points for the four columns 81–84: `12.5`, or a whole number without `.0` when it would
/// not fit (`260` rather than `260.0`, which would shift every later column).
fn points_column(half: u32) -> String {
    let text = format_points(half);
    if text.len() > 4 && half % 2 == 0 {
        (half / 2).to_string()
    } else {
        text
    }
}

/// Characters `from..=to` (1-based columns) of `raw`, or "" past the end.
fn columns(raw: &str, from: usize, to: usize) -> &str {
    let start = from - 1;
    if start >= raw.len() {
        return "";
    }
    let end = to.min(raw.len());
    raw.get(start..end).unwrap_or("")
}

fn parse_player(raw: &str, line: usize) -> Result<TrfPlayer, TrfError> {
    if !raw.is_ascii() {
        // Names may carry non-ASCII letters; fixed columns are counted in characters then.
        let ascii: String = raw
            .chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect();
        let mut player = parse_player(&ascii, line)?;
        let chars: Vec<char> = raw.chars().collect();
        player.name = chars
            .get(14..47.min(chars.len()))
            .map(|s| s.iter().collect::<String>())
            .unwrap_or_default()
            .trim()
            .to_string();
        return Ok(player);
    }
    if raw.len() < 8 {
        return Err(err(
            line,
            5,
            TrfErrorKind::TooShort {
                field: "starting number",
            },
        ));
    }
    let number_text = columns(raw, 5, 8);
    let rating_text = columns(raw, 49, 52).trim();
    let rank_text = columns(raw, 86, 89).trim();
    let mut player = TrfPlayer {
        number: number(number_text, line, 5, "starting number")?,
        sex: columns(raw, 10, 10).trim().to_string(),
        title: columns(raw, 11, 13).trim().to_string(),
        name: columns(raw, 15, 47).trim().to_string(),
        rating: if rating_text.is_empty() {
            0
        } else {
            number(rating_text, line, 49, "rating")?
        },
        federation: columns(raw, 54, 56).trim().to_string(),
        fide_id: columns(raw, 58, 68).trim().to_string(),
        birth_date: columns(raw, 70, 79).trim().to_string(),
        points: half_points(columns(raw, 81, 84), line, 81, "points")?,
        rank: if rank_text.is_empty() {
            0
        } else {
            number(rank_text, line, 86, "rank")?
        },
        rounds: Vec::new(),
    };
    let mut start = 92;
    while start <= raw.len() {
        let entry = columns(raw, start, start + 7);
        if entry.trim().is_empty() {
            player.rounds.push(RoundRecord::ZeroBye);
            start += 10;
            continue;
        }
        player.rounds.push(parse_entry(entry, line, start)?);
        start += 10;
    }
    while matches!(player.rounds.last(), Some(RoundRecord::ZeroBye))
        && columns(
            raw,
            92 + 10 * (player.rounds.len() - 1),
            92 + 10 * (player.rounds.len() - 1) + 7,
        )
        .trim()
        .is_empty()
    {
        player.rounds.pop();
    }
    Ok(player)
}

fn parse_entry(entry: &str, line: usize, start: usize) -> Result<RoundRecord, TrfError> {
    let opponent_text = columns(entry, 1, 4).trim();
    let colour_char = columns(entry, 6, 6).chars().next().unwrap_or(' ');
    let result_char = columns(entry, 8, 8).chars().next().unwrap_or(' ');
    let opponent: u32 = if opponent_text.is_empty() {
        0
    } else {
        number(opponent_text, line, start, "opponent")?
    };
    let colour = match colour_char {
        'w' | 'W' => Some(Colour::White),
        'b' | 'B' => Some(Colour::Black),
        '-' | ' ' => None,
        other => {
            return Err(err(
                line,
                start + 5,
                TrfErrorKind::InvalidColour { value: other },
            ))
        }
    };
    let inconsistent = || {
        err(
            line,
            start,
            TrfErrorKind::InconsistentEntry {
                value: entry.to_string(),
            },
        )
    };
    if opponent == 0 {
        return match result_char {
            'U' => Ok(RoundRecord::PairingBye),
            'H' => Ok(RoundRecord::HalfBye),
            'F' | '+' => Ok(RoundRecord::FullBye),
            'Z' | '-' | ' ' | '0' => Ok(RoundRecord::ZeroBye),
            '=' => Ok(RoundRecord::HalfBye),
            '1' | 'W' | 'D' | 'L' => Err(inconsistent()),
            other => Err(err(
                line,
                start + 7,
                TrfErrorKind::InvalidResult { value: other },
            )),
        };
    }
    let result = match result_char {
        '1' | 'W' => GameResult::Win,
        '=' | 'D' => GameResult::Draw,
        '0' | 'L' => GameResult::Loss,
        '+' => GameResult::ForfeitWin,
        '-' => GameResult::ForfeitLoss,
        'H' | 'F' | 'U' | 'Z' => return Err(inconsistent()),
        other => {
            return Err(err(
                line,
                start + 7,
                TrfErrorKind::InvalidResult { value: other },
            ))
        }
    };
    let Some(colour) = colour else {
        return Err(inconsistent());
    };
    Ok(RoundRecord::Game {
        opponent,
        colour,
        result,
    })
}

fn write_player(p: &TrfPlayer) -> String {
    let mut line = format!(
        "001 {:>4} {:1}{:>3} {:<33} {:>4} {:>3} {:>11} {:>10} {:>4} {:>4}",
        p.number,
        p.sex,
        p.title,
        p.name,
        if p.rating == 0 {
            String::new()
        } else {
            p.rating.to_string()
        },
        p.federation,
        p.fide_id,
        p.birth_date,
        points_column(p.points),
        if p.rank == 0 {
            String::new()
        } else {
            p.rank.to_string()
        },
    );
    for r in &p.rounds {
        line.push_str("  ");
        line.push_str(&match r {
            RoundRecord::Game {
                opponent,
                colour,
                result,
            } => format!(
                "{:>4} {} {}",
                opponent,
                if *colour == Colour::White { 'w' } else { 'b' },
                match result {
                    GameResult::Win => '1',
                    GameResult::Draw => '=',
                    GameResult::Loss => '0',
                    GameResult::ForfeitWin => '+',
                    GameResult::ForfeitLoss => '-',
                }
            ),
            RoundRecord::PairingBye => "0000 - U".to_string(),
            RoundRecord::HalfBye => "0000 - H".to_string(),
            RoundRecord::FullBye => "0000 - F".to_string(),
            RoundRecord::ZeroBye => "0000 - Z".to_string(),
        });
    }
    line.trim_end().to_string()
}
