"""The DMX side of sACN devices in a show file: patch, unit, and level and fixture actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cuebridge.config.fields import is_name, is_number
from cuebridge.config.fixture_model import UNITS
from cuebridge.config.fixtures import FixtureLibrary, default_fixture_dirs
from cuebridge.config.params import coerce, describe
from cuebridge.config.profile_model import ActionSpec, ParamSpec, Profile
from cuebridge.config.show_model import ActionFile
from cuebridge.config.suggest import hint
from cuebridge.config.yamlpos import DataPath, Document
from cuebridge.core.curves import Curve
from cuebridge.core.dmx_patch import DMX_SLOTS, DmxPatch, Fixture, FixtureType, Unit, overlaps
from cuebridge.core.model import Action
from cuebridge.errors import Problem

LEVEL_ACTION = "level"
FIXTURE_ACTION = "fixture"
DMX_FIELDS = ("unit", "patch")
"""Device fields only sACN devices have."""

LibraryLoader = Callable[[], tuple[FixtureLibrary, list[Problem]]]


def default_library() -> tuple[FixtureLibrary, list[Problem]]:
    """The fixture types of the default profile directories, and the problems of broken files."""
    return FixtureLibrary.load_checked(default_fixture_dirs())


class DmxChecker:
    """Checks sACN devices' patches and DMX actions; afterwards `patches` holds every patch.

    Like ShowChecker it reads the raw data and skips values of the wrong shape, which the
    structural validation reports. Fixture types load on the first patch that needs them.
    """

    def __init__(self, doc: Document, load_library: LibraryLoader = default_library) -> None:
        self.doc = doc
        self.patches: dict[str, DmxPatch] = {}
        """Every sACN device's patch (possibly empty), by device name."""
        self._load_library = load_library
        self._library: FixtureLibrary | None = None
        self._broken: dict[str, set[str]] = {}  # fixtures already reported, by device

    def check_device(
        self, name: str, body: Mapping[object, object], path: DataPath, profile: Profile | None
    ) -> list[Problem]:
        """Check a device's unit and patch; remember the patch of an sACN device."""
        if profile is None:
            return []
        if profile.protocol != "sacn":
            return [
                self.doc.problem(
                    (*path, key),
                    f"expected no {key} here: only sacn devices have DMX levels "
                    f"(this device's profile {profile.id} is {profile.protocol})",
                    at_key=True,
                )
                for key in DMX_FIELDS
                if key in body
            ]
        unit = body.get("unit")
        patch = body.get("patch")
        problems: list[Problem] = []
        fixtures: dict[str, Fixture] = {}
        if isinstance(patch, dict) and patch:
            fixtures = self._fixtures(name, patch, (*path, "patch"), problems)
        self.patches[name] = DmxPatch(fixtures, Unit(unit) if unit in UNITS else Unit.PERCENT)
        return problems

    def checks(self, device: object, action: object) -> bool:
        """Whether this checker owns the parameters of `action` on `device`."""
        return device in self.patches and action in (LEVEL_ACTION, FIXTURE_ACTION)

    def check_action(
        self,
        device: str,
        name: str,
        spec: ActionSpec,
        action: Mapping[object, object],
        path: DataPath,
    ) -> list[Problem]:
        """Check the parameters of a level or fixture action in the device's unit."""
        params = action.get("params", {})
        if not isinstance(params, dict):
            return []
        params_path = (*path, "params") if "params" in action else path
        if name == LEVEL_ACTION:
            return self._check_level(self.patches[device].unit, spec, params, params_path)
        return self._check_fixture(device, params, params_path)

    def build_fixture_action(self, action: ActionFile, panic: bool) -> tuple[Action, ...]:
        """One action per attribute, so each is its own target: later cues take over per channel.

        Each has the parameters `fixture`, `attribute` and `value` (in the device's unit).
        """
        patch = self.patches[action.device]
        fixture = patch.fixture(str(action.params[FIXTURE_ACTION]))
        built: list[Action] = []
        for name, value in action.params.items():
            if name == FIXTURE_ACTION:
                continue
            attribute = fixture.type.attributes[name]
            built.append(
                Action(
                    device=action.device,
                    action=FIXTURE_ACTION,
                    params={"fixture": fixture.name, "attribute": name, "value": float(value)},
                    fade=0.0 if attribute.snap else action.fade,
                    curve=Curve(action.curve),
                    fade_params=("value",),
                    home={"value": patch.home(attribute)},
                    panic_params=("value",) if panic and attribute.panic else (),
                )
            )
        return tuple(built)

    def _library_once(self, problems: list[Problem]) -> FixtureLibrary:
        if self._library is None:
            self._library, found = self._load_library()
            problems += found
        return self._library

    def _fixtures(
        self, device: str, patch: Mapping[object, object], path: DataPath, problems: list[Problem]
    ) -> dict[str, Fixture]:
        library = self._library_once(problems)
        broken = self._broken.setdefault(device, set())
        fixtures: dict[str, Fixture] = {}
        for name, entry in patch.items():
            if not isinstance(name, str):
                continue
            fixture = None
            if not is_name(name):
                message = (
                    'expected a fixture name of lowercase letters, digits, "-" or "_", '
                    f'starting with a letter, got "{name}"'
                )
                problems.append(self.doc.problem((*path, name), message, at_key=True))
            elif isinstance(entry, dict):
                fixture = self._fixture(name, entry, (*path, name), library, problems)
            if fixture is None:
                broken.add(name)
            else:
                fixtures[name] = fixture
        for overlap in overlaps(fixtures.values()):
            first, second = overlap.first, overlap.second
            low, high = overlap.addresses
            shared = f"address {low}" if low == high else f"addresses {low}-{high}"
            message = (
                f'fixture "{second.name}" ({_addresses(second)}) overlaps "{first.name}" '
                f"({_addresses(first)}) at universe {second.universe} {shared}; "
                "patch each address once (units set to one address are one fixture)"
            )
            problems.append(self.doc.problem((*path, second.name, "address"), message))
        return fixtures

    def _fixture(
        self,
        name: str,
        entry: Mapping[object, object],
        path: DataPath,
        library: FixtureLibrary,
        problems: list[Problem],
    ) -> Fixture | None:
        type_id, universe, address = entry.get("type"), entry.get("universe"), entry.get("address")
        fixture_type: FixtureType | None = None
        if is_name(type_id):
            fixture_type = library.get(type_id)
            if fixture_type is None:
                message = f'unknown fixture type "{type_id}"{hint(type_id, library.ids())}'
                problems.append(self.doc.problem((*path, "type"), message))
        if fixture_type is None or type(universe) is not int or type(address) is not int:
            return None
        if not (1 <= universe <= 63999 and 1 <= address <= DMX_SLOTS):
            return None  # the structural validation says what is wrong
        footprint = fixture_type.footprint
        if address + footprint - 1 > DMX_SLOTS:
            got = self.doc.render((*path, "address"), address)
            message = (
                f"expected a start address from 1 to {DMX_SLOTS - footprint + 1} "
                f"({fixture_type.id} takes {footprint} channels and must end by {DMX_SLOTS}), "
                f"got {got}"
            )
            problems.append(self.doc.problem((*path, "address"), message))
            return None
        return Fixture(name=name, type=fixture_type, universe=universe, address=address)

    def _check_level(
        self,
        unit: Unit,
        spec: ActionSpec,
        params: Mapping[object, object],
        path: DataPath,
    ) -> list[Problem]:
        specs = dict(spec.params)
        if LEVEL_ACTION in specs:  # the level is in the device's unit, not the profile's
            update = {
                "min": 0.0,
                "max": unit.full_scale,
                "unit": "%" if unit is Unit.PERCENT else None,
            }
            specs[LEVEL_ACTION] = specs[LEVEL_ACTION].model_copy(update=update)
        problems: list[Problem] = []
        for key, value in params.items():
            if not isinstance(key, str):
                continue
            param = specs.get(key)
            if param is None:
                message = f'unknown parameter "{key}" for action {LEVEL_ACTION}{hint(key, specs)}'
                problems.append(self.doc.problem((*path, key), message, at_key=True))
            elif coerce(param, value) is None:
                got = self.doc.render((*path, key), value)
                problems.append(
                    self.doc.problem((*path, key), f"expected {describe(param)}, got {got}")
                )
        problems += self._missing(specs, params, path, LEVEL_ACTION)
        return problems

    def _check_fixture(
        self, device: str, params: Mapping[object, object], path: DataPath
    ) -> list[Problem]:
        patch = self.patches[device]
        name = params.get(FIXTURE_ACTION)
        if name is None:
            return self._missing(
                {FIXTURE_ACTION: ParamSpec(type="string")}, params, path, FIXTURE_ACTION
            )
        if isinstance(name, str) and name in self._broken.get(device, ()):
            return []  # its patch entry is reported already
        fixture = patch.fixtures.get(name) if isinstance(name, str) else None
        if fixture is None:
            where = (*path, FIXTURE_ACTION)
            got = self.doc.render(where, name)
            suffix = hint(name, patch.fixtures) if isinstance(name, str) else ""
            message = f"expected a fixture in the patch of {device}, got {got}{suffix}"
            return [self.doc.problem(where, message)]
        problems: list[Problem] = []
        attributes = fixture.type.attributes
        for key, value in params.items():
            if key == FIXTURE_ACTION or not isinstance(key, str):
                continue
            if key not in attributes:
                message = (
                    f'unknown attribute "{key}" for fixture {fixture.name} of type '
                    f"{fixture.type.id}{hint(key, attributes)}"
                )
                problems.append(self.doc.problem((*path, key), message, at_key=True))
            elif not (is_number(value) and 0 <= value <= patch.unit.full_scale):  # type: ignore[operator]
                got = self.doc.render((*path, key), value)
                message = f"expected {patch.unit.describe()}, got {got}"
                problems.append(self.doc.problem((*path, key), message))
        if len(params) < 2:
            message = (
                f"expected at least one attribute of fixture {fixture.name} to set "
                f"({', '.join(attributes)})"
            )
            problems.append(self.doc.problem(path, message))
        return problems

    def _missing(
        self,
        specs: Mapping[str, ParamSpec],
        params: Mapping[object, object],
        path: DataPath,
        action: str,
    ) -> list[Problem]:
        return [
            self.doc.problem(path, f'missing required parameter "{name}" for action {action}')
            for name, spec in specs.items()
            if spec.required and name not in params
        ]


def _addresses(fixture: Fixture) -> str:
    return f"address{'es' if fixture.type.footprint > 1 else ''} {fixture.span}"
