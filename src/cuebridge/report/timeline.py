"""The report's timeline picture: cues as bars over time, operator ticks, device faults as bands."""

from __future__ import annotations

import zlib
from datetime import datetime
from html import escape
from typing import Final

from cuebridge.core.cuenumber import cue_sort_key, is_valid_cue_number
from cuebridge.report.data import CueRun, ShowRecord

WIDTH: Final = 1100
LABEL_WIDTH: Final = 190
LANE: Final = 16
AXIS: Final = 28
STEPS: Final = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200)
PALETTE: Final = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
ENDED_COLOURS: Final = {"finished": "#3b7dd8", "interrupted": "#9a9a9a", "running": "#9a9a9a"}
STOPPED_COLOUR: Final = "#e08a1e"


def source_colour(source: str) -> str:
    """A stable colour per input source (the same source is the same colour in every report)."""
    return PALETTE[zlib.crc32(source.encode()) % len(PALETTE)]


def _lanes(record: ShowRecord) -> list[tuple[str, str]]:
    """(cue list, cue number) per lane, in list order of first use, then cue number order."""
    lists: dict[str, set[str]] = {}
    for run in record.runs:
        lists.setdefault(run.cue_list, set()).add(run.number)

    def key(number: str) -> tuple[int, tuple[int, ...], str]:
        valid = is_valid_cue_number(number)
        return (0 if valid else 1, cue_sort_key(number) if valid else (), number)

    return [(name, n) for name, numbers in lists.items() for n in sorted(numbers, key=key)]


class _Scale:
    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.span = max(end - start, 1.0)
        self.width = WIDTH - LABEL_WIDTH - 40  # room for the last time label

    def x(self, at: float) -> float:
        """Horizontal position of a time, clamped to the plot (bars may run past the range)."""
        fraction = min(1.0, max(0.0, (at - self.start) / self.span))
        return LABEL_WIDTH + fraction * self.width

    def ticks(self) -> list[float]:
        step = next((s for s in STEPS if self.span / s <= 10), STEPS[-1])
        first = (int(self.start) // step + 1) * step
        return [float(t) for t in range(first, int(self.start + self.span) + 1, step)]


def timeline_svg(record: ShowRecord) -> str:
    """An inline SVG of the whole record (no scripts, no external references)."""
    lanes = _lanes(record)
    lane_of = {lane: index + 1 for index, lane in enumerate(lanes)}  # lane 0: operator actions
    height = AXIS + (len(lanes) + 1) * LANE + 8
    scale = _Scale(record.start, record.end)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="Timeline of {escape(record.title)}">'
    ]
    parts += _axis(scale, height)
    parts += _faults(record, scale, height)
    parts += _sessions(record, scale, height)
    parts.append(_label(0, "operator actions"))
    parts += [_label(lane_of[lane], f"{lane[0]} {lane[1]}") for lane in lanes]
    parts += [_bar(run, scale, lane_of[(run.cue_list, run.number)]) for run in record.runs]
    parts += _actions(record, scale)
    parts.append("</svg>")
    return "\n".join(parts)


def _top(lane: int) -> float:
    return AXIS + lane * LANE


def _label(lane: int, text: str) -> str:
    y = _top(lane) + LANE - 4
    return (
        f'<text x="{LABEL_WIDTH - 6}" y="{y}" text-anchor="end" class="lane">{escape(text)}</text>'
    )


def _axis(scale: _Scale, height: int) -> list[str]:
    parts = []
    for tick in scale.ticks():
        x = scale.x(tick)
        label = datetime.fromtimestamp(tick).strftime("%H:%M:%S")
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS - 4}" x2="{x:.1f}" y2="{height}" class="grid"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{AXIS - 8}" text-anchor="middle">{label}</text>')
    return parts


def _faults(record: ShowRecord, scale: _Scale, height: int) -> list[str]:
    parts = []
    for fault in record.faults:
        end = fault.end if fault.end is not None else record.end
        x, w = scale.x(fault.start), max(2.0, scale.x(end) - scale.x(fault.start))
        tip = f"{fault.device} unreachable {_clock(fault.start)}-{_clock(end)} {fault.detail}"
        parts.append(
            f'<rect class="fault" x="{x:.1f}" y="{AXIS}" width="{w:.1f}" '
            f'height="{height - AXIS}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(f'<text x="{x + 2:.1f}" y="{height - 3}" class="fault-label">'
                     f"{escape(fault.device)}</text>")  # fmt: skip
    return parts


def _sessions(record: ShowRecord, scale: _Scale, height: int) -> list[str]:
    parts = []
    for session in record.sessions[1:]:
        x = scale.x(session.start)
        parts.append(f'<line x1="{x:.1f}" y1="{AXIS}" x2="{x:.1f}" y2="{height}" class="restart"/>')
    for session in record.sessions:
        if not session.clean:
            x = scale.x(session.end)
            parts.append(
                f'<text x="{x - 3:.1f}" y="{AXIS + 10}" text-anchor="end" class="crash">'
                "unclean stop</text>"
            )
    return parts


def _bar(run: CueRun, scale: _Scale, lane: int) -> str:
    end = run.end if run.end is not None else run.start
    x, w = scale.x(run.start), max(2.0, scale.x(end) - scale.x(run.start))
    colour = ENDED_COLOURS.get(run.ended, STOPPED_COLOUR)
    tip = f"{run.number} {run.name} {_clock(run.start)}-{_clock(end)} {run.ended}"
    bar = (
        f'<rect class="cue" x="{x:.1f}" y="{_top(lane) + 2}" width="{w:.1f}" height="{LANE - 4}" '
        f'fill="{colour}"><title>{escape(tip)}</title></rect>'
    )
    if run.planned_start is None:
        return bar
    px, py = scale.x(run.planned_start), _top(lane) + LANE / 2
    corners = [(px, py - 5), (px + 4, py), (px, py + 5), (px - 4, py)]
    diamond = "M" + " L".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners) + " Z"
    tip = f"planned {_clock(run.planned_start)}"
    return bar + f'<path class="planned" d="{diamond}"><title>{tip}</title></path>'


def _actions(record: ShowRecord, scale: _Scale) -> list[str]:
    parts = []
    top = _top(0)
    for action in record.actions:
        x = scale.x(action.at)
        colour = "#d62728" if action.rejected else source_colour(action.source)
        tip = f"{_clock(action.at)} {action.command} {action.cue} from {action.source or 'local'}"
        tip += f" refused: {action.rejected}" if action.rejected else ""
        parts.append(
            f'<line class="action" x1="{x:.1f}" y1="{top + 2}" x2="{x:.1f}" y2="{top + LANE - 2}" '
            f'stroke="{colour}"><title>{escape(tip)}</title></line>'
        )
    return parts


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M:%S")
