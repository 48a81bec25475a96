"""Resolution of a checked show file into the engine's immutable core.model.Show."""

from __future__ import annotations

from dataclasses import replace

from cuebridge.config.control_check import build_control, cue_timecode
from cuebridge.config.dmx_check import FIXTURE_ACTION
from cuebridge.config.fields import parse_planned_start
from cuebridge.config.params import coerce
from cuebridge.config.profile_model import Profile
from cuebridge.config.show_check import SHOW_DEVICE, ShowChecker
from cuebridge.config.show_model import ActionFile, CueFile, DeviceFile, ShowFile
from cuebridge.config.yamlpos import DataPath, Document
from cuebridge.core.cuenumber import cue_sort_key
from cuebridge.core.curves import Curve
from cuebridge.core.model import (
    Action,
    ContinueMode,
    Cue,
    CueList,
    Device,
    ParamValue,
    Show,
    ShowSettings,
)


class ShowBuilder:
    """Builds a Show from a file that passed every check; each lookup is known to succeed."""

    def __init__(self, model: ShowFile, checker: ShowChecker, doc: Document):
        self.model = model
        self.doc = doc
        self.checker = checker
        self.profiles: dict[str, Profile] = {}
        for name, profile in checker.devices.items():
            if profile is not None:
                self.profiles[name] = profile
        self.devices = self._devices()

    def build(self) -> Show:
        """The resolved show."""
        model = self.model
        cue_lists = tuple(
            CueList(
                id=cue_list.id,
                name=cue_list.name or cue_list.id,
                cues=tuple(
                    sorted(
                        (
                            self._cue(cue, ("cue_lists", index, "cues", position))
                            for position, cue in enumerate(cue_list.cues)
                        ),
                        key=lambda cue: cue_sort_key(cue.number),
                    )
                ),
            )
            for index, cue_list in enumerate(model.cue_lists)
        )
        info = model.show
        metadata = {
            key: value
            for key, value in (
                ("venue", info.venue),
                ("date", info.date),
                ("author", info.author),
                ("notes", info.notes),
            )
            if value is not None
        }
        return Show(
            title=info.title,
            cue_lists=cue_lists,
            devices=self.devices,
            settings=ShowSettings(
                min_go_interval=model.settings.min_go_interval,
                panic_time=model.settings.panic_time,
            ),
            source=self.doc.source,
            metadata=metadata,
            control=build_control(model.control, self.checker.canonical),
        )

    def _devices(self) -> dict[str, Device]:
        devices: dict[str, Device] = {}
        if SHOW_DEVICE in self.profiles:
            devices[SHOW_DEVICE] = Device(
                name=SHOW_DEVICE, profile=self.profiles[SHOW_DEVICE].id, connection={}
            )
        for name, body in self.model.devices.items():
            device = self._device(name, body, self.profiles[name])
            devices[name] = replace(device, patch=self.checker.dmx.patches.get(name))
        return devices

    @staticmethod
    def _device(name: str, body: DeviceFile, profile: Profile) -> Device:
        defaults = profile.connection
        overrides = {
            "host": body.host if body.host is not None else defaults.host,
            "port": body.port if body.port is not None else defaults.port,
            "transport": body.transport if body.transport is not None else defaults.transport,
        }
        connection: dict[str, ParamValue] = {**defaults.options, **body.options}
        connection.update((key, value) for key, value in overrides.items() if value is not None)
        return Device(name=name, profile=profile.id, connection=connection, panic=body.panic)

    def _cue(self, cue: CueFile, path: DataPath) -> Cue:
        planned = None if cue.planned_start is None else parse_planned_start(cue.planned_start)
        return Cue(
            number=cue.number,
            name=cue.name,
            notes=cue.notes,
            colour=cue.colour,
            pre_wait=cue.pre_wait,
            post_wait=cue.post_wait,
            continue_mode=ContinueMode(cue.continue_ or ContinueMode.NONE.value),
            armed=cue.armed,
            planned_start=planned,
            planned_duration=cue.planned_duration,
            timecode=cue_timecode(cue.timecode, self.model.control),
            actions=tuple(
                built
                for index, action in enumerate(cue.actions)
                for built in self._actions(action, (*path, "actions", index))
            ),
            children=tuple(
                self._cue(child, (*path, "children", index))
                for index, child in enumerate(cue.children or ())
            ),
        )

    def _actions(self, action: ActionFile, path: DataPath) -> tuple[Action, ...]:
        dmx = self.checker.dmx
        if action.action == FIXTURE_ACTION and dmx.checks(action.device, action.action):
            return dmx.build_fixture_action(action, self.devices[action.device].panic)
        return (self._action(action, path),)

    def _action(self, action: ActionFile, path: DataPath) -> Action:
        spec = self.profiles[action.device].actions[action.action]
        params: dict[str, ParamValue] = {}
        for name, param in spec.params.items():
            value = action.params.get(name, param.default)
            if value is None:
                continue
            source = None
            if not isinstance(value, str | bool) and param.type in ("string", "cue"):
                source = self.doc.source_text((*path, "params", name))
            coerced = coerce(param, value, source)
            if param.type == "cue" and isinstance(coerced, str):
                coerced = self.checker.canonical(coerced)
            params[name] = value if coerced is None else coerced
        fade_params = spec.fade_params
        panic = self.devices[action.device].panic
        return Action(
            device=action.device,
            action=action.action,
            params=params,
            fade=action.fade,
            curve=Curve(action.curve),
            fade_params=fade_params,
            home={name: float(spec.params[name].home or 0.0) for name in fade_params},
            panic_params=tuple(name for name in fade_params if panic and spec.params[name].panic),
        )
