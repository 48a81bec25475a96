"""The show log: commands, cues, effects, device changes, notices, rejections and errors in SQLite.

Everything is recorded on the event loop by putting a row on a bounded queue; a writer
thread (`showlog_writer`) does the SQLite work. Recording never blocks and never raises:
when the queue is full the row is counted in `overflowed` and the show goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cuebridge.core.commands import Command
from cuebridge.core.engine import Outcome
from cuebridge.core.events import CommandIgnored, Event
from cuebridge.core.model import Show
from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.eventlog import event_name
from cuebridge.runtime.notices import Notice, Notices
from cuebridge.runtime.showlog_format import effect_groups, fields_of, show_plan
from cuebridge.runtime.showlog_writer import Retention, Row, ShowLogWriter
from cuebridge.runtime.status import DeviceHealth, StatusChanged

if TYPE_CHECKING:
    from cuebridge.runtime.daemon import Daemon

logger = logging.getLogger(__name__)

FILE_NAME: Final = "showlog.sqlite3"
QUEUE_LIMIT: Final = 50_000
"""Rows waiting for the writer; beyond this they are dropped and counted, never waited for."""
FLUSH_TIMEOUT: Final = 5.0
_NOT_ERRORS: Final = ("cuebridge.runtime.showlog", "cuebridge.runtime.notices")

__all__ = ["FILE_NAME", "Retention", "ShowLog", "showlog_service"]


class ShowLog:
    """Record show entries into `<state_dir>/showlog.sqlite3` without blocking the caller."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        retention: Retention | None = None,
        *,
        on_trouble: Callable[[str | None], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._clock = clock
        self._wall = wall
        self._rows: queue.Queue[object] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._writer = ShowLogWriter(
            path, retention or Retention(), self._rows, on_trouble or _ignore, os.getpid()
        )
        self._closed = False
        self.overflowed = 0
        """Rows dropped because the writer fell `QUEUE_LIMIT` rows behind."""

    @property
    def lost(self) -> int:
        """Rows lost: dropped on overflow or while the database could not be written."""
        return self.overflowed + self._writer.lost

    @property
    def written(self) -> int:
        """Rows committed to the database so far."""
        return self._writer.written

    def start(self) -> None:
        """Start the writer thread (it opens the database on its first batch)."""
        self._writer.start()

    def record(
        self,
        kind: str,
        name: str,
        *,
        at: float | None = None,
        source: str = "",
        role: str = "",
        cue: str = "",
        device: str = "",
        detail: object = None,
    ) -> None:
        """Queue one entry; `at` is monotonic (engine) time, default now."""
        if self._closed:
            return
        now = self._clock.now()
        mono = now if at is None else at
        row = Row(self._wall() - (now - mono), mono, kind, name, source, role, cue, device, detail)
        try:
            self._rows.put_nowait(row)
        except queue.Full:
            self.overflowed += 1

    def record_rejection(
        self, source: str, reason: str, *, role: str = "", detail: str = ""
    ) -> None:
        """An input refused something before it became a command (bad token, rate limit...)."""
        self.record("rejected", reason, source=source, role=role, detail=detail or None)

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Block until everything recorded so far is written (or found unwritable)."""
        if self._closed or not self._writer.is_alive():
            return False
        marker, done = ShowLogWriter.flush_marker()
        try:
            self._rows.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    async def aflush(self) -> bool:
        """`flush` without blocking the event loop."""
        return await asyncio.to_thread(self.flush)

    def close(self, timeout: float = FLUSH_TIMEOUT) -> None:
        """Write what is queued, close the database and end the thread; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._writer.is_alive():
            with contextlib.suppress(queue.Full):
                self._rows.put(ShowLogWriter.stop_marker(), timeout=timeout)
            self._writer.join(timeout)

    # ------------------------------------------------------------ what the daemon reports

    def on_outcome(self, outcome: Outcome) -> None:
        """Engine listener: every event and, compactly, every effect sent."""
        for event in outcome.events:
            self._event(event)
        for group in effect_groups(outcome.effects):
            self.record(
                "effect", group.action, at=group.at, cue=group.cue, device=group.device,
                detail=group.detail,
            )  # fmt: skip

    def on_command(self, command: Command, outcome: Outcome) -> None:
        """Command listener: the command as handled, with its source and role."""
        del outcome  # its events are recorded by `on_outcome`
        self.record(
            "command",
            type(command).__name__,
            source=command.source,
            role=command.role,
            cue=str(getattr(command, "number", None) or ""),
            detail=fields_of(command, skip=("source", "role", "number")) or None,
        )

    def on_drop(self, command: Command, reason: str) -> None:
        """A command the engine never saw (inbox full)."""
        self.record(
            "rejected", type(command).__name__, source=command.source, role=command.role,
            detail={"reason": reason},
        )  # fmt: skip

    def on_status(self, change: StatusChanged) -> None:
        """Device status listener."""
        self.record(
            "status",
            change.new.status.value,
            device=change.new.device,
            detail={"old": change.old.status.value, "detail": change.new.detail},
        )

    def on_notice(self, notice: Notice) -> None:
        """Notice listener: what the operators were told."""
        detail = {"message": notice.message, "topic": notice.topic}
        self.record("notice", notice.level, at=notice.at, detail=detail)

    def on_show(self, show: Show, name: str = "reloaded") -> None:
        """The show's cue plan, so the report can compare planned and actual times."""
        self.record("show", name, detail=show_plan(show))

    def _event(self, event: Event) -> None:
        if isinstance(event, CommandIgnored):
            self.record(
                "rejected", event.command, at=event.at, source=event.source,
                detail={"reason": event.reason.value, "detail": event.detail},
            )  # fmt: skip
            return
        self.record(
            "event",
            event_name(event),
            at=event.at,
            source=str(getattr(event, "source", "")),
            cue=str(getattr(event, "number", None) or ""),
            detail=fields_of(event, skip=("at", "source", "number")) or None,
        )


class _ErrorHandler(logging.Handler):
    """Copies cuebridge's ERROR log records into the show log (not the log's own)."""

    def __init__(self, log: ShowLog) -> None:
        super().__init__(logging.ERROR)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_NOT_ERRORS):
            return  # notices are recorded as such; the log's own trouble would feed on itself
        try:
            self._log.record("error", record.name, detail=record.getMessage())
        except Exception:
            self.handleError(record)


def attach(log: ShowLog, daemon: Daemon) -> Callable[[], None]:
    """Subscribe `log` to everything the daemon reports; returns the undo for the log handler."""
    daemon.loop.add_listener(log.on_outcome)
    daemon.loop.add_command_listener(log.on_command)
    daemon.loop.add_drop_listener(log.on_drop)
    daemon.loop.add_show_listener(log.on_show)
    daemon.status_board.add_listener(log.on_status)
    daemon.notices.add_listener(log.on_notice)
    for notice in daemon.notices.items():  # posted before the log was attached
        log.on_notice(notice)
    for health in daemon.status_board.all().values():  # reported while outputs were built
        unknown = DeviceHealth(device=health.device, status=DeviceStatus.UNKNOWN)
        log.on_status(StatusChanged(old=unknown, new=health))
    handler = _ErrorHandler(log)
    package_logger = logging.getLogger("cuebridge")
    package_logger.addHandler(handler)
    return lambda: package_logger.removeHandler(handler)


class TroublePoster:
    """Turns the writer thread's trouble reports into notices posted on the event loop.

    Reports that come before a loop is bound (a `prepare` outside the loop) wait, the latest
    one only, until `bind`.
    """

    def __init__(self, notices: Notices) -> None:
        self._notices = notices
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[str | None] = []
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Post on `loop` from now on (and what waited)."""
        with self._lock:
            self._loop, waiting = loop, self._waiting[-1:]
            self._waiting.clear()
        for message in waiting:
            self(message)

    def __call__(self, message: str | None) -> None:
        if message is None:
            text, level = "the show log is being written again", "info"
        else:
            text, level = f"the show log cannot be written ({message}); the show continues", "error"
        with self._lock:
            if self._loop is None:
                self._waiting.append(message)
                return
            loop = self._loop
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(self._notices.post, level, text, "showlog")


class ShowLogService:
    """The daemon service: `prepare` opens and attaches the log, the task closes it on stop."""

    __name__ = "showlog"

    def __init__(self, state_dir: Path, retention: Retention | None = None) -> None:
        self.path = state_dir / FILE_NAME
        self._retention = retention
        self.log: ShowLog | None = None
        self._detach: Callable[[], None] = _nothing
        self._poster: TroublePoster | None = None

    def prepare(self, daemon: Daemon) -> ShowLog:
        """Open the log and subscribe it to the daemon; call before `daemon.run()` so driver
        starts and recovery are recorded too (in or outside the event loop)."""
        if self.log is None:
            self._poster = TroublePoster(daemon.notices)
            with contextlib.suppress(RuntimeError):  # no running loop yet: bound in __call__
                self._poster.bind(asyncio.get_running_loop())
            self.log = ShowLog(self.path, daemon.clock, self._retention, on_trouble=self._poster)
            self.log.start()
            self.log.record("session", "start", detail={"pid": os.getpid()})
            self.log.on_show(daemon.show, "loaded")
            self._detach = attach(self.log, daemon)
        return self.log

    async def __call__(self, daemon: Daemon) -> None:
        """Run beside the engine; on cancel (shutdown) flush and close off the loop."""
        log = self.prepare(daemon)
        assert self._poster is not None
        self._poster.bind(asyncio.get_running_loop())
        try:
            await asyncio.Event().wait()
        finally:
            log.record("session", "stop", detail={"lost": log.lost})
            self._detach()
            await asyncio.to_thread(log.close)


def showlog_service(state_dir: Path, retention: Retention | None = None) -> ShowLogService:
    """The show log service for `state_dir` (see `ShowLogService`)."""
    return ShowLogService(state_dir, retention)


def _ignore(message: str | None) -> None:
    del message


def _nothing() -> None:
    pass
