"""Did-you-mean hints for unknown names, built on difflib."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_LISTED = 12
"""Up to this many valid names are listed when no close match exists."""


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word`, or None when nothing is close enough."""
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    lowered = word.lower()
    if len(lowered) >= 2:
        # Abbreviations such as "x32" for "behringer-x32" score low with difflib.
        containing = [name for name in pool if lowered in name.lower()]
        if len(containing) == 1:
            return containing[0]
    return None


def hint(word: str, candidates: Iterable[str]) -> str:
    """A message suffix: ' (did you mean "x"?)', or the valid names when there are few."""
    pool = sorted(set(candidates))
    match = closest(word, pool)
    if match is not None:
        return f' (did you mean "{match}"?)'
    if not pool:
        return " (none are defined)"
    if len(pool) <= MAX_LISTED:
        return f" (expected one of: {', '.join(pool)})"
    return ""


def one_of(choices: Iterable[str]) -> str:
    """Join choices as prose: 'a, b or c'."""
    items = list(choices)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
