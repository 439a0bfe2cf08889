"""Loaded by schemathesis.sh through SCHEMATHESIS_HOOKS before any worker thread starts.

CPython 3.11 (3.11.7 here) keeps the AST converter's recursion-depth counter in state that
threads share, so two threads that call ``ast.parse`` at the same moment can fail with
``SystemError: AST constructor recursion depth mismatch`` (CPython issue gh-106905). Hypothesis
parses the source of lambdas to describe filtered strategies, and with ``--workers 2`` both
workers may do so at once: a CI run reported that SystemError as a schemathesis runtime error
on one operation, about the test tool and not about the server. Parsing one thread at a time
removes the race; nothing else about the run changes.
"""

import ast
import threading

_parse = ast.parse
_lock = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
