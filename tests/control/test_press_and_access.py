"""The press/release rule and the OSC access policy, as pure functions."""

from __future__ import annotations

import math

import pytest

from cuebridge.control.osc_auth import AccessPolicy, ConnectResult, rights
from cuebridge.control.press import Edge, EdgeError, edge_of
from cuebridge.core.control_settings import OscAccess
from cuebridge.protocols.osc import OscValue, osc_args
from cuebridge.runtime.roles import Role


@pytest.mark.parametrize(
    ("tags", "values", "edge"),
    [
        ("", (), Edge.PRESS),
        ("i", (1,), Edge.PRESS),
        ("i", (-3,), Edge.PRESS),
        ("i", (0,), Edge.RELEASE),
        ("h", (2,), Edge.PRESS),
        ("f", (1.0,), Edge.PRESS),
        ("f", (0.0,), Edge.RELEASE),
        ("d", (1.0,), Edge.PRESS),
        ("f", (0.5,), Edge.NEITHER),
        ("f", (127.0,), Edge.NEITHER),
        ("f", (-1.0,), Edge.NEITHER),
        ("f", (math.nan,), Edge.NEITHER),
        ("T", (), Edge.PRESS),
        ("F", (), Edge.RELEASE),
        ("N", (), Edge.PRESS),
    ],
)
def test_press_release_rule(tags: str, values: tuple[OscValue, ...], edge: Edge) -> None:
    assert edge_of(osc_args(tags, *values)) is edge


def test_positive_floats_counts_any_float_above_zero() -> None:
    assert edge_of(osc_args("f", 0.5), positive_floats=True) is Edge.PRESS
    assert edge_of(osc_args("f", -0.5), positive_floats=True) is Edge.NEITHER
    assert edge_of(osc_args("f", 0.0), positive_floats=True) is Edge.RELEASE


@pytest.mark.parametrize(("tags", "values"), [("s", ("go",)), ("ii", (1, 1)), ("b", (b"x",))])
def test_non_button_arguments_are_errors(tags: str, values: tuple[OscValue, ...]) -> None:
    with pytest.raises(EdgeError):
        edge_of(osc_args(tags, *values))


def test_roles_by_address_most_specific_first() -> None:
    policy = AccessPolicy(
        OscAccess(
            allow={"10.0.0.0/8": "viewer", "10.1.2.3": "operator", "10.9.0.0/16": "admin"},
            default_role="none",
        )
    )
    assert policy.role_for("10.1.2.3") is Role.OPERATOR
    assert policy.role_for("10.1.2.4") is Role.VIEWER
    assert policy.role_for("10.9.8.7") is Role.ADMIN
    assert policy.role_for("::ffff:10.1.2.3") is Role.OPERATOR  # IPv4-mapped IPv6
    assert policy.role_for("192.168.0.1") is Role.NONE
    assert policy.role_for("not-an-address") is Role.NONE


def test_passcodes_raise_but_never_lower_and_lockout_expires() -> None:
    policy = AccessPolicy(
        OscAccess(passcodes={"op": "operator", "see": "viewer"}),
        max_failures=3,
        lockout_seconds=60.0,
    )
    assert policy.connect("127.0.0.1", "see", 0.0) == (ConnectResult.OK, Role.OPERATOR)
    assert policy.connect("10.0.0.1", "", 0.0) == (ConnectResult.OK, Role.VIEWER)
    for attempt in range(3):
        assert policy.connect("10.0.0.1", "nope", float(attempt))[0] is ConnectResult.BAD_PASSCODE
    assert policy.connect("10.0.0.1", "op", 10.0)[0] is ConnectResult.LOCKED_OUT
    assert policy.connect("10.0.0.2", "op", 10.0) == (ConnectResult.OK, Role.OPERATOR)
    assert policy.connect("10.0.0.1", "op", 62.1) == (ConnectResult.OK, Role.OPERATOR)


def test_rights_words() -> None:
    assert rights(Role.VIEWER) == "view"
    assert rights(Role.OPERATOR) == "view|control"
    assert rights(Role.ADMIN) == "view|edit|control"
