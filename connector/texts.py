"""A text another server sent (an error message, a header), made fit for one line of a log or an exception.

A server's error text is data, not the connector's own words: a newline in it would forge a log line, a
right-to-left override would hide what follows, and a 10 MB error page would flood the log.
"""

from __future__ import annotations

import re

MAX_SERVER_TEXT = 300
# What ends a line or reorders it: C0/C1 controls, line and paragraph separators, bidirectional embeddings,
# overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def server_text(text: str, limit: int = MAX_SERVER_TEXT) -> str:
    """`text` on one line, its unsafe characters escaped (`\\n`, `\\u202e`), cut to `limit` characters with a note
    of the full length."""
    text = text.strip()
    shown = _UNSAFE.sub(_escape, text[:limit])
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"
