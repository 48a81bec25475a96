"""What every simulated device offers the runtime: lifecycle, live state and fault injection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

JsonDict = dict[str, Any]


@dataclass(slots=True)
class Faults:
    """Failures a simulator can be told to rehearse, switched at run time."""

    offline: bool = False
    """Receive nothing, answer nothing (as if unplugged)."""
    drop_rate: float = 0.0
    """Share of incoming packets silently dropped, 0..1."""
    delay: float = 0.0
    """Seconds added before every answer."""
    ignore_probes: bool = False
    """Keep working but stop answering liveness probes."""

    def as_dict(self) -> JsonDict:
        """JSON form for the API and panel."""
        return {
            "offline": self.offline,
            "drop_rate": self.drop_rate,
            "delay": self.delay,
            "ignore_probes": self.ignore_probes,
        }


class SimulatedDevice(Protocol):
    """One simulator listening on 127.0.0.1."""

    @property
    def name(self) -> str:
        """The device name it stands in for."""
        ...

    @property
    def kind(self) -> str:
        """Family: mixer, console, qlab, media, midi, sacn, osc."""
        ...

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        ...

    @property
    def faults(self) -> Faults:
        """Live fault switches; mutate to inject failures."""
        ...

    async def start(self) -> None:
        """Bind and start serving on 127.0.0.1."""
        ...

    async def aclose(self) -> None:
        """Stop serving; idempotent."""
        ...

    def state(self) -> JsonDict:
        """Live device state as JSON-able data (faders, levels, clips, cue...)."""
        ...

    def stats(self) -> JsonDict:
        """Counters: packets received, ignored (with reasons), answered."""
        ...
