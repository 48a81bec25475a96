"""Terminal console: an operator types GO (Enter), stop, panic... on the daemon's stdin."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from cuebridge.control.console_commands import CONSOLE_HELP, parse_console_line
from cuebridge.core.commands import Command
from cuebridge.core.snapshot import EngineSnapshot

logger = logging.getLogger(__name__)

MAX_LINE = 4096


def describe_snapshot(snapshot: EngineSnapshot) -> str:
    """A short status block: standby per list and running cues with time left."""
    lines = [
        f"  list {cue_list.id}: standby {cue_list.standby or '(end)'}  next {cue_list.next or '-'}"
        for cue_list in snapshot.lists
    ]
    lines.extend(
        f"  cue {running.number} {running.name!r}: {running.state.value}"
        f" {running.progress:4.0%}  {running.remaining:.1f} s left"
        for running in snapshot.running
    )
    if not snapshot.running:
        lines.append("  nothing running")
    if snapshot.panic_until is not None:
        lines.append("  PANIC in progress")
    return "\n".join(lines)


class Console:
    """Reads commands line by line from a stream and submits them; never raises on input."""

    def __init__(
        self,
        submit: Callable[[Command], bool],
        snapshot: Callable[[], EngineSnapshot],
        request_stop: Callable[[], None],
        out: TextIO = sys.stdout,
    ) -> None:
        self._submit = submit
        self._snapshot = snapshot
        self._request_stop = request_stop
        self._out = out

    async def run(self, reader: asyncio.StreamReader) -> None:
        """Serve until end of input."""
        self._say("console ready: Enter = GO, 'help' for commands")
        while True:
            try:
                raw = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as end:
                if end.partial:
                    self.handle_line(end.partial.decode("utf-8", "replace"))
                return
            except asyncio.LimitOverrunError:
                await reader.read(MAX_LINE)
                self._say("line too long: ignored")
                continue
            self.handle_line(raw.decode("utf-8", "replace"))

    def handle_line(self, line: str) -> None:
        """Act on one line of input."""
        word = line.strip().lower()
        if word == "help":
            self._say(CONSOLE_HELP)
            return
        if word == "status":
            self._say(describe_snapshot(self._snapshot()))
            return
        if word in ("quit", "exit"):
            self._request_stop()
            return
        parsed = parse_console_line(line)
        if isinstance(parsed, str):
            self._say(parsed)
        elif not self._submit(parsed):
            self._say("busy: command dropped")

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)


async def open_stdin_reader() -> asyncio.StreamReader | None:
    """A StreamReader fed with stdin's lines, or None when stdin is closed.

    A reader thread, not `connect_read_pipe`: that would put the terminal's shared file
    description in non-blocking mode, and then a burst of log output to a slow terminal fails
    with BlockingIOError. The thread is a daemon: a read blocked at shutdown never holds it up.
    """
    if sys.stdin is None or sys.stdin.closed:
        return None
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError) as err:
        logger.info("no console on stdin (%s)", err)
        return None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE)

    def pump() -> None:
        # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader holds its
        # lock, and the interpreter aborts at exit trying to flush it.
        try:
            while chunk := os.read(fd, MAX_LINE):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
            loop.call_soon_threadsafe(reader.feed_eof)
        except (OSError, RuntimeError):
            return  # stdin closed, or the loop is gone: the daemon is stopping

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return reader
