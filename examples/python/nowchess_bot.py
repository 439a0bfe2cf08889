"""A tournament bot for the NowChess tournament API that `athlos serve` offers at
`/api/tournament` (seed 004's document, served at `/api/tournament/openapi.yaml`), following
its bot flow with the Python standard library alone:

    join the tournament -> open its event stream -> on each gameStart, play the game on the
    board service -> on tournamentFinished, read the final results.

    python examples/python/nowchess_bot.py --server http://127.0.0.1:3001 \\
        --token "$BOT_TOKEN" --tournament t7kXq2 [--board http://127.0.0.1:8086] [--no-join]

The token is a JWT whose subject is the bot and whose role is `bot` (`athlos token --sub
my-bot --role bot` mints one against a server's secret). Without `--board` the bot only
reports its games (a board service that plays them itself, as the tests' does, needs
nothing more); with it, the bot follows each game's stream (`GET /bot/stream/game/{id}`) and
answers every position where it is to move with a move from a short fixed list
(`POST /bot/game/{id}/move/{uci}`) — a stand-in for a chess engine, which is where a real bot
plugs in its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.request
from typing import Any, Iterator

# Moves the stand-in engine offers, first legal one wins on the board's side.
OPENING = ["e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6", "d2d3", "f8c5", "e1g1", "e8g8"]


def request(
    method: str, url: str, token: str, accept: str = "application/json"
) -> urllib.request.Request:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    req.add_header("authorization", f"Bearer {token}")
    req.add_header("accept", accept)
    return req


def ndjson(url: str, token: str) -> Iterator[dict[str, Any]]:
    """The objects of an NDJSON stream, one a line, as they arrive (blank keep-alive lines
    skipped)."""
    with urllib.request.urlopen(request("GET", url, token, "application/x-ndjson")) as stream:
        for line in stream:
            text = line.strip()
            if text:
                value = json.loads(text)
                if isinstance(value, dict):
                    yield value


def play(board: str, token: str, game: str, color: str) -> None:
    """Follows one game on the board service and moves whenever it is this bot's turn."""
    played = 0
    for line in ndjson(f"{board}/bot/stream/game/{game}", token):
        # Lichess-style: a `gameFull` line carries the position under `state`, then
        # `gameState` lines carry it themselves.
        full = line.get("state")
        state: dict[str, Any] = full if line.get("type") == "gameFull" and isinstance(full, dict) else line
        if state.get("status") not in (None, "started"):
            return
        moves = str(state.get("moves", "")).split()
        white_to_move = len(moves) % 2 == 0
        if (color == "white") != white_to_move:
            continue
        for uci in OPENING[played:]:
            played += 1
            try:
                urllib.request.urlopen(request("POST", f"{board}/bot/game/{game}/move/{uci}", token))
                break
            except urllib.error.HTTPError:
                continue


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the athlos server, e.g. http://127.0.0.1:3001")
    parser.add_argument("--token", required=True, help="a JWT of role bot")
    parser.add_argument("--tournament", required=True, help="the tournament id")
    parser.add_argument("--board", help="the board service, to play the games from here")
    parser.add_argument("--no-join", action="store_true", help="already joined: only listen")
    args = parser.parse_args(argv)
    base = f"{args.server.rstrip('/')}/api/tournament/{args.tournament}"

    if not args.no_join:
        try:
            with urllib.request.urlopen(request("POST", f"{base}/join", args.token)) as answer:
                print("joined:", answer.read().decode(), flush=True)
        except urllib.error.HTTPError as error:
            print(f"join refused ({error.code}): {error.read().decode()}", file=sys.stderr)
            return 1

    games: list[threading.Thread] = []
    for event in ndjson(f"{base}/stream", args.token):
        kind = event.get("type")
        if kind == "gameStart":
            game, color = str(event["gameId"]), str(event["color"])
            print(f"round {event.get('round')}: game {game} as {color}", flush=True)
            if args.board:
                thread = threading.Thread(target=play, args=(args.board.rstrip("/"), args.token, game, color))
                thread.start()
                games.append(thread)
        elif kind == "tournamentFinished":
            print("finished; winner:", json.dumps(event.get("winner")), flush=True)
            break
        else:
            print(json.dumps(event), flush=True)

    for thread in games:
        thread.join(timeout=5)
    with urllib.request.urlopen(request("GET", f"{base}/results", args.token, "application/x-ndjson")) as results:
        for line in results:
            if line.strip():
                print("result:", line.decode().strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
