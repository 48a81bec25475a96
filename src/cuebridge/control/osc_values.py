"""The feedback values: one typed value per `/cuebridge/out/...` address, from a snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cuebridge.control.qlab_queries import latest_running
from cuebridge.core.model import Cue, Show
from cuebridge.core.snapshot import CueState, EngineSnapshot
from cuebridge.protocols.osc import OscArg
from cuebridge.runtime.status import DeviceHealth

OUT = "/cuebridge/out"
FEEDBACK_ADDRESSES = (
    f"{OUT}/show/title",
    f"{OUT}/list/name",
    f"{OUT}/standby/number",
    f"{OUT}/standby/name",
    f"{OUT}/standby/notes",
    f"{OUT}/next/number",
    f"{OUT}/running/number",
    f"{OUT}/running/name",
    f"{OUT}/running/progress",
    f"{OUT}/running/remaining",
    f"{OUT}/running/remaining_seconds",
    f"{OUT}/running/count",
    f"{OUT}/state",
    f"{OUT}/go/enabled",
    f"{OUT}/heartbeat",
    f"{OUT}/device/{{name}}/status",
)
"""Every feedback address (placeholder in braces), for the documentation test."""


class ShowLookup:
    """Cues by number and the top-level numbers of one show."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.cues: dict[str, Cue] = {cue.number: cue for cue in _walk(show)}
        self.top_level = frozenset(cue.number for lst in show.cue_lists for cue in lst.cues)


def _walk(show: Show) -> Iterator[Cue]:
    stack = [cue for lst in show.cue_lists for cue in reversed(lst.cues)]
    while stack:
        cue = stack.pop()
        yield cue
        stack.extend(reversed(cue.children))


def format_remaining(seconds: float) -> str:
    """ "MM:SS.t", or "H:MM:SS" from an hour up (tenths round up: 0.01 s left shows 00:00.1)."""
    tenths = int(-(-max(0.0, seconds) * 10 // 1))
    if tenths >= 36_000:
        whole = tenths // 10
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{tenths // 600:02d}:{tenths // 10 % 60:02d}.{tenths % 10}"


def show_state(snapshot: EngineSnapshot) -> str:
    """idle, running, paused or panic."""
    if snapshot.panic_until is not None:
        return "panic"
    if not snapshot.running:
        return "idle"
    if all(run.state is CueState.PAUSED for run in snapshot.running):
        return "paused"
    return "running"


def feedback_values(
    snapshot: EngineSnapshot,
    lookup: ShowLookup,
    devices: Mapping[str, DeviceHealth],
    heartbeat: float,
) -> dict[str, OscArg]:
    """Every feedback address with its current value (of the first cue list)."""
    main = snapshot.lists[0] if snapshot.lists else None
    standby = lookup.cues.get(main.standby) if main and main.standby else None
    running = latest_running(snapshot, lookup.top_level)
    values: dict[str, OscArg] = {
        f"{OUT}/show/title": OscArg("s", lookup.show.title),
        f"{OUT}/list/name": OscArg("s", main.name if main else ""),
        f"{OUT}/standby/number": OscArg("s", standby.number if standby else ""),
        f"{OUT}/standby/name": OscArg("s", standby.name if standby else ""),
        f"{OUT}/standby/notes": OscArg("s", standby.notes if standby else ""),
        f"{OUT}/next/number": OscArg("s", (main.next or "") if main else ""),
        f"{OUT}/running/number": OscArg("s", running.number if running else ""),
        f"{OUT}/running/name": OscArg("s", running.name if running else ""),
        f"{OUT}/running/progress": OscArg("f", round(running.progress, 3) if running else 0.0),
        f"{OUT}/running/remaining": OscArg(
            "s", format_remaining(running.remaining) if running else ""
        ),
        f"{OUT}/running/remaining_seconds": OscArg(
            "f", round(running.remaining, 1) if running else 0.0
        ),
        f"{OUT}/running/count": OscArg("i", len(snapshot.running)),
        f"{OUT}/state": OscArg("s", show_state(snapshot)),
        f"{OUT}/go/enabled": OscArg("i", int(snapshot.go_locked_until is None)),
        f"{OUT}/heartbeat": OscArg("f", heartbeat),
    }
    for name in sorted(devices):
        if name != "show" and "/" not in name:
            values[f"{OUT}/device/{name}/status"] = OscArg("s", devices[name].status.value)
    return values
