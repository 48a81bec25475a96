"""Reads the show log into what the report shows: cue runs, operator actions, faults, sessions."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

FAULT_STATUSES = frozenset({"unreachable"})
"""Device statuses the report marks as faults."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedCue:
    """A cue as the show file planned it (from the log's show plan entries)."""

    number: str
    name: str
    cue_list: str
    planned_start: tuple[str, float] | None
    planned_duration: float | None
    duration: float


@dataclass(slots=True, kw_only=True)
class CueRun:
    """One firing of a cue; times are Unix seconds."""

    session: int
    number: str
    name: str
    cue_list: str
    trigger: str
    source: str
    start: float
    end: float | None = None
    ended: str = "running"
    """finished, stopped (by whom), or interrupted (the daemon stopped first)."""
    planned_start: float | None = None
    planned_duration: float | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from fire to finish or stop."""
        return None if self.end is None else self.end - self.start

    @property
    def delta(self) -> float | None:
        """Seconds late (+) or early (-) against the planned start."""
        return None if self.planned_start is None else self.start - self.planned_start

    @property
    def overrun(self) -> float | None:
        """Seconds past the planned duration (0 when on time or short)."""
        if self.planned_duration is None or self.duration is None:
            return None
        return max(0.0, self.duration - self.planned_duration)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """An operator command (or a refused one) as it reached the daemon."""

    at: float
    command: str
    source: str
    role: str
    cue: str
    rejected: str = ""


@dataclass(slots=True, kw_only=True)
class Fault:
    """A span of time a device was unreachable."""

    device: str
    start: float
    end: float | None
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One run of the daemon: from start to a clean stop, or to its last entry if it crashed."""

    id: int
    start: float
    end: float
    clean: bool


@dataclass(slots=True, kw_only=True)
class ShowRecord:
    """Everything the report draws, for entries between `start` and `end`."""

    title: str
    start: float
    end: float
    sessions: list[Session] = field(default_factory=list)
    runs: list[CueRun] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    notices: list[tuple[float, str, str]] = field(default_factory=list)
    errors: list[tuple[float, str, str]] = field(default_factory=list)

    def actions_by_source(self) -> dict[str, Counter[str]]:
        """For each source, how many of each command it sent (refused ones marked)."""
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for action in self.actions:
            name = f"{action.command} (refused)" if action.rejected else action.command
            found[action.source or "(local)"][name] += 1
        return dict(sorted(found.items()))


def read_log(db_path: Path, start: datetime | None, end: datetime | None) -> ShowRecord:
    """Load what happened between `start` and `end` (default: the whole log).

    Whole runs of the daemon that overlap the range are read, so a cue fired inside the
    range keeps its real end even when that end falls after it.
    """
    if not db_path.is_file():
        raise FileNotFoundError(f"no show log at {db_path}")
    low = start.timestamp() if start else float("-inf")
    high = end.timestamp() if end else float("inf")
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT * FROM log WHERE kind != 'effect' AND session IN "
            "(SELECT DISTINCT session FROM log WHERE epoch >= ? AND epoch <= ?) ORDER BY id",
            (low, high),
        ).fetchall()
    return _within(_Builder(rows).build(), low, high)


def _within(record: ShowRecord, low: float, high: float) -> ShowRecord:
    """Keep what starts in [low, high] (faults and runs of the daemon: what overlaps it)."""
    record.start, record.end = max(record.start, low), min(record.end, high)
    record.runs = [run for run in record.runs if low <= run.start <= high]
    record.actions = [action for action in record.actions if low <= action.at <= high]
    record.faults = [
        fault
        for fault in record.faults
        if fault.start <= high and (fault.end is None or fault.end >= low)
    ]
    record.sessions = [s for s in record.sessions if s.start <= high and s.end >= low]
    record.notices = [item for item in record.notices if low <= item[0] <= high]
    record.errors = [item for item in record.errors if low <= item[0] <= high]
    return record


class _Builder:
    def __init__(self, rows: list[sqlite3.Row]) -> None:
        self._rows = rows
        self._plans: dict[tuple[int, str], PlannedCue] = {}
        self._open_runs: dict[tuple[int, str], CueRun] = {}
        self._open_faults: dict[tuple[int, str], Fault] = {}
        self._first_go: float | None = None
        times = [row["epoch"] for row in rows]
        self.record = ShowRecord(
            title="", start=min(times, default=0.0), end=max(times, default=0.0)
        )

    def build(self) -> ShowRecord:
        session_rows: dict[int, list[float]] = defaultdict(list)
        clean: set[int] = set()
        for row in self._rows:
            session_rows[row["session"]].append(row["epoch"])
            handler = getattr(self, f"_{row['kind']}", None)
            if handler is not None:
                handler(row)
            if row["kind"] == "session" and row["name"] == "stop":
                clean.add(row["session"])
        for session, times in sorted(session_rows.items()):
            self.record.sessions.append(
                Session(id=session, start=min(times), end=max(times), clean=session in clean)
            )
        ends = {s.id: s.end for s in self.record.sessions}
        for run in self._open_runs.values():
            run.end, run.ended = ends[run.session], "interrupted"
        for (session, _), fault in self._open_faults.items():
            fault.end = ends[session]
        self.record.runs.sort(key=lambda run: run.start)
        self.record.faults.sort(key=lambda fault: fault.start)
        return self.record

    def _show(self, row: sqlite3.Row) -> None:
        plan = _json(row["detail"])
        self.record.title = str(plan.get("title", self.record.title))
        cues = plan.get("cues")
        for item in cues if isinstance(cues, list) else []:
            try:
                cue = _planned_cue(item)
            except (KeyError, TypeError, ValueError, IndexError):
                continue  # a damaged entry costs one cue's plan, not the report
            self._plans[(row["session"], cue.number)] = cue

    def _event(self, row: sqlite3.Row) -> None:
        key = (row["session"], row["cue"])
        detail = _json(row["detail"])
        if row["name"] == "cue-started":
            self._start_run(row, key, detail)
        elif row["name"] in ("cue-finished", "cue-stopped") and key in self._open_runs:
            run = self._open_runs.pop(key)
            run.end = row["epoch"]
            stopped_by = f"stopped by {row['source']}" if row["source"] else "stopped"
            run.ended = "finished" if row["name"] == "cue-finished" else stopped_by

    def _start_run(self, row: sqlite3.Row, key: tuple[int, str], detail: dict[str, Any]) -> None:
        trigger = str(detail.get("trigger", ""))
        if trigger == "go" and self._first_go is None:
            self._first_go = row["epoch"]
        plan = self._plans.get(key)
        run = CueRun(
            session=row["session"],
            number=row["cue"],
            name=plan.name if plan else "",
            cue_list=str(detail.get("cue_list", "")),
            trigger=trigger,
            source=row["source"],
            start=row["epoch"],
        )
        if plan is not None:
            run.planned_duration = (
                plan.planned_duration if plan.planned_duration is not None else plan.duration
            )
            run.planned_start = self._planned_time(plan, row["epoch"])
        self._open_runs[key] = run
        self.record.runs.append(run)

    def _planned_time(self, plan: PlannedCue, fired: float) -> float | None:
        if plan.planned_start is None:
            return None
        kind, seconds = plan.planned_start
        if kind == "offset":
            return None if self._first_go is None else self._first_go + seconds
        midnight = datetime.fromtimestamp(fired).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp() + seconds

    def _command(self, row: sqlite3.Row) -> None:
        self.record.actions.append(
            Action(
                at=row["epoch"], command=row["name"], source=row["source"], role=row["role"],
                cue=row["cue"],
            )
        )  # fmt: skip

    def _rejected(self, row: sqlite3.Row) -> None:
        detail = _json(row["detail"])
        reason = str(detail.get("reason", row["detail"] or "refused"))
        self.record.actions.append(
            Action(
                at=row["epoch"], command=row["name"], source=row["source"], role=row["role"],
                cue=row["cue"], rejected=reason,
            )
        )  # fmt: skip

    def _status(self, row: sqlite3.Row) -> None:
        key = (row["session"], row["device"])
        detail = _json(row["detail"])
        if row["name"] in FAULT_STATUSES:
            if key not in self._open_faults:
                fault = Fault(
                    device=row["device"], start=row["epoch"], end=None,
                    detail=str(detail.get("detail", "")),
                )  # fmt: skip
                self._open_faults[key] = fault
                self.record.faults.append(fault)
        elif key in self._open_faults:
            self._open_faults.pop(key).end = row["epoch"]

    def _notice(self, row: sqlite3.Row) -> None:
        detail = _json(row["detail"])
        self.record.notices.append((row["epoch"], row["name"], str(detail.get("message", ""))))

    def _error(self, row: sqlite3.Row) -> None:
        self.record.errors.append((row["epoch"], row["name"], row["detail"]))


def _planned_cue(item: dict[str, Any]) -> PlannedCue:
    planned = item.get("planned_start")
    duration = item.get("planned_duration")
    return PlannedCue(
        number=str(item["number"]),
        name=str(item.get("name", "")),
        cue_list=str(item.get("list", "")),
        planned_start=None if planned is None else (str(planned[0]), float(planned[1])),
        planned_duration=None if duration is None else float(duration),
        duration=float(item.get("duration", 0.0)),
    )


def _json(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
