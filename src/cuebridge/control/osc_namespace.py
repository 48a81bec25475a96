"""OSC addresses to requests: the native `/cuebridge/...` namespace and the request value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cuebridge.core.cuenumber import is_valid_cue_number

PREFIX = "/cuebridge"


class Op(Enum):
    """Everything an OSC client can ask for."""

    # engine commands (operator)
    GO = "go"
    GO_CUE = "go-cue"
    START_CUE = "start-cue"
    LOAD_CUE = "load-cue"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    PANIC = "panic"
    HARD_STOP = "hard-stop"
    RESET = "reset"
    STANDBY_NEXT = "standby-next"
    STANDBY_PREVIOUS = "standby-previous"
    # connection management (anyone)
    PING = "ping"
    CONNECT = "connect"
    DISCONNECT = "disconnect"
    THUMP = "thump"
    ALWAYS_REPLY = "always-reply"
    UDP_REPLY_PORT = "udp-reply-port"
    VERSION = "version"
    # feedback and queries (viewer)
    SUBSCRIBE = "subscribe"
    STATE = "state"
    UPDATES = "updates"
    WORKSPACES = "workspaces"
    CUE_LISTS = "cue-lists"
    RUNNING_CUES = "running-cues"
    RUNNING_OR_PAUSED_CUES = "running-or-paused-cues"
    SELECTED_CUES = "selected-cues"
    DOUBLE_GO_REMAINING = "double-go-remaining"
    SHOW_MODE = "show-mode"
    CUE_PROPERTY = "cue-property"


COMMAND_OPS = frozenset(
    {
        Op.GO,
        Op.GO_CUE,
        Op.START_CUE,
        Op.LOAD_CUE,
        Op.STOP,
        Op.PAUSE,
        Op.RESUME,
        Op.PANIC,
        Op.HARD_STOP,
        Op.RESET,
        Op.STANDBY_NEXT,
        Op.STANDBY_PREVIOUS,
    }
)
OPEN_OPS = frozenset(
    {Op.PING, Op.CONNECT, Op.DISCONNECT, Op.THUMP, Op.ALWAYS_REPLY, Op.UDP_REPLY_PORT, Op.VERSION}
)
"""Allowed before authenticating, even for a source whose role is none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What an address asks for; the arguments are checked by the dispatcher."""

    op: Op
    address: str
    cue: str | None = None
    """A cue number, or a QLab selector: playhead, selected, active."""
    cue_id: str | None = None
    """A QLab uniqueID (`/cue_id/{id}/...`), of a cue or a cue list."""
    cue_list: str | None = None
    prop: str | None = None
    """The property a CUE_PROPERTY query reads."""
    qlab: bool = False
    """QLab flavour: replies carry the workspace id."""
    workspace: str | None = None
    """The `/workspace/{id}` prefix as sent, when there was one."""


_NATIVE_PLAIN = {
    "go": Op.GO,
    "stop": Op.STOP,
    "pause": Op.PAUSE,
    "resume": Op.RESUME,
    "panic": Op.PANIC,
    "hardstop": Op.HARD_STOP,
    "reset": Op.RESET,
    "ping": Op.PING,
    "subscribe": Op.SUBSCRIBE,
    "state": Op.STATE,
    "replies": Op.ALWAYS_REPLY,
    "connect": Op.CONNECT,
}
_NATIVE_STANDBY = {
    "next": Op.STANDBY_NEXT,
    "prev": Op.STANDBY_PREVIOUS,
    "previous": Op.STANDBY_PREVIOUS,
}
_NATIVE_CUE = {
    "go": Op.GO_CUE,
    "start": Op.START_CUE,
    "load": Op.LOAD_CUE,
    "stop": Op.STOP,
    "pause": Op.PAUSE,
    "resume": Op.RESUME,
}
NATIVE_ADDRESSES = (
    *(f"{PREFIX}/{word}" for word in _NATIVE_PLAIN),
    f"{PREFIX}/go/{{list}}",
    *(f"{PREFIX}/standby/{word}" for word in _NATIVE_STANDBY),
    *(f"{PREFIX}/cue/{{number}}/{word}" for word in _NATIVE_CUE),
)
"""Every native input address (placeholders in braces), for the documentation test."""


def resolve_native(address: str) -> Request | None:
    """The request for a `/cuebridge/...` address, or None when it names nothing."""
    if not address.startswith(PREFIX + "/"):
        return None
    parts = address[len(PREFIX) + 1 :].split("/")
    head, rest = parts[0], parts[1:]
    if not rest and head in _NATIVE_PLAIN:
        return Request(op=_NATIVE_PLAIN[head], address=address)
    if head == "go" and len(rest) == 1 and rest[0]:
        return Request(op=Op.GO, address=address, cue_list=rest[0])
    if head == "standby" and len(rest) == 1 and rest[0] in _NATIVE_STANDBY:
        return Request(op=_NATIVE_STANDBY[rest[0]], address=address)
    if head == "cue" and len(rest) == 2 and rest[1] in _NATIVE_CUE and is_valid_cue_number(rest[0]):
        return Request(op=_NATIVE_CUE[rest[1]], address=address, cue=rest[0])
    return None
