"""Parses the terminal console's one-line commands into engine commands."""

from __future__ import annotations

from collections.abc import Callable

from cuebridge.core.commands import (
    Arm,
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
from cuebridge.core.cuenumber import is_valid_cue_number

CONSOLE_HELP = """\
  <Enter> | go          GO the standby cue        go N     stand by on cue N and GO
  start N               fire cue N, standby kept  load N   stand by on cue N
  next | prev           move the standby          stop [N] stop all or cue N
  pause [N] | resume [N]                          panic    (twice: cut)
  hardstop | reset      stop everything (reset: back to the top)
  arm N | disarm N      status | help | quit"""

SOURCE = "console"

_NO_ARG: dict[str, Callable[[], Command]] = {
    "go": lambda: Go(source=SOURCE),
    "next": lambda: StandbyNext(source=SOURCE),
    "prev": lambda: StandbyPrevious(source=SOURCE),
    "panic": lambda: Panic(source=SOURCE),
    "hardstop": lambda: HardStop(source=SOURCE),
    "reset": lambda: Reset(source=SOURCE),
    "stop": lambda: Stop(source=SOURCE),
    "pause": lambda: Pause(source=SOURCE),
    "resume": lambda: Resume(source=SOURCE),
}
_ONE_ARG: dict[str, Callable[[str], Command]] = {
    "go": lambda n: GoCue(number=n, source=SOURCE),
    "start": lambda n: StartCue(number=n, source=SOURCE),
    "load": lambda n: LoadCue(number=n, source=SOURCE),
    "stop": lambda n: Stop(number=n, source=SOURCE),
    "pause": lambda n: Pause(number=n, source=SOURCE),
    "resume": lambda n: Resume(number=n, source=SOURCE),
    "arm": lambda n: Arm(number=n, armed=True, source=SOURCE),
    "disarm": lambda n: Arm(number=n, armed=False, source=SOURCE),
}


def parse_console_line(line: str) -> Command | str:
    """Return the command for a console line, or a message saying what was wrong."""
    words = line.split()
    if not words:
        return Go(source=SOURCE)
    verb, args = words[0].lower(), words[1:]
    if not args and verb in _NO_ARG:
        return _NO_ARG[verb]()
    if len(args) == 1 and verb in _ONE_ARG:
        if not is_valid_cue_number(args[0]):
            return f"'{args[0]}' is not a cue number (digits and dots, like 12 or 3.5)"
        return _ONE_ARG[verb](args[0])
    if verb in _NO_ARG or verb in _ONE_ARG:
        return (
            f"'{verb}' takes {'a cue number' if verb not in _NO_ARG else 'at most one cue number'}"
        )
    return f"unknown command '{verb}': type 'help'"
