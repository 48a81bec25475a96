"""The report's HTML page: one self-contained file with inline CSS and the SVG timeline."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Final

from cuebridge import __version__
from cuebridge.report.data import ShowRecord
from cuebridge.report.timeline import source_colour, timeline_svg

STYLE: Final = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { margin: 0 0 4px; } h2 { margin-top: 28px; border-bottom: 1px solid #ddd; }
.meta { color: #666; }
table { border-collapse: collapse; margin-top: 8px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.late td.delta, td.over { color: #b3261e; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; }
svg.timeline { border: 1px solid #ddd; background: #fcfcfc; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
svg .grid { stroke: #e6e6e6; } svg .restart { stroke: #555; stroke-dasharray: 4 3; }
svg .fault { fill: #d62728; fill-opacity: 0.16; } svg .fault-label { fill: #b3261e; }
svg .crash { fill: #b3261e; font-weight: 600; } svg .planned { fill: #222; }
svg .action { stroke-width: 2; }
.legend span { margin-right: 16px; }
"""


def render_page(record: ShowRecord) -> str:
    """The whole report as one HTML document."""
    title = record.title or "Show"
    body = [
        f"<h1>{escape(title)}: show report</h1>",
        f'<p class="meta">{_when(record.start)} to {_when(record.end)} · '
        f"{len(record.runs)} cue runs · {len(record.actions)} operator actions · "
        f"{len(record.faults)} device faults · cuebridge {escape(__version__)}</p>",
        "<h2>Timeline</h2>",
        timeline_svg(record),
        _legend(),
        "<h2>Cues</h2>",
        _cue_table(record),
        "<h2>Operator actions by source</h2>",
        _action_table(record),
        "<h2>Device faults</h2>",
        _fault_table(record),
        "<h2>Runs of the daemon</h2>",
        _session_table(record),
        "<h2>Notices and errors</h2>",
        _messages(record),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}: show report</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _legend() -> str:
    items = [
        ("#3b7dd8", "cue finished"),
        ("#e08a1e", "cue stopped"),
        ("#9a9a9a", "interrupted by a stop of the daemon"),
        ("#222", "planned start (diamond)"),
        ("rgba(214,39,40,0.3)", "device unreachable"),
        ("#d62728", "refused operator action"),
    ]
    spans = "".join(
        f'<span><i class="swatch" style="background:{c}"></i>{escape(t)}</span>' for c, t in items
    )
    return f'<p class="legend">{spans}</p>'


def _cue_table(record: ShowRecord) -> str:
    head = (
        "<tr><th>List</th><th>Cue</th><th>Name</th><th>Planned start</th><th>Actual start</th>"
        "<th>Late (s)</th><th>Planned (s)</th><th>Duration (s)</th><th>Overrun (s)</th>"
        "<th>Trigger</th><th>Source</th><th>Ended</th></tr>"
    )
    rows = []
    for run in record.runs:
        late = run.delta is not None and run.delta > 1.0
        overrun = run.overrun
        rows.append(
            f'<tr class="cue-row{" late" if late else ""}">'
            f"<td>{escape(run.cue_list)}</td><td>{escape(run.number)}</td>"
            f"<td>{escape(run.name)}</td><td>{_clock(run.planned_start)}</td>"
            f"<td>{_clock(run.start)}</td><td class='num delta'>{_seconds(run.delta)}</td>"
            f"<td class='num'>{_seconds(run.planned_duration)}</td>"
            f"<td class='num'>{_seconds(run.duration)}</td>"
            f"<td class='num{' over' if overrun else ''}'>{_seconds(overrun)}</td>"
            f"<td>{escape(run.trigger)}</td><td>{escape(run.source)}</td>"
            f"<td>{escape(run.ended)}</td></tr>"
        )
    return _table(head, rows, "No cue ran in this period.")


def _action_table(record: ShowRecord) -> str:
    head = "<tr><th>Source</th><th>Actions</th><th>Total</th></tr>"
    rows = []
    for source, counts in record.actions_by_source().items():
        listed = ", ".join(f"{name} × {count}" for name, count in sorted(counts.items()))
        swatch = f'<i class="swatch" style="background:{source_colour(source)}"></i>'
        rows.append(
            f"<tr><td>{swatch}{escape(source)}</td><td>{escape(listed)}</td>"
            f"<td class='num'>{counts.total()}</td></tr>"
        )
    return _table(head, rows, "No operator actions in this period.")


def _fault_table(record: ShowRecord) -> str:
    head = "<tr><th>Device</th><th>From</th><th>To</th><th>Duration (s)</th><th>Detail</th></tr>"
    rows = [
        f"<tr><td>{escape(f.device)}</td><td>{_clock(f.start)}</td><td>{_clock(f.end)}</td>"
        f"<td class='num'>{_seconds(None if f.end is None else f.end - f.start)}</td>"
        f"<td>{escape(f.detail)}</td></tr>"
        for f in record.faults
    ]
    return _table(head, rows, "No device faults in this period.")


def _session_table(record: ShowRecord) -> str:
    head = "<tr><th>Run</th><th>From</th><th>To</th><th>Ended</th></tr>"
    rows = [
        f"<tr><td>{s.id}</td><td>{_when(s.start)}</td><td>{_when(s.end)}</td>"
        f"<td>{'clean stop' if s.clean else 'unclean stop (crash or kill)'}</td></tr>"
        for s in record.sessions
    ]
    return _table(head, rows, "No runs in this period.")


def _messages(record: ShowRecord) -> str:
    items = [(at, level, text) for at, level, text in record.notices]
    items += [(at, "error", f"{name}: {text}") for at, name, text in record.errors]
    if not items:
        return "<p>None.</p>"
    lines = [
        f"<li><b>{_clock(at)}</b> {escape(level)}: {escape(text)}</li>"
        for at, level, text in sorted(items)
    ]
    return "<ul>" + "".join(lines) + "</ul>"


def _table(head: str, rows: list[str], empty: str) -> str:
    if not rows:
        return f"<p>{escape(empty)}</p>"
    return f"<table>{head}{''.join(rows)}</table>"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def _clock(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at).strftime("%H:%M:%S")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
