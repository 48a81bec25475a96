"""What a panel or API request does once its sender is known: role check, validation, execution.

Socket.io events and HTTP calls share this path, so a rule is enforced in one place.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cuebridge.core.commands import Command
from cuebridge.core.events import CommandIgnored
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.roles import Role, allowed
from cuebridge.web.outcomes import OutcomeWatch
from cuebridge.web.payloads import COMMANDS, Rejection, build_command, build_fault

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 0.5
"""Seconds an HTTP command waits for the engine's verdict before answering 'accepted'."""


@dataclass(frozen=True, slots=True)
class Requester:
    """Who sent a request: role, address, and the `source` written into commands and logs."""

    role: Role
    peer: str
    channel: str = "web"

    @property
    def source(self) -> str:
        """`web:operator@127.0.0.1:51234`."""
        return f"{self.channel}:{self.role.label}@{self.peer}"


def required_role(event: str) -> Role:
    """The least role that may send `event`; unknown events need nothing (they are refused)."""
    if event in ("fault", "reload"):
        return Role.ADMIN
    if event in COMMANDS:
        return Role.OPERATOR
    return Role.VIEWER


class PanelActions:
    """Executes validated requests against the daemon."""

    def __init__(self, daemon: Daemon, watch: OutcomeWatch, changed: Callable[[], None]) -> None:
        self._daemon = daemon
        self._watch = watch
        self._changed = changed

    def check_role(self, event: str, who: Requester) -> None:
        """Refuse `event` when the sender's role is too low."""
        needed = required_role(event)
        if who.role < needed:
            raise Rejection("forbidden", f"'{event}' needs the {needed.label} role")

    def command(self, event: str, payload: object, who: Requester) -> Command:
        """Validate an operator command and build it for the engine."""
        self.check_role(event, who)
        command = build_command(event, payload, self._daemon.show, who.source, who.role.label)
        if not allowed(who.role, command):
            raise Rejection("forbidden", f"'{event}' is not allowed for {who.role.label}")
        return command

    def submit(self, command: Command) -> None:
        """Queue a command (socket.io path: refusals arrive later through the outcome watch)."""
        if not self._daemon.loop.submit(command):
            raise Rejection("rate-limited", "the engine is busy: command dropped, try again")

    async def submit_and_confirm(self, command: Command) -> CommandIgnored | None:
        """Queue a command and wait briefly for the engine's verdict (HTTP path)."""
        queued, refusal = await self._watch.submit_and_confirm(
            command, self._daemon.loop.submit, CONFIRM_TIMEOUT
        )
        if not queued:
            raise Rejection("rate-limited", "the engine is busy: command dropped, try again")
        return refusal

    def fault(self, payload: object, who: Requester, device: str | None = None) -> None:
        """Change a simulator's fault switches (admin)."""
        self.check_role("fault", who)
        request = build_fault(payload, device)
        sim = self._daemon.simulators.get(request.device)
        if sim is None:
            known = ", ".join(sorted(self._daemon.simulators)) or "none running"
            raise Rejection(
                "unknown-device", f"no simulated device {request.device!r} (simulators: {known})"
            )
        faults = sim.faults
        if request.offline is not None:
            faults.offline = request.offline
        if request.drop_rate is not None:
            faults.drop_rate = request.drop_rate
        if request.delay is not None:
            faults.delay = request.delay
        if request.ignore_probes is not None:
            faults.ignore_probes = request.ignore_probes
        logger.warning("faults on %s set by %s: %s", request.device, who.source, faults.as_dict())
        self._changed()

    async def reload(self, who: Requester) -> str:
        """Hot-reload the show file when the daemon supports it (admin)."""
        self.check_role("reload", who)
        reload = getattr(self._daemon, "reload", None)
        if not callable(reload):
            raise Rejection("unsupported", "this daemon cannot reload its show while running")
        logger.info("show reload requested by %s", who.source)
        try:
            result = reload()
            if inspect.isawaitable(result):
                result = await result
        except Exception as err:
            logger.warning("show reload failed: %s", err)
            raise Rejection("reload-failed", str(err)) from err
        finally:
            self._changed()
        message = str(getattr(result, "message", "") or "show reloaded")
        if result is False or getattr(result, "ok", True) is False:
            raise Rejection("reload-failed", message if result is not False else "not reloaded")
        return message
