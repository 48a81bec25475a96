"""Checks across a show file that its models cannot express: names, profiles, params, cues."""

from __future__ import annotations

from collections.abc import Mapping

from cuebridge.config.control_check import ControlChecker
from cuebridge.config.device_options import TOP_LEVEL_KEYS, device_connection_problems
from cuebridge.config.dmx_check import DmxChecker
from cuebridge.config.fields import (
    cue_number_text,
    is_name,
    is_scalar,
    parse_seconds,
)
from cuebridge.config.params import coerce, describe, suggestion
from cuebridge.config.profile_model import PROTOCOL_TRANSPORTS, ParamSpec, Profile
from cuebridge.config.profiles import CONTROL_PROFILE, ProfileCatalog
from cuebridge.config.suggest import hint, one_of
from cuebridge.config.yamlpos import DataPath, Document
from cuebridge.core.cuenumber import cue_sort_key
from cuebridge.errors import Problem

SHOW_DEVICE = "show"
"""The reserved device that controls the show's own cues."""


class ShowChecker:
    """Runs every semantic check once; afterwards `devices` maps names to their profiles.

    The checks read the raw data and guard every type, so they run (and report) even where
    the structural validation failed elsewhere in the file. A value of the wrong shape is
    skipped here: the structural validation reports it.
    """

    def __init__(self, data: Mapping[object, object], doc: Document, catalog: ProfileCatalog):
        self.data = data
        self.doc = doc
        self.catalog = catalog
        self.problems: list[Problem] = []
        self.devices: dict[str, Profile | None] = {}
        """Declared devices (and `show`); None where the profile is unknown or unusable."""
        self.dmx = DmxChecker(doc)
        """Patches of sACN devices, and the checks of their level and fixture actions."""
        self._numbers: dict[tuple[int, ...], tuple[str, DataPath]] = {}
        self._references: list[tuple[str, DataPath, str | None]] = []

    def canonical(self, number: str) -> str:
        """The referenced cue's number as its cue writes it ("01" -> "1")."""
        found = self._numbers.get(cue_sort_key(number))
        return number if found is None else found[0]

    def run(self) -> list[Problem]:
        """Check everything and return the problems found."""
        self._check_devices()
        self._check_cue_lists()
        control = ControlChecker(self.data, self.doc)
        self.problems += control.run()
        self._references += control.references
        self._check_references()
        return self.problems

    def _add(self, path: DataPath, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, at_key=at_key))

    def _check_devices(self) -> None:
        self.devices[SHOW_DEVICE] = self.catalog.get(CONTROL_PROFILE)
        devices = self.data.get("devices")
        if not isinstance(devices, dict):
            return
        for name, body in devices.items():
            if not isinstance(name, str):
                continue
            path: DataPath = ("devices", name)
            if name == SHOW_DEVICE:
                message = 'device name "show" is reserved for show control; choose another name'
                self._add(path, message, at_key=True)
                continue
            if not is_name(name):
                message = (
                    'expected a device name of lowercase letters, digits, "-" or "_", '
                    f'starting with a letter, got "{name}"'
                )
                self._add(path, message, at_key=True)
            self.devices[name] = (
                self._device_profile(body, path) if isinstance(body, dict) else None
            )
            if isinstance(body, dict):
                self.problems += self.dmx.check_device(name, body, path, self.devices[name])

    def _device_profile(self, body: Mapping[object, object], path: DataPath) -> Profile | None:
        profile_id = body.get("profile")
        if not is_name(profile_id):
            return None
        profile = self.catalog.get(profile_id)
        if profile is None:
            message = f'unknown profile "{profile_id}"{hint(profile_id, self.catalog.ids())}'
            self._add((*path, "profile"), message)
            return None
        if profile.protocol == "internal":
            message = (
                f'expected a device profile, got "{profile_id}" (a built-in control profile, '
                'used by the reserved device "show")'
            )
            self._add((*path, "profile"), message)
            return None
        transport = body.get("transport")
        allowed = PROTOCOL_TRANSPORTS[profile.protocol]
        if isinstance(transport, str) and transport not in allowed:
            expected = one_of(allowed) if allowed else "no transport"
            message = f'expected {expected} for a {profile.protocol} device, got "{transport}"'
            self._add((*path, "transport"), message)
        options = body.get("options")
        if isinstance(options, dict):
            for key in TOP_LEVEL_KEYS:
                if key in options:
                    message = f'expected no "{key}" in options (set {key} on the device itself)'
                    self._add((*path, "options", key), message, at_key=True)
        self.problems += device_connection_problems(body, path, profile, self.doc)
        return profile

    def _check_cue_lists(self) -> None:
        cue_lists = self.data.get("cue_lists")
        if not isinstance(cue_lists, list):
            return
        ids: dict[str, DataPath] = {}
        for index, cue_list in enumerate(cue_lists):
            if not isinstance(cue_list, dict):
                continue
            path: DataPath = ("cue_lists", index)
            list_id = cue_list.get("id")
            if is_name(list_id):
                if list_id in ids:
                    line = self.doc.position((*ids[list_id], "id"))[0]
                    message = f'duplicate cue list id "{list_id}" (first defined at line {line})'
                    self._add((*path, "id"), message)
                else:
                    ids[list_id] = path
            cues = cue_list.get("cues")
            if isinstance(cues, list):
                for position, cue in enumerate(cues):
                    self._check_cue(cue, (*path, "cues", position), child=False)

    def _check_cue(self, cue: object, path: DataPath, *, child: bool) -> None:
        if not isinstance(cue, dict):
            return
        number = cue_number_text(cue.get("number"))
        if number is not None:
            key = cue_sort_key(number)
            if key in self._numbers:
                first, first_path = self._numbers[key]
                line = self.doc.position((*first_path, "number"))[0]
                message = (
                    f'duplicate cue number "{number}": cue "{first}" is already defined '
                    f"at line {line}"
                )
                self._add((*path, "number"), message)
            else:
                self._numbers[key] = (number, path)
        if child and cue.get("continue") is not None:
            got = self.doc.render((*path, "continue"), cue["continue"])
            message = (
                "expected no continue on a child cue (children start with their group, "
                f"each after its own pre_wait), got {got}"
            )
            self._add((*path, "continue"), message)
        actions = cue.get("actions")
        if isinstance(actions, list):
            for index, action in enumerate(actions):
                if isinstance(action, dict):
                    self._check_action(action, (*path, "actions", index), number)
        children = cue.get("children")
        if isinstance(children, list):
            for index, kid in enumerate(children):
                self._check_cue(kid, (*path, "children", index), child=True)

    def _check_action(
        self, action: Mapping[object, object], path: DataPath, own: str | None
    ) -> None:
        device, name = action.get("device"), action.get("action")
        if not is_name(device):
            return
        if device not in self.devices:
            self._add((*path, "device"), f'unknown device "{device}"{hint(device, self.devices)}')
            return
        profile = self.devices[device]
        if profile is None and device == SHOW_DEVICE:
            message = f'show control needs the "{CONTROL_PROFILE}" profile, which is not loaded'
            self._add((*path, "device"), message)
        if profile is None or not is_name(name):
            return
        spec = profile.actions.get(name)
        if spec is None:
            suffix = hint(name, profile.actions)
            self._add((*path, "action"), f'unknown action "{name}" for {profile.id}{suffix}')
            return
        if self.dmx.checks(device, name):
            self.problems += self.dmx.check_action(device, name, spec, action, path)
            return
        params = action.get("params", {})
        if isinstance(params, dict):
            self._check_params(params, spec.params, (*path, "params"), name, own)
            params_path = (*path, "params") if "params" in action else path
            for param, param_spec in spec.params.items():
                if param_spec.required and param not in params:
                    message = f'missing required parameter "{param}" for action {name}'
                    self._add(params_path, message)
        fade = parse_seconds(action.get("fade", 0))
        if fade is not None and fade > 0 and not spec.fade_params:
            got = self.doc.render((*path, "fade"), action.get("fade"))
            message = f'expected 0 (action "{name}" has no parameter that fades), got {got}'
            self._add((*path, "fade"), message)

    def _check_params(
        self,
        params: Mapping[object, object],
        specs: Mapping[str, ParamSpec],
        path: DataPath,
        action: str,
        own: str | None,
    ) -> None:
        for key, value in params.items():
            if not isinstance(key, str):
                continue
            spec = specs.get(key)
            if spec is None:
                suffix = hint(key, specs)
                message = f'unknown parameter "{key}" for action {action}{suffix}'
                self._add((*path, key), message, at_key=True)
                continue
            if not is_scalar(value):
                continue
            textual = spec.type in ("string", "cue") and not isinstance(value, str | bool)
            source = self.doc.source_text((*path, key)) if textual else None
            coerced = coerce(spec, value, source)
            if coerced is None:
                got = self.doc.render((*path, key), value) + suggestion(spec, value)
                self._add((*path, key), f"expected {describe(spec)}, got {got}")
            elif spec.type == "cue":
                self._references.append((str(coerced), (*path, key), own))

    def _check_references(self) -> None:
        numbers = [number for number, _ in self._numbers.values()]
        for number, path, own in self._references:
            key = cue_sort_key(number)
            if key not in self._numbers:
                self._add(path, f'no cue numbered "{number}" in this show{hint(number, numbers)}')
            elif own is not None and key == cue_sort_key(own):
                message = (
                    f'expected the number of another cue, got this cue\'s own number "{number}"'
                )
                self._add(path, message)
