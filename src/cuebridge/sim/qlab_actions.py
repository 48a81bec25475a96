"""What each QLab workspace address does in the simulator, and which right it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.osc_endpoint import Ignored
from cuebridge.sim.qlab_workspace import Workspace

VERSION: Final = "5.4.3"
VIEW: Final = frozenset({"view", "edit", "control"})
"""Queries: any right lets a client look."""
CONTROL: Final = frozenset({"control"})
EDIT_OR_CONTROL: Final = frozenset({"edit", "control"})
NONE: Final = frozenset[str]()

Outcome = tuple[str, Any]
"""(note for people, reply data or None)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A recognised request: the rights that allow it (any one), query or action, the effect."""

    needs: frozenset[str]
    query: bool
    run: Callable[[], Outcome]


def resolve(workspace: Workspace, path: str, message: OscMessage) -> Request | None:
    """The request at `path` (workspace prefix already removed), or None if QLab has no such."""
    request = _workspace_request(workspace, path) or _cue_request(workspace, path)
    if request is not None and message.args:
        raise Ignored("bad_arguments", f"{path} takes no arguments here")
    return request


def _workspace_request(ws: Workspace, path: str) -> Request | None:
    def all_cues(verb: str, change: Callable[[], list[str]]) -> Callable[[], Outcome]:
        return lambda: (f"{verb} {', '.join(change()) or 'nothing'}", None)

    if path == "/thump":
        return Request(NONE, True, lambda: ("thump answered", "thump"))
    if path == "/go":
        return Request(CONTROL, False, lambda: _go(ws))
    if path in ("/stop", "/hardStop", "/panic"):
        needs = EDIT_OR_CONTROL if path == "/stop" else CONTROL
        return Request(needs, False, all_cues(f"{path[1:]}:", ws.stop))
    if path == "/pause":
        return Request(CONTROL, False, all_cues("paused", ws.pause))
    if path == "/resume":
        return Request(CONTROL, False, all_cues("resumed", ws.resume))
    if path == "/reset":
        return Request(CONTROL, False, lambda: _reset(ws))
    if path.startswith("/playhead/") and path.count("/") == 2:
        where = path.removeprefix("/playhead/")
        return Request(CONTROL, False, lambda: _playhead(ws, where))
    queries: dict[str, Callable[[], Any]] = {
        "/runningCues": lambda: [ws.cue_info(cue) for cue in ws.running],
        "/runningOrPausedCues": lambda: [ws.cue_info(cue) for cue in [*ws.running, *ws.paused]],
        "/cueLists": ws.cue_lists,
    }
    query = queries.get(path)
    if query is None:
        return None
    return Request(VIEW, True, lambda: (f"{path[1:]} answered", query()))


def _go(ws: Workspace) -> Outcome:
    started = ws.go()
    if started is None:
        return "GO: no cue at the playhead", None
    return f"GO: cue {started} started, playhead on {ws.playhead or 'nothing'}", None


def _reset(ws: Workspace) -> Outcome:
    ws.reset()
    return f"reset: everything stopped, playhead on {ws.playhead or 'nothing'}", None


def _playhead(ws: Workspace, where: str) -> Outcome:
    ws.move_playhead(where)
    return f"playhead on {ws.playhead or 'nothing'}", None


_CUE_ACTIONS: Final = {
    "start": CONTROL,
    "go": CONTROL,
    "stop": EDIT_OR_CONTROL,
    "hardStop": CONTROL,
    "panic": CONTROL,
    "pause": CONTROL,
    "resume": CONTROL,
    "load": CONTROL,
}
_CUE_QUERIES: Final = ("isRunning", "isPaused", "number", "name", "uniqueID", "type")


def _cue_request(ws: Workspace, path: str) -> Request | None:
    parts = path.split("/")
    if len(parts) != 4 or parts[1] not in ("cue", "cue_id") or not parts[2]:
        return None
    method = parts[3]
    if parts[1] == "cue_id":
        number = ws.number_of(parts[2])
    elif parts[2] == "playhead":
        number = ws.playhead
    else:
        number = None if parts[2] in ("selected", "active") else parts[2]
    if number is None:
        return None
    if method in _CUE_QUERIES:
        if number not in ws.cues:
            return None
        answer = _ask(ws, number, method)
        return Request(VIEW, True, lambda: (f"cue {number} {method} answered", answer))
    needs = _CUE_ACTIONS.get(method)
    if needs is None:
        return None
    return Request(needs, False, lambda: _act(ws, number, method))


def _ask(ws: Workspace, number: str, method: str) -> Any:
    info = ws.cue_info(number)
    answers = {"isRunning": number in ws.running, "isPaused": number in ws.paused}
    return answers.get(method, info.get(method))


def _act(ws: Workspace, number: str, method: str) -> Outcome:
    if method == "start":
        ws.start(number)
    elif method == "go":
        ws.move_playhead(number)
        ws.go()
    elif method in ("stop", "hardStop", "panic"):
        ws.stop(number)
    elif method == "pause":
        ws.pause(number)
    elif method == "resume":
        ws.resume(number)
    else:
        ws.ensure(number)
    return f"cue {number} {method}", None
