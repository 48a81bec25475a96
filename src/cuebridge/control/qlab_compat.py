"""The QLab-compatible OSC subset: address resolution, reply envelopes and update notices."""

from __future__ import annotations

import json
from enum import Enum

from cuebridge.control.osc_namespace import Op, Request
from cuebridge.core.cuenumber import is_valid_cue_number
from cuebridge.protocols.osc import OscMessage, osc_message

VERSION = "5.0.0"
"""The QLab API level answered to `/version`: QLab 5's addresses and reply shapes."""
SELECTORS = frozenset({"playhead", "selected", "active"})


class Status(Enum):
    """The `status` of a reply envelope."""

    OK = "ok"
    ERROR = "error"
    DENIED = "denied"


_APP = {
    "connect": Op.CONNECT,
    "disconnect": Op.DISCONNECT,
    "thump": Op.THUMP,
    "alwaysReply": Op.ALWAYS_REPLY,
    "udpReplyPort": Op.UDP_REPLY_PORT,
    "version": Op.VERSION,
    "workspaces": Op.WORKSPACES,
    "updates": Op.UPDATES,
}
_WORKSPACE = {
    "go": Op.GO,
    "stop": Op.STOP,
    "hardStop": Op.HARD_STOP,
    "pause": Op.PAUSE,
    "resume": Op.RESUME,
    "panic": Op.PANIC,
    "reset": Op.RESET,
    "cueLists": Op.CUE_LISTS,
    "runningCues": Op.RUNNING_CUES,
    "runningOrPausedCues": Op.RUNNING_OR_PAUSED_CUES,
    "selectedCues": Op.SELECTED_CUES,
    "doubleGoWindowRemaining": Op.DOUBLE_GO_REMAINING,
    "showMode": Op.SHOW_MODE,
    "connect": Op.CONNECT,
    "disconnect": Op.DISCONNECT,
    "thump": Op.THUMP,
    "updates": Op.UPDATES,
}
_MOVE = {"next": Op.STANDBY_NEXT, "previous": Op.STANDBY_PREVIOUS}
CUE_ACTIONS = {
    "start": Op.START_CUE,
    "go": Op.GO_CUE,
    "load": Op.LOAD_CUE,
    "stop": Op.STOP,
    "hardStop": Op.STOP,
    "pause": Op.PAUSE,
    "resume": Op.RESUME,
}
CUE_PROPERTIES = frozenset(
    {
        "uniqueID",
        "number",
        "name",
        "displayName",
        "listName",
        "type",
        "notes",
        "colorName",
        "armed",
        "flagged",
        "isRunning",
        "isPaused",
        "isLoaded",
        "isBroken",
        "duration",
        "actionElapsed",
        "percentActionElapsed",
        "preWait",
        "postWait",
        "continueMode",
        "parent",
        "valuesForKeys",
    }
)
QLAB_ADDRESSES = (
    *(f"/{word}" for word in _APP),
    *(f"/{word}" for word in _WORKSPACE if word not in _APP),
    "/go/{number}",
    "/playhead/{number}",
    *(f"/playhead/{word}" for word in _MOVE),
    *(f"/select/{word}" for word in _MOVE),
    *(f"/cue/{{number}}/{word}" for word in CUE_ACTIONS),
    *(f"/cue_id/{{id}}/{word}" for word in CUE_ACTIONS),
    "/cue/{number}/{property}",
    "/workspace/{id}/...",
)
"""Every QLab-compatible address shape, for the documentation test."""


def resolve_qlab(address: str) -> Request | None:
    """The request for a QLab address (optionally `/workspace/{id}/...`), or None."""
    parts = address.split("/")[1:]
    workspace = None
    if len(parts) >= 3 and parts[0] == "workspace" and parts[1]:
        workspace, parts = parts[1], parts[2:]
    elif len(parts) == 1 and parts[0] in _APP:
        return Request(op=_APP[parts[0]], address=address, qlab=True)
    request = _workspace_request(parts)
    if request is None:
        return None
    op, cue, cue_id, prop = request
    return Request(
        op=op, address=address, cue=cue, cue_id=cue_id, prop=prop, qlab=True, workspace=workspace
    )


def _workspace_request(
    parts: list[str],
) -> tuple[Op, str | None, str | None, str | None] | None:
    if len(parts) == 1 and parts[0] in _WORKSPACE:
        return _WORKSPACE[parts[0]], None, None, None
    if len(parts) != 2 and len(parts) != 3:
        return None
    head, arg = parts[0], parts[1]
    if len(parts) == 2:
        if head == "go" and is_valid_cue_number(arg):
            return Op.GO_CUE, arg, None, None
        if head in ("playhead", "select") and arg in _MOVE:
            return _MOVE[arg], None, None, None
        if head in ("playhead", "select") and is_valid_cue_number(arg):
            return Op.LOAD_CUE, arg, None, None
        return None
    method = parts[2]
    if head == "cue" and (is_valid_cue_number(arg) or arg in SELECTORS):
        cue, cue_id = arg, None
    elif head == "cue_id" and arg:
        cue, cue_id = None, arg
    else:
        return None
    if method in CUE_ACTIONS:
        return CUE_ACTIONS[method], cue, cue_id, None
    if method in _MOVE and cue_id is not None:  # Companion: /cue_id/{list}/next
        return _MOVE[method], cue, cue_id, None
    if method in ("go", "panic", "reset") and cue_id is not None:
        return _WORKSPACE[method], cue, cue_id, None
    if method in CUE_PROPERTIES:
        return Op.CUE_PROPERTY, cue, cue_id, method
    return None


def reply(
    address: str,
    status: Status,
    data: object = None,
    *,
    workspace_id: str | None = None,
    with_data: bool = True,
) -> OscMessage:
    """`/reply{address}` with QLab's JSON envelope as its one string argument."""
    envelope: dict[str, object] = {}
    if workspace_id is not None:
        envelope["workspace_id"] = workspace_id
    envelope["address"] = address
    envelope["status"] = status.value
    if with_data and data is not None:
        envelope["data"] = data
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    return osc_message("/reply" + address, "s", text)


def playback_position_update(workspace_id: str, list_id: str, cue_id: str | None) -> OscMessage:
    """QLab's notice that a list's playhead moved (no argument: nothing standing by)."""
    address = f"/update/workspace/{workspace_id}/cueList/{list_id}/playbackPosition"
    return osc_message(address) if cue_id is None else osc_message(address, "s", cue_id)


def cue_update(workspace_id: str, cue_id: str) -> OscMessage:
    """QLab's notice that a cue changed: clients re-query it."""
    return osc_message(f"/update/workspace/{workspace_id}/cue_id/{cue_id}")


def disconnect_update(workspace_id: str) -> OscMessage:
    """QLab's notice that the workspace dropped the client."""
    return osc_message(f"/update/workspace/{workspace_id}/disconnect")
