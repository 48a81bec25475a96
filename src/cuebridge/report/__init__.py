"""The show report: an HTML page with a timeline and a CSV, read from the show log."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Final

from cuebridge.report.data import ShowRecord, read_log
from cuebridge.report.page import render_page

__all__ = ["CSV_COLUMNS", "parse_when", "write_report"]

CSV_COLUMNS: Final = (
    "record", "list", "cue", "name", "planned_start", "actual_start", "late_s",
    "planned_duration_s", "duration_s", "overrun_s", "trigger", "source", "ended",
    "device", "count", "detail",
)  # fmt: skip
"""One CSV for spreadsheets: `record` is cue, action (per source and command) or fault."""


def write_report(
    db_path: Path, out_dir: Path, start: datetime | None = None, end: datetime | None = None
) -> tuple[Path, Path]:
    """Write `show-report-<date>.html` and `.csv` into `out_dir`; returns their paths.

    Raises FileNotFoundError when there is no show log at `db_path`.
    """
    record = read_log(db_path, start, end)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"show-report-{datetime.fromtimestamp(record.start):%Y-%m-%d-%H%M}"
    html_path, csv_path = out_dir / f"{stem}.html", out_dir / f"{stem}.csv"
    html_path.write_text(render_page(record), encoding="utf-8")
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(record))
    return html_path, csv_path


def csv_rows(record: ShowRecord) -> list[dict[str, str]]:
    """The CSV's rows: every cue run, then actions by source, then device faults."""
    rows = [
        {
            "record": "cue",
            "list": run.cue_list,
            "cue": run.number,
            "name": run.name,
            "planned_start": _iso(run.planned_start),
            "actual_start": _iso(run.start),
            "late_s": _num(run.delta),
            "planned_duration_s": _num(run.planned_duration),
            "duration_s": _num(run.duration),
            "overrun_s": _num(run.overrun),
            "trigger": run.trigger,
            "source": run.source,
            "ended": run.ended,
        }
        for run in record.runs
    ]
    for source, counts in record.actions_by_source().items():
        rows += [
            {"record": "action", "source": source, "name": name, "count": str(count)}
            for name, count in sorted(counts.items())
        ]
    rows += [
        {
            "record": "fault",
            "device": fault.device,
            "actual_start": _iso(fault.start),
            "duration_s": _num(None if fault.end is None else fault.end - fault.start),
            "detail": fault.detail,
        }
        for fault in record.faults
    ]
    return rows


def parse_when(text: str) -> datetime:
    """`--from`/`--to` values: an ISO date or date-time, or a time of day today (HH:MM[:SS])."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        clock = datetime.strptime(text, "%H:%M:%S" if text.count(":") == 2 else "%H:%M")
    except ValueError:
        raise ValueError(
            f"expected a date, a date and time (2024-05-01T19:30) or a time (19:30), got {text!r}"
        ) from None
    return datetime.now().replace(
        hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=0
    )


def _iso(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at).astimezone().isoformat("T", "seconds")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
