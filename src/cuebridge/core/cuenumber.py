"""Cue numbers: strings ordered as dotted decimals (1 < 1.5 < 2 < 10 < 10.1.2)."""

from __future__ import annotations

import re

CUE_NUMBER_PATTERN = r"^[0-9]+(\.[0-9]+)*$"
_CUE_NUMBER_RE = re.compile(CUE_NUMBER_PATTERN)


def is_valid_cue_number(text: str) -> bool:
    """Tell whether `text` is digits separated by single dots, like '12' or '3.5.1'."""
    return bool(_CUE_NUMBER_RE.fullmatch(text))


def cue_sort_key(number: str) -> tuple[int, ...]:
    """Order cue numbers as dotted decimals, each part compared as an integer.

    Trailing zero parts are dropped so that '1', '1.0' and '01' compare equal; the
    show loader reports such numbers as duplicates.
    """
    parts = [int(part) for part in number.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
