"""Turns a resolved OSC request into an engine command, resolving cue numbers and selectors."""

from __future__ import annotations

from collections.abc import Callable

from cuebridge.control.osc_namespace import Op, Request
from cuebridge.control.qlab_queries import QlabShowIndex
from cuebridge.core.commands import (
    Command,
    Go,
    GoCue,
    HardStop,
    LoadCue,
    Panic,
    Pause,
    Reset,
    Resume,
    StandbyNext,
    StandbyPrevious,
    StartCue,
    Stop,
)
from cuebridge.core.snapshot import EngineSnapshot


class RequestError(ValueError):
    """The request names a cue or list that does not exist, or a selector that fits nothing."""


def build_command(
    request: Request,
    index: QlabShowIndex,
    snapshot: Callable[[], EngineSnapshot],
    *,
    source: str,
    role: str,
) -> Command:
    """The engine command for a command request; RequestError when it cannot apply."""
    cue, cue_list = _target(request, index, snapshot)
    op = request.op
    if op in (Op.GO_CUE, Op.START_CUE, Op.LOAD_CUE):
        if cue is None and op is Op.GO_CUE and cue_list is not None:
            return Go(cue_list=cue_list, source=source, role=role)  # /cue_id/{list}/go
        if cue is None:
            raise RequestError(f"{request.address} needs one cue, not a whole list")
        if op is Op.GO_CUE:
            return GoCue(number=cue, source=source, role=role)
        if op is Op.START_CUE:
            return StartCue(number=cue, source=source, role=role)
        return LoadCue(number=cue, source=source, role=role)
    if op is Op.STOP:
        return Stop(number=cue, source=source, role=role)
    if op is Op.PAUSE:
        return Pause(number=cue, source=source, role=role)
    if op is Op.RESUME:
        return Resume(number=cue, source=source, role=role)
    if op is Op.GO:
        return Go(cue_list=cue_list, source=source, role=role)
    if op is Op.STANDBY_NEXT:
        return StandbyNext(cue_list=cue_list, source=source, role=role)
    if op is Op.STANDBY_PREVIOUS:
        return StandbyPrevious(cue_list=cue_list, source=source, role=role)
    if op is Op.PANIC:
        return Panic(source=source, role=role)
    if op is Op.HARD_STOP:
        return HardStop(source=source, role=role)
    if op is Op.RESET:
        return Reset(source=source, role=role)
    raise RequestError(f"{request.address} is not a command")


def _target(
    request: Request, index: QlabShowIndex, snapshot: Callable[[], EngineSnapshot]
) -> tuple[str | None, str | None]:
    """(cue number, cue list id) the request addresses; both None means everything."""
    if request.cue_id is not None:
        found = index.resolve_id(request.cue_id)
        if found is None:
            raise RequestError(f"no cue or cue list with uniqueID {request.cue_id!r}")
        kind, name = found
        return (name, None) if kind == "cue" else (None, name)
    if request.cue_list is not None:
        if all(cue_list.id != request.cue_list for cue_list in index.show.cue_lists):
            raise RequestError(f"no cue list {request.cue_list!r}")
        return None, request.cue_list
    if request.cue is None or request.cue == "active":
        return None, None
    if request.cue in ("playhead", "selected"):
        lists = snapshot().lists  # only selectors pay for a snapshot: GO stays cheap
        standby = lists[0].standby if lists else None
        if standby is None:
            raise RequestError("nothing is standing by")
        return standby, None
    number = index.canonical(request.cue)
    if number is None:
        raise RequestError(f"no cue numbered {request.cue!r}")
    return number, None
