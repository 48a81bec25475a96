"""Matches engine outcomes back to the web client that sent the command (by its source)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from cuebridge.core.commands import Command, LoadCue, Panic, StandbyNext, StandbyPrevious
from cuebridge.core.engine import Outcome
from cuebridge.core.events import CommandIgnored, Event, PanicFinished, StandbyChanged
from cuebridge.runtime.engine_loop import EngineLoop

logger = logging.getLogger(__name__)

IgnoredCallback = Callable[[CommandIgnored], None]

COMMAND_EVENTS = {
    "Go": "go",
    "GoCue": "go_cue",
    "StartCue": "go_cue",
    "LoadCue": "load",
    "StandbyNext": "standby_next",
    "StandbyPrevious": "standby_previous",
    "Stop": "stop",
    "Pause": "pause",
    "Resume": "resume",
    "Panic": "panic",
    "Reset": "reset",
}
"""Engine command names (as in CommandIgnored) to the panel's event names."""


class OutcomeWatch:
    """Engine-loop listener: tells each web client about the commands of its own the engine refused.

    Sockets register a persistent callback under their source; HTTP requests wait once for the
    verdict on the command they just submitted. When the loop reports each handled command with
    its outcome (`add_command_listener`), that verdict is exact; otherwise it is inferred from
    the events that name the command's source.
    """

    def __init__(self) -> None:
        self._by_source: dict[str, IgnoredCallback] = {}
        self._waiters: list[Callable[[Outcome], bool]] = []
        self._verdicts: dict[int, tuple[Command, asyncio.Future[CommandIgnored | None]]] = {}
        self._exact = False

    def attach(self, loop: EngineLoop) -> None:
        """Listen to an engine loop (`add_listener`, and `add_command_listener` when offered)."""
        loop.add_listener(self._on_outcome)
        add_command_listener = getattr(loop, "add_command_listener", None)
        if callable(add_command_listener):
            add_command_listener(self._on_command)
            self._exact = True

    def watch(self, source: str, callback: IgnoredCallback) -> None:
        """Call `callback` for every refused command sent under `source`."""
        self._by_source[source] = callback

    def unwatch(self, source: str) -> None:
        """Stop watching a departed client."""
        self._by_source.pop(source, None)

    def _on_outcome(self, outcome: Outcome) -> None:
        # Runs inside the engine step: only hand over, never send from here.
        for event in outcome.events:
            if isinstance(event, CommandIgnored) and event.source in self._by_source:
                try:
                    self._by_source[event.source](event)
                except Exception:
                    logger.exception("ignored-command callback for %s failed", event.source)
        if self._waiters:
            self._waiters = [waiter for waiter in self._waiters if not waiter(outcome)]

    def _on_command(self, command: Command, outcome: Outcome) -> None:
        entry = self._verdicts.pop(id(command), None)
        if entry is None or entry[0] is not command or entry[1].done():
            return
        entry[1].set_result(_refusal(command, outcome))

    async def submit_and_confirm(
        self, command: Command, submit: Callable[[Command], bool], wait: float
    ) -> tuple[bool, CommandIgnored | None]:
        """Submit `command` and wait (at most `wait` seconds) for the engine's verdict on it.

        Returns (queued, refusal): queued is False when the engine inbox was full; refusal is
        the engine's CommandIgnored when it refused the command. Without a verdict in time the
        command counts as accepted (it is queued and the engine will handle it).
        """
        verdict: asyncio.Future[CommandIgnored | None] = asyncio.get_running_loop().create_future()
        check = _inferring(command, verdict)
        if self._exact:
            self._verdicts[id(command)] = (command, verdict)
        else:
            self._waiters.append(check)
        try:
            if not submit(command):
                return False, None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    return True, await verdict
            return True, None
        finally:
            self._verdicts.pop(id(command), None)
            if check in self._waiters:
                self._waiters.remove(check)


def _inferring(
    command: Command, verdict: asyncio.Future[CommandIgnored | None]
) -> Callable[[Outcome], bool]:
    """A waiter that recognises the outcome of `command` by the events it caused."""

    def check(outcome: Outcome) -> bool:
        if verdict.done():
            return True
        refusal = _refusal(command, outcome)
        if refusal is not None:
            verdict.set_result(refusal)
        elif any(_answers(command, event) for event in outcome.events):
            verdict.set_result(None)
        return verdict.done()

    return check


def _refusal(command: Command, outcome: Outcome) -> CommandIgnored | None:
    for event in outcome.events:
        if isinstance(event, CommandIgnored) and event.source == command.source:
            return event
    return None


def _answers(command: Command, event: Event) -> bool:
    if getattr(event, "source", None) == command.source:
        return True
    # These succeed with events that carry no source of their own.
    if isinstance(command, LoadCue | StandbyNext | StandbyPrevious):
        return isinstance(event, StandbyChanged)
    return isinstance(command, Panic) and isinstance(event, PanicFinished)
