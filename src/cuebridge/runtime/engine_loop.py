"""Drives the pure engine on the event loop: sleep until the next deadline or the next command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from cuebridge.core.commands import Command
from cuebridge.core.engine import CueEngine, Outcome
from cuebridge.core.model import Show
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.router import Router

logger = logging.getLogger(__name__)

Listener = Callable[[Outcome], None]
CommandListener = Callable[[Command, Outcome], None]
"""Hears every handled command with what it did (the show log records both)."""
DropListener = Callable[[Command, str], None]
"""Hears every command refused (inbox full, or the engine raised on it), with the reason."""
ShowListener = Callable[[Show], None]
"""Hears every show swapped in by a reload."""

INBOX_LIMIT = 1000
"""Commands waiting beyond this are refused: a flood must not delay the show by minutes."""
MAX_FAILURE_BACKOFF = 0.5
"""Longest pause (seconds) between retries while engine steps keep failing."""

_T = TypeVar("_T")


class EngineLoop:
    """Owns the engine: the only code that calls `handle` and `advance`."""

    def __init__(self, engine: CueEngine, clock: Clock, router: Router) -> None:
        self._engine = engine
        self._clock = clock
        self._router = router
        # None is a wake-up: the engine changed outside a command and the deadline may move.
        self._inbox: asyncio.Queue[Command | None] = asyncio.Queue(maxsize=INBOX_LIMIT)
        self._listeners: list[Listener] = []
        self._command_listeners: list[CommandListener] = []
        self._drop_listeners: list[DropListener] = []
        self._show_listeners: list[ShowListener] = []
        self.processed = 0
        self.failures = 0
        """Engine steps that raised (each logged with its traceback; the loop kept running)."""

    @property
    def engine(self) -> CueEngine:
        """The engine this loop drives."""
        return self._engine

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every non-empty outcome, after its effects were dispatched."""
        self._listeners.append(listener)

    def add_command_listener(self, listener: CommandListener) -> None:
        """Call `listener` with every handled command and its outcome (after `add_listener`'s)."""
        self._command_listeners.append(listener)

    def add_drop_listener(self, listener: DropListener) -> None:
        """Call `listener` with every command refused: inbox full, or the engine failed on it."""
        self._drop_listeners.append(listener)

    def add_show_listener(self, listener: ShowListener) -> None:
        """Call `listener` with every show `replace_show` swapped in."""
        self._show_listeners.append(listener)

    def submit(self, command: Command) -> bool:
        """Queue a command; False when the inbox is full (the command is dropped and logged)."""
        try:
            self._inbox.put_nowait(command)
        except asyncio.QueueFull:
            logger.error(
                "command inbox full: dropped %s from %s", type(command).__name__, command.source
            )
            self._notify(self._drop_listeners, command, "inbox full")
            return False
        return True

    def snapshot(self) -> EngineSnapshot:
        """The engine's state now."""
        return self._engine.snapshot(self._clock.now())

    def replace_show(self, show: Show) -> Outcome:
        """Swap in an edited show now, between two commands (see `CueEngine.replace_show`)."""
        outcome = self._apply(lambda now: self._engine.replace_show(show, now))
        for listener in self._show_listeners:
            self._call(listener, show)
        return outcome

    def restore(self, standby: Mapping[str, str | None], disarmed: Iterable[str]) -> Outcome:
        """Put a saved playhead back without firing anything (see `CueEngine.restore`)."""
        return self._apply(lambda now: self._engine.restore(standby, disarmed, now))

    async def run(self) -> None:
        """Run until cancelled; no polling: each wake-up is a deadline or a command.

        A step that raises (an engine bug) is logged with its traceback and counted in
        `failures`; the command it was applying is dropped and the loop keeps running. While
        steps keep failing, the loop backs off (up to `MAX_FAILURE_BACKOFF`) so a deadline
        that fails every time cannot spin the CPU.
        """
        consecutive = 0
        while True:
            if consecutive:
                await asyncio.sleep(min(MAX_FAILURE_BACKOFF, 0.01 * 2 ** min(consecutive, 10)))
            command: Command | None = None
            try:
                deadline = self._engine.next_deadline()
                delay = None if deadline is None else max(0.0, deadline - self._clock.now())
                try:
                    async with asyncio.timeout(delay):
                        command = await self._inbox.get()
                except TimeoutError:
                    pass
                self.step(command)
            except Exception:
                consecutive += 1
                self.failures += 1
                self._failed(command)
            else:
                consecutive = 0

    def _failed(self, command: Command | None) -> None:
        if command is None:
            logger.exception("engine step failed (failure %d); the show goes on", self.failures)
            return
        logger.exception(
            "engine failed on %s from %s (failure %d): command dropped, the show goes on",
            type(command).__name__,
            command.source,
            self.failures,
        )
        self._notify(self._drop_listeners, command, "engine error")

    def step(self, command: Command | None) -> Outcome:
        """Apply one command (or just advance) at the clock's current time and publish it."""
        now = self._clock.now()
        outcome = (
            self._engine.advance(now) if command is None else self._engine.handle(command, now)
        )
        self.processed += 1
        self._publish(outcome)
        if command is not None:
            self._notify(self._command_listeners, command, outcome)
        return outcome

    def _apply(self, change: Callable[[float], Outcome]) -> Outcome:
        outcome = change(self._clock.now())
        self._publish(outcome)
        # Wake the loop to recompute its sleep; when the inbox is full it wakes anyway.
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(None)
        return outcome

    def _publish(self, outcome: Outcome) -> None:
        if outcome.effects:
            self._router.dispatch(outcome.effects)
        if outcome.effects or outcome.events:
            for listener in self._listeners:
                self._call(listener, outcome)

    def _notify(
        self, listeners: list[Callable[[Command, _T], None]], cmd: Command, arg: _T
    ) -> None:
        for listener in listeners:
            try:
                listener(cmd, arg)
            except Exception:
                logger.exception("listener %r failed", listener)

    @staticmethod
    def _call(listener: Callable[[_T], None], arg: _T) -> None:
        try:
            listener(arg)
        except Exception:
            logger.exception("listener %r failed", listener)
