"""The show log's SQLite writer thread: batches rows from a bounded queue, prunes, never raises.

Rules:
1. This thread is the only code that touches the database while the show runs; the event
   loop only puts rows on a bounded queue (`queue.Queue.put_nowait`), which never blocks.
2. A failing database (full disk, read-only file, missing directory) never stops the show:
   rows wait in a bounded backlog, the writer retries every `RETRY_SECONDS`, and the
   trouble and the recovery are reported once each through `on_trouble`.
3. Growth is bounded by a retention (rows and age), applied at open and every
   `PRUNE_SECONDS` while writing.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, epoch REAL NOT NULL, pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY,
    session INTEGER NOT NULL,
    wall TEXT NOT NULL,    -- local ISO 8601 time with offset, for people
    epoch REAL NOT NULL,   -- Unix seconds, for ranges and the report's timeline
    mono REAL NOT NULL,    -- the daemon's monotonic clock (engine time) of the entry
    kind TEXT NOT NULL,    -- command, event, rejected, effect, status, notice, error, show, session
    name TEXT NOT NULL,    -- e.g. Go, cue-started, ok, error
    source TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    cue TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS log_epoch ON log (epoch);
"""
COLUMNS: Final = "session, wall, epoch, mono, kind, name, source, role, cue, device, detail"
BATCH_ROWS: Final = 500
BATCH_SECONDS: Final = 0.2
"""Rows are committed at most this long after they were recorded."""
BACKLOG_LIMIT: Final = 20_000
"""Rows kept while the database cannot be written; older ones are lost (and counted)."""
RETRY_SECONDS: Final = 1.0
PRUNE_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How much of the show log to keep; None means no limit on that axis."""

    max_rows: int | None = 1_000_000
    max_age_days: float | None = 90.0


@dataclass(frozen=True, slots=True)
class Row:
    """One entry as the loop hands it over; `detail` is JSON-encoded by the writer."""

    epoch: float
    mono: float
    kind: str
    name: str
    source: str = ""
    role: str = ""
    cue: str = ""
    device: str = ""
    detail: object = None


@dataclass(slots=True)
class _Flush:
    done: threading.Event


_STOP: Final = object()
Trouble = Callable[[str | None], None]
"""Called from the writer thread with a message when writing fails, None when it works again."""


class ShowLogWriter(threading.Thread):
    """Owns the SQLite connection; fed through `rows`, stopped with `stop()`."""

    def __init__(
        self,
        path: Path,
        retention: Retention,
        rows: queue.Queue[object],
        on_trouble: Trouble,
        pid: int,
    ) -> None:
        super().__init__(name="showlog-writer", daemon=True)
        self.path = path
        self._retention = retention
        self._rows = rows
        self._on_trouble = on_trouble
        self._pid = pid
        self._backlog: deque[Row] = deque()
        self._db: sqlite3.Connection | None = None
        self._session = 0
        self._failing: str | None = None
        self._next_retry = 0.0
        self._pruned_at = 0.0
        self.written = 0
        self.lost = 0
        """Rows dropped from a full backlog while the database could not be written."""

    def run(self) -> None:
        stopping = False
        while not stopping:
            flushes: list[_Flush] = []
            stopping = self._collect(flushes)
            self._write()
            for flush in flushes:
                flush.done.set()
        self._close()

    def _collect(self, flushes: list[_Flush]) -> bool:
        """Gather one batch; True when asked to stop."""
        timeout = RETRY_SECONDS if self._backlog else None
        deadline: float | None = None
        while len(self._backlog) < BACKLOG_LIMIT:
            try:
                item = self._rows.get(timeout=timeout)
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            if isinstance(item, _Flush):
                flushes.append(item)
                return False
            if isinstance(item, Row):
                self._backlog.append(item)
            if len(self._backlog) >= BATCH_ROWS:
                return False
            deadline = deadline or time.monotonic() + BATCH_SECONDS
            timeout = max(0.0, deadline - time.monotonic())
        dropped = min(BATCH_ROWS, len(self._backlog))  # the oldest go first
        for _ in range(dropped):
            self._backlog.popleft()
        self.lost += dropped
        return False

    def _write(self) -> None:
        if not self._backlog or (self._failing and time.monotonic() < self._next_retry):
            return
        try:
            db = self._open()
            batch = list(self._backlog)
            with db:
                db.executemany(
                    f"INSERT INTO log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [self._values(row) for row in batch],
                )
            self._backlog.clear()
            self.written += len(batch)
            if time.monotonic() - self._pruned_at >= PRUNE_SECONDS:
                self._prune(db)
        except (sqlite3.Error, OSError) as err:
            self._fail(err)
            return
        if self._failing is not None:
            self._failing = None
            self._on_trouble(None)

    def _open(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=2.0, isolation_level="DEFERRED")
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                db.executescript(SCHEMA)
                now = time.time()
                cursor = db.execute(
                    "INSERT INTO sessions (started, epoch, pid) VALUES (?, ?, ?)",
                    (_iso(now), now, self._pid),
                )
            self._session = int(cursor.lastrowid or 0)
            self._prune(db)
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _prune(self, db: sqlite3.Connection) -> None:
        self._pruned_at = time.monotonic()
        with db:
            if self._retention.max_age_days is not None:
                cutoff = time.time() - self._retention.max_age_days * 86400.0
                db.execute("DELETE FROM log WHERE epoch < ?", (cutoff,))
            if self._retention.max_rows is not None:
                db.execute(
                    "DELETE FROM log WHERE id <= (SELECT MAX(id) FROM log) - ?",
                    (self._retention.max_rows,),
                )

    def _values(self, row: Row) -> tuple[object, ...]:
        detail = row.detail
        if detail is not None and not isinstance(detail, str):
            detail = json.dumps(detail, separators=(",", ":"), default=str)
        return (
            self._session,
            _iso(row.epoch),
            row.epoch,
            row.mono,
            row.kind,
            row.name,
            row.source,
            row.role,
            row.cue,
            row.device,
            detail or "",
        )

    def _fail(self, err: Exception) -> None:
        self._next_retry = time.monotonic() + RETRY_SECONDS
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._failing is None:
            self._failing = f"{type(err).__name__}: {err}"
            logger.error("show log %s cannot be written: %s", self.path, self._failing)
            self._on_trouble(self._failing)

    def _close(self) -> None:
        if self._backlog and self._failing:
            self._next_retry = 0.0
            self._write()  # one last try on the way out
        self.lost += len(self._backlog) if self._failing else 0
        if self._db is not None:
            self._db.close()
            self._db = None

    @staticmethod
    def flush_marker() -> tuple[object, threading.Event]:
        """A queue item the writer answers by setting the event once what came before is
        written (or found unwritable)."""
        done = threading.Event()
        return _Flush(done), done

    @staticmethod
    def stop_marker() -> object:
        """The queue item that ends the thread after writing what came before."""
        return _STOP


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")
