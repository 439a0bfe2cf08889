//! Chess games as a board service reports them: a list of UCI moves (`e2e4`, `e7e8q`, castling
//! as the king's two-square move `e1g1`), replayed from the standard initial position.
//!
//! [`replay`] checks that the list is a legal game — every move well formed, legal in the
//! position it is played in, none after the game ended on the board — and answers each move
//! in Standard Algebraic Notation (SAN: `Nf3`, `exd6`, `Rad1`, `e8=Q+`, `O-O-O`, `Qxf7#`) and
//! how the game ended on the board, if it did ([`Ending`]: checkmate or stalemate). A refusal
//! ([`GameError`]) says which move, counted from 1 in the list, and why.
//!
//! The legal moves of a position come from the `cozy-chess` crate; the SAN of a move is
//! written here, from the position and its legal moves: the piece letter (none for a pawn),
//! the file, the rank or both of the square it leaves only when another piece of the same
//! kind could reach the same square, `x` for a capture (the pawn's file first; en passant
//! too), the target square, `=` and the piece of a promotion, `+` for check and `#` for mate.

use std::fmt;

use cozy_chess::util::{display_uci_move, parse_uci_move};
use cozy_chess::{Board, Color, File, Move, Piece, Rank};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most moves (plies) a game may have.
pub const MAX_PLIES: usize = 2_000;

/// A side of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// White, who moves first.
    White,
    /// Black.
    Black,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::White => "White",
            Side::Black => "Black",
        })
    }
}

/// How a game ended on the board: the side to move has no legal move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The side to move is in check: the other side won.
    Checkmate {
        /// Who gave mate.
        winner: Side,
    },
    /// The side to move is not in check: a draw.
    Stalemate,
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Checkmate { winner } => write!(f, "checkmate by {winner}"),
            Ending::Stalemate => f.write_str("stalemate"),
        }
    }
}

/// Why a move of the list is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MoveFault {
    /// Not a UCI move: two squares `a1`–`h8`, then optionally `q`, `r`, `b` or `n`.
    NotUci,
    /// Well formed, but not a legal move in the position it is played in.
    Illegal,
    /// The game had already ended on the board.
    AfterEnd(Ending),
}

impl fmt::Display for MoveFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoveFault::NotUci => f.write_str("not a UCI move (such as e2e4, e7e8q or e1g1)"),
            MoveFault::Illegal => f.write_str("not a legal move in the position"),
            MoveFault::AfterEnd(ending) => write!(f, "the game had already ended in {ending}"),
        }
    }
}

/// A move list that is not a legal game from the initial position.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GameError {
    /// More moves than [`MAX_PLIES`].
    #[error("{moves} moves: a game has at most {max}")]
    TooLong {
        /// The moves given.
        moves: usize,
        /// The most allowed.
        max: usize,
    },
    /// The first move refused.
    #[error("move {ply} (\"{uci}\", {side}'s move {number}): {fault}")]
    Move {
        /// Its place in the list, from 1.
        ply: usize,
        /// Its full-move number in the game (`3` for both sides' third move).
        number: usize,
        /// Who plays it.
        side: Side,
        /// The move as given.
        uci: String,
        /// Why it is refused.
        fault: MoveFault,
    },
}

/// One move of a replayed game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedMove {
    /// The move in UCI (castling as the king's two-square move).
    pub uci: String,
    /// The move in SAN.
    pub san: String,
}

/// A legal game from the initial position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Game {
    /// The moves, in order.
    pub moves: Vec<PlayedMove>,
    /// How it ended on the board (`None`: the side to move has a legal move).
    pub ending: Option<Ending>,
}

impl Game {
    /// The moves in UCI separated by single spaces.
    pub fn uci(&self) -> String {
        self.words(|m| &m.uci)
    }

    /// The moves in SAN separated by single spaces.
    pub fn san(&self) -> String {
        self.words(|m| &m.san)
    }

    /// The moves in SAN as PGN numbers them, a full move a string: `["1. e4 e5", "2. Nf3"]`.
    pub fn numbered(&self) -> Vec<String> {
        self.moves
            .chunks(2)
            .enumerate()
            .map(|(n, pair)| {
                let sans: Vec<&str> = pair.iter().map(|m| m.san.as_str()).collect();
                format!("{}. {}", n + 1, sans.join(" "))
            })
            .collect()
    }

    fn words(&self, part: impl Fn(&PlayedMove) -> &String) -> String {
        let words: Vec<&str> = self.moves.iter().map(|m| part(m).as_str()).collect();
        words.join(" ")
    }
}

/// Whether `text` has the shape of a UCI move: two squares `a1`–`h8`, then optionally `q`,
/// `r`, `b` or `n`.
pub fn is_uci(text: &str) -> bool {
    let square =
        |file: u8, rank: u8| (b'a'..=b'h').contains(&file) && (b'1'..=b'8').contains(&rank);
    let b = text.as_bytes();
    match b.len() {
        4 => square(b[0], b[1]) && square(b[2], b[3]),
        5 => square(b[0], b[1]) && square(b[2], b[3]) && b"qrbn".contains(&b[4]),
        _ => false,
    }
}

/// Replays `text`, UCI moves separated by white space, from the standard initial position.
///
/// # Errors
/// [`GameError::TooLong`] beyond [`MAX_PLIES`] moves; [`GameError::Move`] for the first move
/// that is not UCI, not legal where it is played, or played after the game ended.
pub fn replay(text: &str) -> Result<Game, GameError> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens.len() > MAX_PLIES {
        return Err(GameError::TooLong {
            moves: tokens.len(),
            max: MAX_PLIES,
        });
    }
    let mut board = Board::default();
    let mut game = Game::default();
    for (index, uci) in tokens.into_iter().enumerate() {
        let refuse = |fault| GameError::Move {
            ply: index + 1,
            number: index / 2 + 1,
            side: side(board.side_to_move()),
            uci: uci.to_owned(),
            fault,
        };
        if let Some(ending) = ending(&board) {
            return Err(refuse(MoveFault::AfterEnd(ending)));
        }
        let mv = standard_move(&board, uci).map_err(refuse)?;
        game.moves.push(PlayedMove {
            uci: uci.to_owned(),
            san: san(&board, mv),
        });
        board.play_unchecked(mv);
    }
    game.ending = ending(&board);
    Ok(game)
}

/// The legal move of `board` that `uci` (standard UCI) names.
fn standard_move(board: &Board, uci: &str) -> Result<Move, MoveFault> {
    if !is_uci(uci) {
        return Err(MoveFault::NotUci);
    }
    let mv = parse_uci_move(board, uci).map_err(|_| MoveFault::NotUci)?;
    // Castling is accepted only as the king's two-square move: the king taking its own rook
    // (how the move generator writes it) is no standard UCI.
    if !legal_moves(board).contains(&mv) || display_uci_move(board, mv).to_string() != uci {
        return Err(MoveFault::Illegal);
    }
    Ok(mv)
}

fn side(color: Color) -> Side {
    match color {
        Color::White => Side::White,
        Color::Black => Side::Black,
    }
}

/// Every legal move of `board`.
fn legal_moves(board: &Board) -> Vec<Move> {
    let mut moves = Vec::new();
    board.generate_moves(|piece_moves| {
        moves.extend(piece_moves);
        false
    });
    moves
}

/// How the game stands ended at `board`, if it did.
fn ending(board: &Board) -> Option<Ending> {
    let stuck = !board.generate_moves(|_| true);
    match (stuck, board.checkers().is_empty()) {
        (false, _) => None,
        (true, true) => Some(Ending::Stalemate),
        (true, false) => Some(Ending::Checkmate {
            winner: side(!board.side_to_move()),
        }),
    }
}

/// Whether `mv` (legal on `board`) castles: the move generator writes castling as the king
/// taking its own rook.
fn castles(board: &Board, mv: Move) -> bool {
    board.colors(board.side_to_move()).has(mv.to)
}

fn letter(piece: Piece) -> &'static str {
    match piece {
        Piece::Pawn => "",
        Piece::Knight => "N",
        Piece::Bishop => "B",
        Piece::Rook => "R",
        Piece::Queen => "Q",
        Piece::King => "K",
    }
}

/// The SAN of `mv`, a legal move of `board`.
pub(crate) fn san(board: &Board, mv: Move) -> String {
    let mut out = if castles(board, mv) {
        if mv.to.file() > mv.from.file() {
            "O-O".to_owned()
        } else {
            "O-O-O".to_owned()
        }
    } else {
        placement(board, mv)
    };
    let mut after = board.clone();
    after.play_unchecked(mv);
    if !after.checkers().is_empty() {
        out.push(if ending(&after).is_some() { '#' } else { '+' });
    }
    out
}

/// The SAN of a move that does not castle, without its check sign.
fn placement(board: &Board, mv: Move) -> String {
    let Some(piece) = board.piece_on(mv.from) else {
        // Not a legal move (there is no piece to move): its UCI says what it is.
        return mv.to_string();
    };
    let mut out = String::new();
    let captures = board.piece_on(mv.to).is_some();
    if piece == Piece::Pawn {
        // A pawn that changes file captures, en passant too (its target square is empty).
        if mv.from.file() != mv.to.file() {
            out.push_str(&mv.from.file().to_string());
            out.push('x');
        }
    } else {
        out.push_str(letter(piece));
        out.push_str(&disambiguation(board, piece, mv));
        if captures {
            out.push('x');
        }
    }
    out.push_str(&mv.to.to_string());
    if let Some(promotion) = mv.promotion {
        out.push('=');
        out.push_str(letter(promotion));
    }
    out
}

/// What tells `mv` of `piece` apart from the other legal moves of a piece of the same kind
/// to the same square: nothing when there is none, else the file it leaves if that is
/// enough, else the rank if that is, else both.
fn disambiguation(board: &Board, piece: Piece, mv: Move) -> String {
    let rivals: Vec<Move> = legal_moves(board)
        .into_iter()
        .filter(|other| {
            other.to == mv.to
                && other.from != mv.from
                && board.piece_on(other.from) == Some(piece)
                && !castles(board, *other)
        })
        .collect();
    let file: File = mv.from.file();
    let rank: Rank = mv.from.rank();
    if rivals.is_empty() {
        String::new()
    } else if rivals.iter().all(|o| o.from.file() != file) {
        file.to_string()
    } else if rivals.iter().all(|o| o.from.rank() != rank) {
        rank.to_string()
    } else {
        mv.from.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::BTreeSet;

    use cozy_chess::util::parse_san_move;
    use proptest::prelude::*;
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn sans(text: &str) -> String {
        replay(text).unwrap().san()
    }

    /// The SAN of the last move of `text`.
    fn last(text: &str) -> String {
        replay(text).unwrap().moves.pop().unwrap().san
    }

    fn refusal(text: &str) -> (usize, String, MoveFault) {
        match replay(text) {
            Err(GameError::Move {
                ply, uci, fault, ..
            }) => (ply, uci, fault),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn mates_are_written_in_san_and_end_the_game_and_an_open_game_has_no_ending() {
        let mates = [
            // The scholar's mate: White mates.
            (
                "e2e4 e7e5 f1c4 b8c6 d1h5 g8f6 h5f7",
                "e4 e5 Bc4 Nc6 Qh5 Nf6 Qxf7#",
                Side::White,
            ),
            // The fool's mate: Black mates.
            ("f2f3 e7e5 g2g4 d8h4", "f3 e5 g4 Qh4#", Side::Black),
        ];
        for (uci, san, winner) in mates {
            let game = replay(uci).unwrap();
            assert_eq!(game.san(), san);
            assert_eq!(game.uci(), uci);
            assert_eq!(game.ending, Some(Ending::Checkmate { winner }));
        }
        assert_eq!(
            replay(mates[0].0).unwrap().numbered(),
            ["1. e4 e5", "2. Bc4 Nc6", "3. Qh5 Nf6", "4. Qxf7#"]
        );
        let open = replay(" e2e4\te7e5\n g1f3 ").unwrap();
        assert_eq!(open.ending, None);
        assert_eq!(open.uci(), "e2e4 e7e5 g1f3");
        assert_eq!(open.numbered(), ["1. e4 e5", "2. Nf3"]);
        assert_eq!(replay("").unwrap(), Game::default());
        assert!(Game::default().numbered().is_empty());
    }

    #[test]
    fn a_stalemate_is_told() {
        // A ten-move stalemate: White's queen eats its way round and leaves Black no move.
        let game = replay(
            "e2e3 a7a5 d1h5 a8a6 h5a5 h7h5 h2h4 a6h6 a5c7 f7f6 c7d7 e8f7 \
             d7b7 d8d3 b7b8 d3h7 b8c8 f7g6 c8e6",
        )
        .unwrap();
        assert_eq!(
            game.san(),
            "e3 a5 Qh5 Ra6 Qxa5 h5 h4 Rah6 Qxc7 f6 Qxd7+ Kf7 Qxb7 Qd3 Qxb8 Qh7 Qxc8 Kg6 Qe6"
        );
        assert_eq!(game.ending, Some(Ending::Stalemate));
    }

    #[test]
    fn castling_both_ways_for_both_colours() {
        let short = "e2e4 e7e5 g1f3 g8f6 f1c4 f8c5 e1g1 e8g8";
        assert_eq!(sans(short), "e4 e5 Nf3 Nf6 Bc4 Bc5 O-O O-O");
        let long = "d2d4 d7d5 b1c3 b8c6 c1f4 c8f5 d1d2 d8d7 e1c1 e8c8";
        assert_eq!(sans(long), "d4 d5 Nc3 Nc6 Bf4 Bf5 Qd2 Qd7 O-O-O O-O-O");
        // The king taking its own rook is how the move generator writes castling, not UCI.
        let (ply, uci, fault) = refusal("e2e4 e7e5 g1f3 g8f6 f1c4 f8c5 e1h1");
        assert_eq!((ply, uci.as_str(), fault), (7, "e1h1", MoveFault::Illegal));
        // No castling out of check: the queen on a4 checks the king on e8.
        let (ply, _, fault) = refusal("e2e4 e7e5 g1f3 g8f6 f1c4 f8b4 c2c3 d7d5 d1a4 e8g8");
        assert_eq!((ply, fault), (10, MoveFault::Illegal));
        // The rook lands on f1 and checks the king on the open f-file.
        let check = "e2e4 f7f5 f2f4 f5e4 g1h3 e7e5 f4e5 e8f7 f1e2 a7a6 e1g1";
        assert_eq!(sans(check), "e4 f5 f4 fxe4 Nh3 e5 fxe5 Kf7 Be2 a6 O-O+");
    }

    #[test]
    fn en_passant_is_a_pawn_capture() {
        assert_eq!(sans("e2e4 a7a6 e4e5 d7d5 e5d6"), "e4 a6 e5 d5 exd6");
        // Black's, and not a move later: the right lapses after one move.
        assert_eq!(last("a2a3 e7e5 a3a4 e5e4 d2d4 e4d3"), "exd3");
        let (ply, _, fault) = refusal("a2a3 e7e5 b2b3 e5e4 d2d4 a7a6 a3a4 e4d3");
        assert_eq!((ply, fault), (8, MoveFault::Illegal));
    }

    #[test]
    fn promotion_with_capture_and_check_and_under_promotion() {
        // The b-pawn runs, takes on c7, then takes the queen on d8 next to the king.
        let game = "b2b4 g8f6 b4b5 f6g8 b5b6 g8f6 b6c7 f6g8 c7d8q";
        assert_eq!(sans(game), "b4 Nf6 b5 Ng8 b6 Nf6 bxc7 Ng8 cxd8=Q+");
        // To a knight, taking the knight on g8.
        let knight = "h2h4 g7g5 h4g5 h7h6 g5h6 a7a6 h6h7 a6a5 h7g8n";
        assert_eq!(last(knight), "hxg8=N");
        // Straight on, to a rook.
        let rook = "h2h4 g7g5 h4g5 g8f6 g5g6 f8h6 g6g7 a7a6 g7g8r";
        assert_eq!(last(rook), "g8=R+");
    }

    /// Three white knights — on d8 (promoted), d4 and f4 — can all reach e6.
    const THREE_KNIGHTS: &str = "b2b4 h7h6 b4b5 h8h7 b5b6 h7h8 b6c7 h8h7 c7d8n h7h8 \
         g1f3 h8h7 f3d4 h7h8 b1c3 h8h7 c3d5 h7h8 d5f4 h8h7";

    #[test]
    fn disambiguation_by_file_by_rank_and_by_both() {
        // Knights on b1 and f3 may both go to d2: the file tells them apart.
        assert_eq!(last("g1f3 a7a6 d2d4 a6a5 b1d2"), "Nbd2");
        // Rooks on a5 and a3 may both go to a4: the rank tells them apart.
        let rooks = "a2a4 b7b5 a4b5 h7h6 a1a5 h6h5 h2h4 g7g6 h1h3 g6g5 h3a3 g5g4";
        assert_eq!(last(&format!("{rooks} a5a4")), "R5a4");
        assert_eq!(last(&format!("{rooks} a3a4")), "R3a4");
        // Knights on d8, d4 and f4: the one on d4 shares a file with one and a rank with
        // the other, so it needs both.
        assert!(sans(THREE_KNIGHTS).contains("cxd8=N"));
        assert_eq!(last(&format!("{THREE_KNIGHTS} d4e6")), "Nd4e6");
        assert_eq!(last(&format!("{THREE_KNIGHTS} f4e6")), "Nfe6");
        assert_eq!(last(&format!("{THREE_KNIGHTS} d8e6")), "N8e6");
        // A knight no other can follow needs nothing.
        assert_eq!(last(&format!("{THREE_KNIGHTS} f4g6")), "Ng6");
    }

    #[test]
    fn a_non_uci_move_and_an_illegal_move_are_refused_with_their_place() {
        let (ply, uci, fault) = refusal("e2e4 Nf3");
        assert_eq!((ply, uci.as_str(), fault), (2, "Nf3", MoveFault::NotUci));
        for bad in [
            "e2e9", "e2e4x", "i2e4", "e2", "e2e4qq", "e7e8k", "É2e4", "E2E4",
        ] {
            assert_eq!(refusal(bad).2, MoveFault::NotUci, "{bad}");
        }
        let (ply, uci, fault) = refusal("e2e4 e7e5 e1e3");
        assert_eq!((ply, uci.as_str(), fault), (3, "e1e3", MoveFault::Illegal));
        // A promotion where no pawn promotes is no move; nor a pawn on the last rank that
        // does not promote.
        assert_eq!(refusal("e2e4q").2, MoveFault::Illegal);
        let (ply, _, fault) = refusal("b2b4 g8f6 b4b5 f6g8 b5b6 g8f6 b6c7 f6g8 c7d8");
        assert_eq!((ply, fault), (9, MoveFault::Illegal));
        // Black may not move first.
        assert_eq!(refusal("e7e5").2, MoveFault::Illegal);
        let error = replay("e2e4 e7e5 e1e3").unwrap_err();
        assert_eq!(
            error.to_string(),
            "move 3 (\"e1e3\", White's move 2): not a legal move in the position"
        );
        // Nothing may follow a mate.
        let error = replay("f2f3 e7e5 g2g4 d8h4 a2a3").unwrap_err();
        assert_eq!(
            error,
            GameError::Move {
                ply: 5,
                number: 3,
                side: Side::White,
                uci: "a2a3".to_owned(),
                fault: MoveFault::AfterEnd(Ending::Checkmate {
                    winner: Side::Black
                })
            }
        );
        assert_eq!(
            error.to_string(),
            "move 5 (\"a2a3\", White's move 3): the game had already ended in checkmate by Black"
        );
        let long = vec!["g1f3 g8f6 f3g1 f6g8"; MAX_PLIES / 4 + 1].join(" ");
        assert_eq!(
            replay(&long).unwrap_err(),
            GameError::TooLong {
                moves: MAX_PLIES + 4,
                max: MAX_PLIES
            }
        );
        let longest = vec!["g1f3 g8f6 f3g1 f6g8"; MAX_PLIES / 4].join(" ");
        assert_eq!(replay(&longest).unwrap().moves.len(), MAX_PLIES);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A random legal game (each move drawn from the legal moves by a seeded stream)
        /// replays; in every position of it each legal move has its own SAN, and the SAN
        /// names that move (the move generator's own SAN reader agrees).
        #[test]
        fn random_legal_games_replay_and_their_san_is_unique(seed in any::<u64>(), plies in 0usize..300) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut board = Board::default();
            let mut ucis = Vec::new();
            let mut played = Vec::new();
            for _ in 0..plies {
                let legal = legal_moves(&board);
                if legal.is_empty() {
                    break;
                }
                let all: Vec<String> = legal.iter().map(|mv| san(&board, *mv)).collect();
                let distinct: BTreeSet<&String> = all.iter().collect();
                prop_assert_eq!(distinct.len(), all.len(), "{:?}", all);
                for (mv, text) in legal.iter().zip(&all) {
                    prop_assert_eq!(parse_san_move(&board, text).ok(), Some(*mv), "{}", text);
                }
                let pick = usize::try_from(rng.next_u32()).unwrap() % legal.len();
                ucis.push(display_uci_move(&board, legal[pick]).to_string());
                played.push(all[pick].clone());
                board.play_unchecked(legal[pick]);
            }
            let game = replay(&ucis.join(" ")).unwrap();
            prop_assert_eq!(game.uci(), ucis.join(" "));
            prop_assert_eq!(game.san(), played.join(" "));
            prop_assert_eq!(game.ending, ending(&board));
        }
    }
}
