"""What a simulated OSC device reports about each message: taken in (with a note) or ignored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.osc_peers import Peer


class Ignored(Exception):
    """Raised by a device handler: the device ignores this message; counted under `reason`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Heard:
    """One message the device took in, or one packet or message it ignored (`reason` set).

    Packets lost to the offline and drop faults are heard too, with reason "offline" or
    "dropped"; they are counted under the faults, not under ignored.
    """

    time: float
    peer: str
    text: str
    note: str
    reason: str | None = None

    def __str__(self) -> str:
        if self.reason is not None:
            return f"ignored {self.text} from {self.peer}: {self.reason}: {self.note}"
        return f"{self.text} ({self.note})" if self.note else self.text


Handler = Callable[[OscMessage, Peer], str]
"""Apply one message to the device and return a note on what it did (or raise Ignored)."""
Listener = Callable[[Heard], None]
