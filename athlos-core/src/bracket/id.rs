//! Match identifiers: structured, ordered, and written as short stable strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::BracketError;

/// The part of a bracket a match belongs to.
///
/// The declaration order is the order in which parts are generated and played: a match only
/// ever depends on matches of an earlier part, or of an earlier round of its own part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Part {
    /// A round-robin pool (round robin and the first stage of groups). Id `POOL-A-R1-M2`.
    Pool,
    /// The main table of a single elimination or a repechage bracket. Id `MAIN-R1-M3`.
    Main,
    /// The winners' bracket of a double elimination. Id `WB-R1-M3`.
    Winners,
    /// The knockout after the pools of a groups stage. Id `KO-R1-M1`.
    Knockout,
    /// The losers' bracket of a double elimination. Id `LB-R2-M1`.
    Losers,
    /// The repechage of a judo bracket: round 1 are the repechage contests, round 2 the bronze
    /// medal contests. Id `REP-R1-M1`.
    Repechage,
    /// The grand final of a double elimination; round 2 is the bracket reset. Id `GF-1`, `GF-2`.
    GrandFinal,
    /// The third-place match of a single elimination or a knockout. Id `3RD`.
    ThirdPlace,
}

impl Part {
    fn prefix(self) -> &'static str {
        match self {
            Part::Pool => "POOL",
            Part::Main => "MAIN",
            Part::Winners => "WB",
            Part::Knockout => "KO",
            Part::Losers => "LB",
            Part::Repechage => "REP",
            Part::GrandFinal => "GF",
            Part::ThirdPlace => "3RD",
        }
    }
}

/// Identifies a match within a bracket; the same structure always gets the same ids.
///
/// Written as a string: `{PART}-R{round}-M{number}` (`MAIN-R1-M3`, `WB-R2-M1`, `LB-R3-M2`,
/// `KO-R1-M1`, `REP-R1-M2`), `POOL-{letter}-R{round}-M{number}` for pools (`POOL-A-R1-M2`;
/// pools after Z are AA, AB, …), `GF-1` / `GF-2` for the grand final and its reset, and `3RD`
/// for the third-place match. Ids order by part (in playing order), pool, round and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MatchId {
    part: Part,
    pool: u32,
    round: u32,
    number: u32,
}

impl MatchId {
    pub(crate) fn new(part: Part, pool: u32, round: u32, number: u32) -> Self {
        Self {
            part,
            pool,
            round,
            number,
        }
    }

    /// The part of the bracket.
    pub fn part(self) -> Part {
        self.part
    }

    /// The 1-based pool number for [`Part::Pool`] matches.
    pub fn pool(self) -> Option<u32> {
        (self.part == Part::Pool).then_some(self.pool)
    }

    /// The 1-based round within the part (or pool).
    pub fn round(self) -> u32 {
        self.round
    }

    /// The 1-based match number within the round.
    pub fn number(self) -> u32 {
        self.number
    }
}

/// The letters of a 1-based pool number: 1 → A, 26 → Z, 27 → AA.
pub(crate) fn pool_letters(mut number: u32) -> String {
    let mut letters = Vec::new();
    while number > 0 {
        let rem = (number - 1) % 26;
        // rem < 26, so the byte stays within 'A'..='Z'.
        letters.push(char::from(b'A' + rem as u8));
        number = (number - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn parse_pool_letters(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 6 {
        return None;
    }
    let mut value: u32 = 0;
    for c in text.bytes() {
        if !c.is_ascii_uppercase() {
            return None;
        }
        value = value * 26 + u32::from(c - b'A') + 1;
    }
    Some(value)
}

impl fmt::Display for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.part {
            Part::GrandFinal => write!(f, "GF-{}", self.round),
            Part::ThirdPlace => f.write_str("3RD"),
            Part::Pool => write!(
                f,
                "POOL-{}-R{}-M{}",
                pool_letters(self.pool),
                self.round,
                self.number
            ),
            part => write!(f, "{}-R{}-M{}", part.prefix(), self.round, self.number),
        }
    }
}

impl FromStr for MatchId {
    type Err = BracketError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BracketError::InvalidMatchId {
            text: text.to_owned(),
        };
        if text == "3RD" {
            return Ok(MatchId::new(Part::ThirdPlace, 0, 1, 1));
        }
        let mut pieces = text.split('-');
        let prefix = pieces.next().ok_or_else(bad)?;
        let number_after = |piece: Option<&str>, letter: char| -> Option<u32> {
            let digits = piece?.strip_prefix(letter)?;
            if digits.is_empty() || digits.starts_with('0') || digits.len() > 9 {
                return None;
            }
            digits.parse().ok()
        };
        let id = match prefix {
            "GF" => {
                let round = pieces.next().ok_or_else(bad)?;
                match round {
                    "1" => MatchId::new(Part::GrandFinal, 0, 1, 1),
                    "2" => MatchId::new(Part::GrandFinal, 0, 2, 1),
                    _ => return Err(bad()),
                }
            }
            "POOL" => {
                let pool = parse_pool_letters(pieces.next().ok_or_else(bad)?).ok_or_else(bad)?;
                let round = number_after(pieces.next(), 'R').ok_or_else(bad)?;
                let number = number_after(pieces.next(), 'M').ok_or_else(bad)?;
                MatchId::new(Part::Pool, pool, round, number)
            }
            _ => {
                let part = [
                    Part::Main,
                    Part::Winners,
                    Part::Knockout,
                    Part::Losers,
                    Part::Repechage,
                ]
                .into_iter()
                .find(|p| p.prefix() == prefix)
                .ok_or_else(bad)?;
                let round = number_after(pieces.next(), 'R').ok_or_else(bad)?;
                let number = number_after(pieces.next(), 'M').ok_or_else(bad)?;
                MatchId::new(part, 0, round, number)
            }
        };
        if pieces.next().is_some() {
            return Err(bad());
        }
        Ok(id)
    }
}

impl Serialize for MatchId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MatchId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        for id in [
            MatchId::new(Part::Main, 0, 1, 3),
            MatchId::new(Part::Winners, 0, 2, 1),
            MatchId::new(Part::Losers, 0, 12, 400),
            MatchId::new(Part::Pool, 1, 1, 2),
            MatchId::new(Part::Pool, 28, 3, 1),
            MatchId::new(Part::GrandFinal, 0, 2, 1),
            MatchId::new(Part::ThirdPlace, 0, 1, 1),
            MatchId::new(Part::Repechage, 0, 2, 2),
            MatchId::new(Part::Knockout, 0, 1, 1),
        ] {
            let text = id.to_string();
            assert_eq!(text.parse::<MatchId>().unwrap(), id, "{text}");
        }
        assert_eq!(
            MatchId::new(Part::Pool, 28, 3, 1).to_string(),
            "POOL-AB-R3-M1"
        );
        assert_eq!(MatchId::new(Part::Winners, 0, 1, 3).to_string(), "WB-R1-M3");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for text in [
            "",
            "WB",
            "WB-R1",
            "WB-R0-M1",
            "WB-R01-M1",
            "XX-R1-M1",
            "GF-3",
            "POOL-a-R1-M1",
            "WB-R1-M1-M2",
            "3RD-1",
        ] {
            assert!(text.parse::<MatchId>().is_err(), "{text}");
        }
    }

    #[test]
    fn ids_order_by_part_then_round() {
        let wb = MatchId::new(Part::Winners, 0, 3, 1);
        let lb = MatchId::new(Part::Losers, 0, 1, 1);
        assert!(wb < lb);
        assert!(lb < MatchId::new(Part::GrandFinal, 0, 1, 1));
    }
}
