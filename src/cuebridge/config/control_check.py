"""Checks and resolution of the `control:` section and of cue timecode triggers."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from cuebridge.config.control_model import (
    ROLE_NAMES,
    ControlFile,
    MidiInputFile,
    MidiMapFile,
    TimecodeFile,
)
from cuebridge.config.fields import cue_number_text
from cuebridge.config.yamlpos import DataPath, Document
from cuebridge.core.control_settings import (
    CUE_COMMANDS,
    LOOPBACK_OPERATORS,
    ConnectionValue,
    ControlSettings,
    MidiTrigger,
    OscAccess,
    TimecodeSettings,
)
from cuebridge.errors import Problem
from cuebridge.protocols.mtc import FrameRate, Timecode

FRAME_RATES: Mapping[str, FrameRate] = {
    "24": FrameRate.FPS_24,
    "25": FrameRate.FPS_25,
    "29.97df": FrameRate.FPS_29_97_DF,
    "30": FrameRate.FPS_30,
}
MIDI_KINDS = ("note", "cc", "program")
Reference = tuple[str, DataPath, str | None]
"""A cue number the show must contain, where it was written, and the referring cue."""


def _dict(value: object) -> Mapping[Any, Any]:
    return value if isinstance(value, dict) else {}


class ControlChecker:
    """Cross-field checks of `control:` and cue timecodes over the raw data (guarding types)."""

    def __init__(self, data: Mapping[object, object], doc: Document) -> None:
        self.data = data
        self.doc = doc
        self.problems: list[Problem] = []
        self.references: list[Reference] = []

    def run(self) -> list[Problem]:
        """Check everything; cue references are collected in `references`."""
        control = _dict(self.data.get("control"))
        base: DataPath = ("control",)
        self._check_osc(_dict(control.get("osc")), (*base, "osc"))
        midi = _dict(control.get("midi"))
        self._check_map(midi.get("map"), (*base, "midi", "map"))
        has_midi_input = isinstance(midi.get("input"), dict)
        if isinstance(midi.get("map"), list) and midi["map"] and not has_midi_input:
            self._add((*base, "midi"), "expected an input for the MIDI map (control.midi.input)")
        msc, timecode = control.get("msc"), control.get("timecode")
        chasing = bool(self._cue_timecodes())
        for section, body in (("msc", msc), ("timecode", timecode if chasing else None)):
            if isinstance(body, dict) and not has_midi_input and "input" not in body:
                message = f"expected an input: set control.{section}.input or control.midi.input"
                self._add((*base, section), message)
        for path in self._inputs(control):
            self._check_input(_dict(self.doc_value(path)), path)
        fps = _dict(timecode).get("fps")
        if isinstance(_dict(timecode).get("output"), dict):
            path = (*base, "timecode", "output")
            self._check_input(_dict(self.doc_value(path)), path)
        start = _dict(timecode).get("start")
        if isinstance(start, str):
            self._check_timecode_text(start, fps, (*base, "timecode", "start"))
        self._check_timecodes(fps)
        return self.problems

    def doc_value(self, path: DataPath) -> object:
        """The raw value at `path` in the data."""
        node: object = self.data
        for step in path:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return None
        return node

    def _add(self, path: DataPath, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, at_key=at_key))

    def _inputs(self, control: Mapping[Any, Any]) -> list[DataPath]:
        return [
            ("control", section, "input")
            for section in ("midi", "msc", "timecode")
            if isinstance(_dict(control.get(section)).get("input"), dict)
        ]

    def _check_input(self, body: Mapping[Any, Any], path: DataPath) -> None:
        transport = body.get("transport", "udp")
        if transport == "udp" and "port" not in body:
            self._add(path, 'missing required field "port" for a udp MIDI input')
        if transport == "rtmidi" and "port_name" not in body:
            self._add(path, 'missing required field "port_name" (a system MIDI input port)')

    def _check_osc(self, osc: Mapping[Any, Any], path: DataPath) -> None:
        seen: dict[str, str] = {}
        for role, passcode in _dict(osc.get("passcodes")).items():
            if not isinstance(passcode, str | int) or isinstance(passcode, bool):
                continue
            text = str(passcode)
            if not text:
                self._add((*path, "passcodes", role), "expected a passcode, got an empty string")
            elif text in seen:
                message = f"expected a passcode different from the {seen[text]} passcode"
                self._add((*path, "passcodes", role), message)
            else:
                seen[text] = str(role)
        for source in _dict(osc.get("allow")):
            if isinstance(source, str) and _network(source) is None:
                message = (
                    f'expected an IP address or network such as "192.168.1.20" or '
                    f'"10.0.0.0/24", got "{source}"'
                )
                self._add((*path, "allow", source), message, at_key=True)

    def _check_map(self, entries: object, path: DataPath) -> None:
        if not isinstance(entries, list):
            return
        first: dict[tuple[object, ...], int] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            where: DataPath = (*path, index)
            kinds = [kind for kind in MIDI_KINDS if entry.get(kind) is not None]
            if len(kinds) != 1:
                got = " and ".join(kinds) if kinds else "none"
                self._add(where, f"expected exactly one of note, cc or program, got {got}")
            elif kinds != ["cc"] and entry.get("value") is not None:
                self._add((*where, "value"), f"expected no value for a {kinds[0]} (cc only)")
            command = entry.get("command")
            number = cue_number_text(entry.get("cue"))
            if command in CUE_COMMANDS and "cue" not in entry:
                self._add(where, f'missing required field "cue" for command {command}')
            elif isinstance(command, str) and command not in CUE_COMMANDS and "cue" in entry:
                message = f"expected no cue for command {command} (only cue, start and load)"
                self._add((*where, "cue"), message)
            elif number is not None:
                self.references.append((number, (*where, "cue"), None))
            if len(kinds) == 1:
                key = (kinds[0], entry.get(kinds[0]), entry.get("channel"), entry.get("value"))
                if key in first:
                    line = self.doc.position((*path, first[key]))[0]
                    self._add(where, f"duplicate MIDI trigger (first mapped at line {line})")
                else:
                    first[key] = index

    def _check_timecodes(self, fps: object) -> None:
        seen: dict[float, DataPath] = {}
        for path, text, child in self._cue_timecodes():
            if self.doc_value(("control", "timecode")) is None:
                message = "expected control.timecode (with fps) for cues with a timecode trigger"
                self._add(path, message)
                continue
            if child:
                self._add(path, "expected no timecode on a child cue (only top-level cues)")
                continue
            seconds = self._check_timecode_text(text, fps, path)
            if seconds is None:
                continue
            if seconds in seen:
                line = self.doc.position(seen[seconds])[0]
                self._add(path, f"expected a timecode no other cue uses (line {line} has it)")
            else:
                seen[seconds] = path

    def _check_timecode_text(self, text: str, fps: object, path: DataPath) -> float | None:
        """Seconds of a timecode at the section's rate; None (reported) when it does not fit."""
        rate = FRAME_RATES.get(str(fps)) if isinstance(fps, int | str) else None
        if rate is None:
            return None  # the fps field itself is reported by the structural validation
        try:
            return Timecode.parse(text.strip(), rate).to_seconds()
        except ValueError as err:
            self._add(path, f'expected a timecode at {fps} fps, got "{text.strip()}" ({err})')
            return None

    def _cue_timecodes(self) -> list[tuple[DataPath, str, bool]]:
        found: list[tuple[DataPath, str, bool]] = []
        lists = self.data.get("cue_lists")

        def walk(cues: object, path: DataPath, child: bool) -> None:
            if not isinstance(cues, list):
                return
            for index, cue in enumerate(cues):
                if not isinstance(cue, dict):
                    continue
                if isinstance(cue.get("timecode"), str):
                    found.append(((*path, index, "timecode"), cue["timecode"].strip(), child))
                walk(cue.get("children"), (*path, index, "children"), True)

        for index, cue_list in enumerate(lists if isinstance(lists, list) else []):
            walk(_dict(cue_list).get("cues"), ("cue_lists", index, "cues"), False)
        return found


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _connection(body: MidiInputFile | None) -> Mapping[str, ConnectionValue] | None:
    if body is None:
        return None
    values = body.model_dump(exclude_none=True)
    return {key: value for key, value in values.items() if isinstance(value, str | int)}


def build_control(model: ControlFile, canonical: Callable[[str], str]) -> ControlSettings:
    """The resolved settings of a checked `control:` section."""
    osc = model.osc
    allow = (
        LOOPBACK_OPERATORS
        if osc.allow is None
        else {str(_network(source)): role for source, role in osc.allow.items()}
    )
    access = OscAccess(
        passcodes={
            passcode: role
            for role in ROLE_NAMES
            if (passcode := getattr(osc.passcodes, role)) is not None
        },
        allow=allow,
        default_role=osc.default_role,
        udp_reply_port=osc.udp_reply_port,
    )
    midi, msc, timecode = model.midi, model.msc, model.timecode
    midi_input = _connection(midi.input if midi else None)
    triggers = tuple(_trigger(entry, canonical) for entry in (midi.map if midi else ()))
    return ControlSettings(
        osc=access,
        midi_input=midi_input,
        midi_map=triggers,
        msc_device_id=msc.device_id if msc else None,
        msc_groups=tuple(msc.groups) if msc else (),
        msc_input=_connection(msc.input) if msc and msc.input else midi_input,
        timecode=_timecode_settings(timecode, midi_input),
    )


def _trigger(entry: MidiMapFile, canonical: Callable[[str], str]) -> MidiTrigger:
    kind, number = next(
        (kind, value) for kind in MIDI_KINDS if (value := getattr(entry, kind)) is not None
    )
    return MidiTrigger(
        kind=kind,
        number=number,
        command=entry.command,
        channel=entry.channel,
        value=entry.value,
        cue=None if entry.cue is None else canonical(entry.cue),
    )


def _timecode_settings(
    model: TimecodeFile | None, midi_input: Mapping[str, ConnectionValue] | None
) -> TimecodeSettings | None:
    if model is None:
        return None
    return TimecodeSettings(
        fps=model.fps,
        input=_connection(model.input) if model.input else midi_input,
        on_jump=model.on_jump,
        jump=model.jump,
        output=_connection(model.output),
        output_start=Timecode.parse(model.start, FRAME_RATES[model.fps]).to_seconds(),
    )


def cue_timecode(text: str | None, control: ControlFile) -> float | None:
    """Seconds after 00:00:00:00 of a checked cue timecode."""
    if text is None or control.timecode is None:
        return None
    return Timecode.parse(text, FRAME_RATES[control.timecode.fps]).to_seconds()
