"""Drives the pure engine on the event loop: sleep until the next deadline or the next command."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from cuebridge.core.commands import Command
from cuebridge.core.engine import CueEngine, Outcome
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.router import Router

logger = logging.getLogger(__name__)

Listener = Callable[[Outcome], None]

INBOX_LIMIT = 1000
"""Commands waiting beyond this are refused: a flood must not delay the show by minutes."""


class EngineLoop:
    """Owns the engine: the only code that calls `handle` and `advance`."""

    def __init__(self, engine: CueEngine, clock: Clock, router: Router) -> None:
        self._engine = engine
        self._clock = clock
        self._router = router
        self._inbox: asyncio.Queue[Command] = asyncio.Queue(maxsize=INBOX_LIMIT)
        self._listeners: list[Listener] = []
        self.processed = 0

    @property
    def engine(self) -> CueEngine:
        """The engine this loop drives."""
        return self._engine

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every non-empty outcome, after its effects were dispatched."""
        self._listeners.append(listener)

    def submit(self, command: Command) -> bool:
        """Queue a command; False when the inbox is full (the command is dropped and logged)."""
        try:
            self._inbox.put_nowait(command)
        except asyncio.QueueFull:
            logger.error(
                "command inbox full: dropped %s from %s", type(command).__name__, command.source
            )
            return False
        return True

    def snapshot(self) -> EngineSnapshot:
        """The engine's state now."""
        return self._engine.snapshot(self._clock.now())

    async def run(self) -> None:
        """Run until cancelled; no polling: each wake-up is a deadline or a command."""
        while True:
            deadline = self._engine.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - self._clock.now())
            command: Command | None = None
            try:
                async with asyncio.timeout(delay):
                    command = await self._inbox.get()
            except TimeoutError:
                pass
            self.step(command)

    def step(self, command: Command | None) -> Outcome:
        """Apply one command (or just advance) at the clock's current time and publish it."""
        now = self._clock.now()
        outcome = (
            self._engine.advance(now) if command is None else self._engine.handle(command, now)
        )
        self.processed += 1
        if outcome.effects:
            self._router.dispatch(outcome.effects)
        if outcome.effects or outcome.events:
            for listener in self._listeners:
                try:
                    listener(outcome)
                except Exception:
                    logger.exception("listener %r failed", listener)
        return outcome
