//! The result of a board game recorded with its moves: the moves must be a legal game from
//! the initial position and the result must agree with a mate or a stalemate on the board;
//! a refusal records nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{MatchId, MatchResult};
use athlos_core::chess::{Ending, GameError, MoveFault, Side};
use athlos_core::clock::ManualClock;
use athlos_core::error::{Error, ServiceError};
use athlos_core::id::TournamentId;
use athlos_core::model::Participant;
use athlos_core::service::{board_result, BoardWinner, Service};
use athlos_core::store::{EventLog, MemoryStore};
use athlos_core::tournament::{BoardGames, TournamentRules, TournamentSettings};
use chrono::{TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

const SCHOLARS_MATE: &str = "e2e4 e7e5 f1c4 b8c6 d1h5 g8f6 h5f7";
const FOOLS_MATE: &str = "f2f3 e7e5 g2g4 d8h4";
const STALEMATE: &str = "e2e3 a7a5 d1h5 a8a6 h5a5 h7h5 h2h4 a6h6 a5c7 f7f6 c7d7 e8f7 \
                         d7b7 d8d3 b7b8 d3h7 b8c8 f7g6 c8e6";

fn tid() -> TournamentId {
    TournamentId::new("bots").unwrap()
}

fn first() -> MatchId {
    "MAIN-R1-M1".parse().unwrap()
}

/// A started board-played Swiss of one round with four bots: two games in round 1.
async fn started() -> Svc {
    let service = Service::new(
        MemoryStore::new(),
        ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()),
    );
    let rules: TournamentRules =
        serde_json::from_value(serde_json::json!({"swiss": {"rounds": 1}})).unwrap();
    let settings = TournamentSettings {
        director: Some("td".to_owned()),
        self_reporting: false,
        auto_advance: false,
        board: Some(BoardGames {
            clock_limit: 60,
            clock_increment: 1,
            rated: false,
        }),
        withdrawals_close_at_start: true,
    };
    service
        .create_tournament_with(tid(), "Bots", rules, settings)
        .await
        .unwrap();
    service.publish(&tid()).await.unwrap();
    for n in 1..=4 {
        let bot = Participant::new(format!("b{n}"), format!("Bot {n}")).unwrap();
        service.join(&tid(), bot).await.unwrap();
    }
    service.start(&tid()).await.unwrap();
    service
}

/// The result of `match_id` when the board says `winner`.
async fn result(service: &Svc, match_id: MatchId, winner: BoardWinner) -> MatchResult {
    let t = service.tournament(&tid()).await.unwrap().value;
    board_result(&t, &match_id, winner).unwrap()
}

/// Records `moves` with the board's `winner` for `match_id`.
async fn record(
    service: &Svc,
    match_id: MatchId,
    winner: BoardWinner,
    moves: &str,
) -> Result<(), Error> {
    let result = result(service, match_id, winner).await;
    service
        .record_board_result(&tid(), match_id, result, moves.to_owned())
        .await
        .map(|_| ())
}

/// Records `moves` and expects the refusal, after which the tournament and the log are as
/// they were.
async fn refused(service: &Svc, match_id: MatchId, winner: BoardWinner, moves: &str) -> Error {
    let before = service.tournament(&tid()).await.unwrap();
    let logged = service.store().events_after(0, 10_000).await.unwrap().len();
    let error = record(service, match_id, winner, moves).await.unwrap_err();
    let after = service.tournament(&tid()).await.unwrap();
    assert_eq!(after.version, before.version, "{error}");
    assert_eq!(after.value, before.value, "{error}");
    let now = service.store().events_after(0, 10_000).await.unwrap().len();
    assert_eq!(now, logged, "{error}");
    error
}

#[tokio::test]
async fn moves_that_are_not_a_legal_game_are_refused_and_nothing_is_recorded() {
    let service = started().await;
    let error = refused(&service, first(), BoardWinner::White, "e2e4 e7e5 e1e3").await;
    assert_eq!(error.code(), "illegal_game");
    assert_eq!(error.kind(), athlos_core::codes::ErrorKind::Invalid);
    match &error {
        Error::Service(ServiceError::IllegalGame {
            match_id,
            error: GameError::Move {
                ply, uci, fault, ..
            },
        }) => {
            assert_eq!(*match_id, first());
            assert_eq!(
                (*ply, uci.as_str(), *fault),
                (3, "e1e3", MoveFault::Illegal)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the moves of match MAIN-R1-M1 are not a legal game: \
         move 3 (\"e1e3\", White's move 2): not a legal move in the position"
    );
    // Not UCI at all, and a move after the mate.
    let error = refused(&service, first(), BoardWinner::White, "e2e4 Nf3").await;
    assert!(
        matches!(
            &error,
            Error::Service(ServiceError::IllegalGame {
                error: GameError::Move {
                    ply: 2,
                    fault: MoveFault::NotUci,
                    ..
                },
                ..
            })
        ),
        "{error:?}"
    );
    let after_mate = format!("{SCHOLARS_MATE} a7a6");
    let error = refused(&service, first(), BoardWinner::White, &after_mate).await;
    assert!(
        error
            .to_string()
            .ends_with("the game had already ended in checkmate by White"),
        "{error}"
    );
}

#[tokio::test]
async fn a_result_against_the_mate_on_the_board_is_refused() {
    let service = started().await;
    for winner in [BoardWinner::Black, BoardWinner::Draw] {
        let error = refused(&service, first(), winner, SCHOLARS_MATE).await;
        assert_eq!(error.code(), "result_against_board");
        assert_eq!(error.kind(), athlos_core::codes::ErrorKind::Invalid);
        let Error::Service(refusal) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            *refusal,
            ServiceError::ResultAgainstBoard {
                match_id: first(),
                ending: Ending::Checkmate {
                    winner: Side::White
                },
                expected: "a win for White".to_owned(),
            }
        );
        assert_eq!(
            error.to_string(),
            "the moves of match MAIN-R1-M1 end in checkmate by White: \
             the result must be a win for White"
        );
    }
    // The board's word agrees: recorded, with the moves normalised.
    let spaced = SCHOLARS_MATE.replace(' ', "\n  ");
    record(&service, first(), BoardWinner::White, &spaced)
        .await
        .unwrap();
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(t.board_moves[&first()], SCHOLARS_MATE);
    let white = t.sides(&first())[0].clone().unwrap();
    let game = &t.swiss().unwrap().rounds[0].games[0];
    assert_eq!(game.result, Some(MatchResult::win(white)));
    // The same result again with moves that contradict it: refused, the record stands.
    let error = refused(&service, first(), BoardWinner::White, FOOLS_MATE).await;
    assert_eq!(error.code(), "result_against_board");
    // Black's mate is Black's win.
    let second: MatchId = "MAIN-R1-M2".parse().unwrap();
    let error = refused(&service, second, BoardWinner::White, FOOLS_MATE).await;
    assert!(
        error
            .to_string()
            .ends_with("the result must be a win for Black"),
        "{error}"
    );
    record(&service, second, BoardWinner::Black, FOOLS_MATE)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stalemate_is_a_draw_and_a_game_not_ended_on_the_board_takes_any_result() {
    let service = started().await;
    for winner in [BoardWinner::White, BoardWinner::Black] {
        let error = refused(&service, first(), winner, STALEMATE).await;
        assert_eq!(
            error.to_string(),
            "the moves of match MAIN-R1-M1 end in stalemate: the result must be a draw"
        );
    }
    record(&service, first(), BoardWinner::Draw, STALEMATE)
        .await
        .unwrap();
    // A resignation after four moves: any result.
    let second: MatchId = "MAIN-R1-M2".parse().unwrap();
    record(&service, second, BoardWinner::Black, "e2e4 e7e5 g1f3 b8c6")
        .await
        .unwrap();
    let t = service.tournament(&tid()).await.unwrap().value;
    assert_eq!(t.board_moves[&second], "e2e4 e7e5 g1f3 b8c6");
    assert_eq!(
        t.swiss().unwrap().rounds[0].games[0].result,
        Some(MatchResult::Draw { score: None })
    );
}
