"""Hooks of schemathesis_nowchess.sh: the shared ones (schemathesis_hooks.py), and an NDJSON
deserializer so that the document's NDJSON answers (results, the games export) are checked
too: every line must be a JSON object, and the first one is validated against the
operation's schema (an empty answer as an empty object)."""

import json
import pathlib

import schemathesis

exec(compile(pathlib.Path(__file__).with_name("schemathesis_hooks.py").read_text(), "schemathesis_hooks.py", "exec"))


@schemathesis.deserializer("application/x-ndjson")
def deserialize_ndjson(ctx, response):
    lines = [line for line in response.content.decode("utf-8").splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]
    for value in objects:
        if not isinstance(value, dict):
            raise ValueError(f"an NDJSON line is not a JSON object: {value!r}")
    return objects[0] if objects else {}
