"""A simulated MIDI console on loopback: raw MIDI over UDP in, MSC/notes/CC/MTC state out."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from typing import Final

from cuebridge.config.profile_model import Profile
from cuebridge.core.model import ParamValue
from cuebridge.drivers.midi_transport import MidiReceiver, open_midi_receiver
from cuebridge.protocols.msc import ALL_CALL, MscOptions
from cuebridge.render.midi_fields import command_format_code
from cuebridge.sim.base import Faults, JsonDict
from cuebridge.sim.midi_console_state import MidiConsoleState, Outcome, describe_message
from cuebridge.sim.osc_events import Heard, Listener

logger = logging.getLogger(__name__)

DEFAULT_DEVICE_ID: Final = 1
"""The console's own MSC device ID when neither the caller nor the profile gives one."""
HOST: Final = "127.0.0.1"


class MidiConsoleSim:
    """Stands in for a MIDI/MSC console (Eos, grandMA3, a Yamaha desk, any MIDI receiver).

    Listens for raw MIDI over UDP on 127.0.0.1 (`port` 0: any free port; read `.port` after
    start). MSC is filtered by device ID (its own, all-call 7F, or `group_ids` 70-7E) and
    command format. Those settings come from the arguments, else from `options` (pass the
    device's connection, so a show's `device_id` holds), else from the profile's connection
    options (`device_id`, `command_format`, `set_value_msb_first`); without any the console
    is device 1 and takes every command format. Malformed input is ignored and counted. Faults:
    `offline` ignores everything, `drop_rate` drops that share of messages, `delay` acts on
    each message that many seconds late.
    """

    def __init__(
        self,
        name: str,
        *,
        profile: Profile | None = None,
        port: int = 0,
        device_id: int | None = None,
        group_ids: tuple[int, ...] = (),
        command_format: int | str | None = None,
        options: Mapping[str, ParamValue] | None = None,
        history: int = 50,
        seed: int | None = None,
    ) -> None:
        options = {**(profile.connection.options if profile else {}), **(options or {})}
        own, groups = _ids(device_id, options.get("device_id"), group_ids)
        wanted = command_format if command_format is not None else options.get("command_format")
        self._name = name
        self._requested_port = port
        self._faults = Faults()
        self._random = random.Random(seed)
        self._receiver: MidiReceiver | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._handled = asyncio.Event()
        self._listeners: list[Listener] = []
        self.console = MidiConsoleState(
            own,
            group_ids=groups,
            command_format=None if wanted is None else command_format_code(wanted),
            msc_options=MscOptions(set_value_msb_first=options.get("set_value_msb_first") is True),
            history=history,
        )
        self.dropped = 0
        """Messages lost to `drop_rate`."""
        self.offline_ignored = 0
        """Messages ignored while offline."""

    @property
    def name(self) -> str:
        """The device name it stands in for."""
        return self._name

    @property
    def kind(self) -> str:
        """Family: midi."""
        return "midi"

    @property
    def port(self) -> int:
        """The bound UDP port (after start)."""
        return self._receiver.port if self._receiver is not None else self._requested_port

    @property
    def faults(self) -> Faults:
        """Live fault switches."""
        return self._faults

    @property
    def connection(self) -> dict[str, str | int]:
        """Connection keys that point a MIDI device at this simulator."""
        return {"transport": "udp", "host": HOST, "port": self.port}

    async def start(self) -> None:
        """Bind on 127.0.0.1 and start listening."""
        if self._receiver is not None:
            raise RuntimeError(f"MIDI simulator {self._name!r} already started")
        self._receiver = await open_midi_receiver(
            {"transport": "udp", "host": HOST, "port": self._requested_port},
            self._received,
            on_malformed=self._malformed,
        )

    async def aclose(self) -> None:
        """Stop listening and forget delayed messages; idempotent."""
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            await receiver.aclose()

    def state(self) -> JsonDict:
        """Live console state (see MidiConsoleState.as_dict)."""
        return self.console.as_dict()

    def stats(self) -> JsonDict:
        """Counters: messages, ignored by reason (malformed input among them), fault effects."""
        console = self.console
        ignored = dict(console.ignored)
        if console.malformed_count:
            ignored["malformed"] = console.malformed_count
        return {
            "port": self.port,
            "messages": console.messages,
            "ignored": ignored,
            "ignored_total": sum(ignored.values()),
            "malformed": console.malformed_count,
            "malformed_recent": list(console.malformed),
            "faults": {"offline": self.offline_ignored, "dropped": self.dropped},
        }

    def add_listener(self, listener: Listener) -> None:
        """Hear each message taken in or ignored (quarter frames excepted: 100 a second)."""
        self._listeners.append(listener)

    async def wait_until(
        self, condition: Callable[[JsonDict], bool], within: float = 2.0
    ) -> JsonDict:
        """Wait until `condition(state())` holds (checked after each input); TimeoutError
        after `within` seconds."""
        async with asyncio.timeout(within):
            while not condition(state := self.state()):
                self._handled.clear()
                await self._handled.wait()
        return state

    def _received(self, message: bytes) -> None:
        faults = self._faults
        if faults.offline:
            self.offline_ignored += 1
            self._tell((describe_message(message), "offline"))
        elif faults.drop_rate > 0 and self._random.random() < faults.drop_rate:
            self.dropped += 1
            self._tell((describe_message(message), "dropped"))
        elif faults.delay > 0:
            loop = asyncio.get_running_loop()
            self._pending.add(loop.call_later(faults.delay, self._late, message))
            return
        else:
            self._tell(self.console.apply(message))
        self._handled.set()

    def _late(self, message: bytes) -> None:
        now = asyncio.get_running_loop().time()
        self._pending = {handle for handle in self._pending if handle.when() > now}
        self._tell(self.console.apply(message))
        self._handled.set()

    def _malformed(self, reason: str) -> None:
        self.console.reject(reason)
        self._tell(("input", f"malformed: {reason}"))
        self._handled.set()

    def _tell(self, outcome: Outcome | None) -> None:
        if outcome is None or not self._listeners:
            return
        text, reason = outcome
        note = ""
        if reason is not None and ": " in reason:  # "bad MSC: why" -> reason, note
            reason, note = reason.split(": ", 1)
        heard = Heard(asyncio.get_running_loop().time(), "udp", text, note, reason)
        for listener in list(self._listeners):
            try:
                listener(heard)
            except Exception:
                logger.exception("MIDI simulator %s: listener failed", self._name)


def _ids(
    given: int | None, from_profile: object, group_ids: tuple[int, ...]
) -> tuple[int, tuple[int, ...]]:
    """The console's own ID and groups: a group or all-call setting becomes a group / default."""
    chosen = given if given is not None else from_profile
    if not isinstance(chosen, int) or isinstance(chosen, bool):
        return DEFAULT_DEVICE_ID, group_ids
    if chosen == ALL_CALL:
        return DEFAULT_DEVICE_ID, group_ids
    if 0x70 <= chosen < ALL_CALL:
        return DEFAULT_DEVICE_ID, (*group_ids, chosen)
    return chosen, group_ids
