"""Notices for people: recovery after a crash, a rejected show edit, a full disk; for the panel."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

NOTICE_LIMIT = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """One message for the operators; `at` is monotonic seconds."""

    level: str  # "info" | "warning" | "error"
    message: str
    at: float
    topic: str = ""
    """What it is about (e.g. "reload", "recovery", "showlog"), so a later notice can replace it."""


NoticeListener = Callable[[Notice], None]


class Notices:
    """The latest notices, newest last, bounded; listeners hear of each new one."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._items: deque[Notice] = deque(maxlen=NOTICE_LIMIT)
        self._listeners: list[NoticeListener] = []

    def add_listener(self, listener: NoticeListener) -> None:
        """Call `listener` with every new notice."""
        self._listeners.append(listener)

    def post(self, level: str, message: str, topic: str = "") -> Notice:
        """Record and announce a notice; it replaces an older one with the same non-empty topic."""
        if level not in ("info", "warning", "error"):
            raise ValueError(f"notice level must be info, warning or error, not {level!r}")
        notice = Notice(level=level, message=message, at=self._clock.now(), topic=topic)
        if topic:
            kept = [item for item in self._items if item.topic != topic]
            self._items.clear()
            self._items.extend(kept)
        self._items.append(notice)
        logger.log(logging.getLevelName(level.upper()), "notice: %s", message)
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                logger.exception("notice listener %r failed", listener)
        return notice

    def clear(self, topic: str) -> None:
        """Remove the notices about `topic` (e.g. a reload that now succeeded)."""
        kept = [item for item in self._items if item.topic != topic]
        self._items.clear()
        self._items.extend(kept)

    def items(self) -> tuple[Notice, ...]:
        """Current notices, oldest first."""
        return tuple(self._items)
