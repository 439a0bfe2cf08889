//! The document's JSON shapes (`TournamentInfo`, `Tournament`, `Result`, `Pairing`,
//! `GameExport`) and the PGN export, made from the core's tournament.
//!
//! The PGN export ([`pgn`], `GET /api/tournament/{id}/export/games`, the default type
//! `application/x-chess-pgn`) writes every game with two players, round by round in board
//! order, as one block: the tags `Event` (the tournament's name), `Site` (`NowChess`),
//! `Date` (the tournament's start, else its announced start, `YYYY.MM.DD`, else
//! `????.??.??`), `Round`,
//! `White`, `Black`, `Result` (`1-0`, `0-1`, `1/2-1/2`, `*` while played; a double forfeit
//! is `1/2-1/2`) and `GameId` (the board service's id), a blank line, then the movetext: the
//! moves the board service reported with the game's end, replayed by the core
//! ([`athlos_core::chess`]) and written in SAN with move numbers (`1. e4 e5 2. Nf3 Nc6`),
//! ending with the result token, in lines under 80 characters, a full move never split. A
//! game without moves (still played, forfeited, or reported without them) has only the
//! result token.

use serde::Serialize;
use serde_json::{json, Value};

use athlos_core::bracket::MatchResult;
use athlos_core::chess;
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::ParticipantId;
use athlos_core::swiss::play::{SwissGame, SwissStanding};
use athlos_core::tournament::{Play, Tournament};

/// The tie-break the document's `tieBreak` reports: Buchholz.
pub const TIE_BREAK: &str = "BH";

/// The document's status of a lifecycle state: `registration` is `created` (bots may
/// join), `active` is `started`, `completed` and `archived` are `finished`. `draft` is shown
/// as `created` (a NowChess tournament is published when it is created, so it is never seen
/// in draft); `cancelled` has no status: a terminated tournament is gone from this API
/// (404, and absent from the lists).
pub fn status(state: TournamentState) -> Option<&'static str> {
    match state {
        TournamentState::Draft | TournamentState::Registration => Some("created"),
        TournamentState::Active => Some("started"),
        TournamentState::Completed | TournamentState::Archived => Some("finished"),
        // Cancelled, and any state the core adds later: not shown.
        _ => None,
    }
}

/// Whether `tournament` is one of this API's: a Swiss played on a board service, not
/// terminated.
pub fn is_nowchess(tournament: &Tournament) -> bool {
    tournament.board.is_some()
        && tournament.rules.swiss.is_some()
        && status(tournament.state).is_some()
}

/// A bot as `BotRef`: its id and display name.
pub fn bot_ref(tournament: &Tournament, id: &ParticipantId) -> Value {
    let name = tournament
        .entries
        .iter()
        .find(|p| &p.id == id)
        .map_or(id.as_str(), |p| p.name.as_str());
    json!({"id": id.as_str(), "name": name})
}

/// The `TournamentInfo` of a tournament.
pub fn info(tournament: &Tournament) -> serde_json::Map<String, Value> {
    let board = tournament
        .board
        .unwrap_or(athlos_core::tournament::BoardGames {
            clock_limit: 0,
            clock_increment: 0,
            rated: false,
        });
    let rounds = tournament.rules.swiss.as_ref().map_or(0, |r| r.rounds);
    let mut info = serde_json::Map::new();
    info.insert("id".into(), json!(tournament.id.as_str()));
    info.insert("fullName".into(), json!(tournament.name));
    info.insert(
        "clock".into(),
        json!({"limit": board.clock_limit, "increment": board.clock_increment}),
    );
    info.insert(
        "variant".into(),
        json!({"key": "standard", "name": "Standard"}),
    );
    info.insert("rated".into(), json!(board.rated));
    info.insert("nbPlayers".into(), json!(tournament.entries.len()));
    info.insert("nbRounds".into(), json!(rounds));
    if let Some(director) = &tournament.director {
        info.insert("createdBy".into(), json!(director));
    }
    // The announced start, else the start itself once it happened.
    if let Some(starts_at) = tournament.starts_at.or(tournament.started_at) {
        info.insert(
            "startsAt".into(),
            json!(starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    info
}

/// A number of points or a tie-break (hundredths in the core) as the document's double.
fn double(hundredths: i64) -> f64 {
    // Exact for every value a tournament reaches (well below 2^53 hundredths).
    #[allow(clippy::cast_precision_loss)]
    let value = hundredths as f64;
    value / 100.0
}

/// The ranked results (`Result` objects): the core's Swiss standings once started, every
/// entry level on zero before.
pub fn results(tournament: &Tournament) -> Vec<Value> {
    let rows: Vec<SwissStanding> = match (tournament.swiss(), &tournament.rules.swiss) {
        (Some(play), Some(rules)) => play.standings(&tournament.entries, rules),
        _ => Vec::new(),
    };
    if rows.is_empty() {
        return tournament
            .entries
            .iter()
            .map(|entry| {
                json!({"rank": 1, "points": 0.0, "tieBreak": 0.0, "bot": bot_ref(tournament, &entry.id),
                       "nbGames": 0, "wins": 0, "draws": 0, "losses": 0})
            })
            .collect();
    }
    rows.iter()
        .map(|row| {
            let tie_break = row.tiebreaks.get(TIE_BREAK).map_or(0, |v| v.0);
            json!({
                "rank": row.rank,
                "points": double(row.points.0),
                "tieBreak": double(tie_break),
                "bot": bot_ref(tournament, &row.participant),
                "nbGames": row.wins + row.draws + row.losses,
                "wins": row.wins,
                "draws": row.draws,
                "losses": row.losses,
            })
        })
        .collect()
}

/// How many results the embedded `standing` page holds.
pub const STANDING_PAGE: usize = 10;

/// The `Tournament` of a tournament: its info, status, round, the first page of standings
/// and, once finished, the winner.
pub fn tournament(tournament: &Tournament) -> Value {
    let mut view = info(tournament);
    let status = status(tournament.state).unwrap_or("created");
    view.insert("status".into(), json!(status));
    view.insert("round".into(), json!(tournament.round));
    let results = results(tournament);
    if status == "finished" {
        let winner = results.first().map_or(Value::Null, |r| r["bot"].clone());
        view.insert("winner".into(), winner);
    }
    let players: Vec<Value> = results.into_iter().take(STANDING_PAGE).collect();
    view.insert("standing".into(), json!({"page": 1, "players": players}));
    Value::Object(view)
}

/// The games of round `number` with two sides (a bye is no game), in board order.
pub fn games(tournament: &Tournament, number: u32) -> Vec<&SwissGame> {
    match &tournament.play {
        Some(Play::Swiss(play)) => play
            .round(number)
            .map(|r| r.games.iter().filter(|g| g.black.is_some()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The id a game goes by: the board service's id once the game is created there (the
/// `board.game_created` the tournament records); until then, its match id in the tournament.
pub fn game_id(tournament: &Tournament, game: &SwissGame) -> String {
    tournament
        .board_games
        .get(&game.id)
        .cloned()
        .unwrap_or_else(|| game.id.to_string())
}

/// `white`, `black` or `draw` for a decided game (a double forfeit counts as a draw of
/// nobody: `draw`), `None` while it is played.
pub fn winner(game: &SwissGame) -> Option<&'static str> {
    let result: &MatchResult = game.result.as_ref()?;
    Some(match result.winner() {
        Some(winner) if *winner == game.white => "white",
        Some(_) => "black",
        None => "draw",
    })
}

/// One game as `Pairing`, or (with `moves`) as `GameExport`.
pub fn game(tournament: &Tournament, round: u32, game: &SwissGame, moves: bool) -> Value {
    let black = game.black.as_ref().map(|b| bot_ref(tournament, b));
    let mut view = json!({
        if moves { "id" } else { "gameId" }: game_id(tournament, game),
        "round": round,
        "white": bot_ref(tournament, &game.white),
        "black": black,
        "winner": winner(game),
    });
    if moves {
        // The moves the board service reported with the game's end ("" before it ends).
        view["moves"] = json!(tournament
            .board_moves
            .get(&game.id)
            .map_or("", String::as_str));
    }
    view
}

/// Every round paired so far, first to last.
pub fn rounds(tournament: &Tournament) -> u32 {
    tournament
        .swiss()
        .map_or(0, |p| u32::try_from(p.rounds.len()).unwrap_or(u32::MAX))
}

/// A PGN tag value: backslashes and quotes escaped, line breaks dropped.
fn tag(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '\\' | '"' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The longest line of a game's movetext: PGN asks for lines under 80 characters.
pub const PGN_LINE: usize = 79;

/// The PGN result token of a game (`*` while it is played).
fn result_token(game: &SwissGame) -> &'static str {
    match winner(game) {
        Some("white") => "1-0",
        Some("black") => "0-1",
        Some(_) => "1/2-1/2",
        None => "*",
    }
}

/// The `Date` tag: when the tournament started (`started_at`), else its announced start
/// (`starts_at`), as `YYYY.MM.DD`; `????.??.??` when it has neither.
fn pgn_date(tournament: &Tournament) -> String {
    tournament.started_at.or(tournament.starts_at).map_or_else(
        || "????.??.??".to_owned(),
        |at| at.format("%Y.%m.%d").to_string(),
    )
}

/// `words` separated by spaces, a line ending before a word that would make it longer than
/// [`PGN_LINE`].
fn wrap(words: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in words {
        if line > 0 && line + 1 + word.len() > PGN_LINE {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        line += word.len();
        out.push_str(&word);
    }
    out
}

/// The movetext of `game`: its moves in SAN, numbered (`1. e4 e5 2. Nf3`), then the result
/// token, wrapped under 80 characters. A game without moves has only the result; moves that
/// do not replay (recorded before the core checked them) are left out with a comment that
/// says why.
fn movetext(tournament: &Tournament, game: &SwissGame) -> String {
    let moves = tournament
        .board_moves
        .get(&game.id)
        .map_or("", String::as_str);
    let mut words: Vec<String> = match chess::replay(moves) {
        Ok(replayed) => replayed.numbered(),
        Err(error) => format!(
            "{{moves left out: {}}}",
            error.to_string().replace(['{', '}'], "")
        )
        .split_whitespace()
        .map(str::to_owned)
        .collect(),
    };
    words.push(result_token(game).to_owned());
    wrap(words)
}

/// Every game as PGN, one block a game: the seven-tag roster (`Date` from the tournament's
/// announced start), the game id, a blank line, the movetext (the moves in SAN, numbered, then
/// the result) and a blank line.
pub fn pgn(tournament: &Tournament) -> String {
    let mut out = String::new();
    for round in 1..=rounds(tournament) {
        for game in games(tournament, round) {
            let result = result_token(game);
            let name = |id: &Option<ParticipantId>| {
                id.as_ref()
                    .map(|id| {
                        bot_ref(tournament, id)["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .unwrap_or_default()
            };
            let lines = [
                ("Event", tournament.name.clone()),
                ("Site", "NowChess".to_owned()),
                ("Date", pgn_date(tournament)),
                ("Round", round.to_string()),
                ("White", name(&Some(game.white.clone()))),
                ("Black", name(&game.black)),
                ("Result", result.to_owned()),
                ("GameId", game_id(tournament, game)),
            ];
            for (key, value) in lines {
                out.push_str(&format!("[{key} \"{}\"]\n", tag(&value)));
            }
            out.push('\n');
            out.push_str(&movetext(tournament, game));
            out.push_str("\n\n");
        }
    }
    out
}

/// NDJSON: one JSON value a line.
pub fn ndjson<T: Serialize>(lines: &[T]) -> String {
    lines
        .iter()
        .filter_map(|line| serde_json::to_string(line).ok())
        .map(|line| line + "\n")
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_long_movetext_wraps_under_80_characters_between_full_moves() {
        let game = chess::replay(&vec!["g1f3 g8f6 f3g1 f6g8"; 40].join(" ")).unwrap();
        let mut words = game.numbered();
        words.push("1/2-1/2".to_owned());
        let text = wrap(words.clone());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 3, "{text}");
        for (n, line) in lines.iter().enumerate() {
            assert!(line.len() <= PGN_LINE, "{line}");
            // A line starts with a move number (the result may open the last one), and
            // holds as many full moves as fit.
            let first = line.split(' ').next().unwrap();
            assert!(first.ends_with('.') || *line == "1/2-1/2", "{line}");
            if let Some(next) = lines.get(n + 1) {
                let unit = next.split(' ').take(3).collect::<Vec<_>>().join(" ");
                assert!(line.len() + 1 + unit.len() > PGN_LINE, "{line} | {next}");
            }
        }
        assert_eq!(text.replace('\n', " "), words.join(" "));
        assert!(
            text.starts_with("1. Nf3 Nf6 2. Ng1 Ng8 3. Nf3 Nf6"),
            "{text}"
        );
        assert!(text.ends_with("80. Ng1 Ng8 1/2-1/2"), "{text}");
        assert_eq!(wrap(["*".to_owned()]), "*");
    }

    #[test]
    fn the_date_is_the_start_else_the_announced_start_else_unknown() {
        let mut t: Tournament = serde_json::from_value(json!({
            "id": "t1", "name": "T", "rules": {"swiss": {"rounds": 3}},
            "state": "registration", "entries": [], "bracket": null, "round": 0
        }))
        .unwrap();
        assert_eq!(pgn_date(&t), "????.??.??");
        t.starts_at = chrono::DateTime::from_timestamp(1_796_644_800, 0);
        assert_eq!(pgn_date(&t), "2026.12.07");
        // Started a day after the announced start: the day it started.
        t.started_at = chrono::DateTime::from_timestamp(1_796_644_800 + 86_400, 0);
        assert_eq!(pgn_date(&t), "2026.12.08");
    }
}
