"""Passcode guessing: spoofed hosts neither multiply guesses nor free a locked-out host."""

from __future__ import annotations

from cuebridge.control.osc_auth import AccessPolicy, ConnectResult
from cuebridge.control.osc_session import ClientSession, UdpSessions
from cuebridge.core.control_settings import OscAccess
from cuebridge.runtime.roles import Role

ACCESS = OscAccess(passcodes={"right": "operator"}, allow={}, default_role="viewer")


def test_a_flood_of_spoofed_hosts_cannot_push_a_locked_out_host_out_of_the_table() -> None:
    policy = AccessPolicy(
        ACCESS, max_failures=3, lockout_seconds=60.0, global_max_failures=10_000, tracked_hosts=8
    )
    for attempt in range(3):
        assert policy.connect("10.0.0.1", "guess", float(attempt))[0] is ConnectResult.BAD_PASSCODE
    for n in range(100):  # each spoofed source guesses once: fresh table entries
        policy.connect(f"10.1.{n // 256}.{n % 256}", "guess", 5.0)
    assert policy.connect("10.0.0.1", "right", 6.0)[0] is ConnectResult.LOCKED_OUT
    assert policy.connect("10.0.0.1", "right", 63.5) == (ConnectResult.OK, Role.OPERATOR)


def test_wrong_passcodes_from_many_hosts_lock_every_passcode_out_for_the_window() -> None:
    policy = AccessPolicy(ACCESS, global_max_failures=20, global_window=60.0)
    for n in range(20):
        result = policy.connect(f"10.2.0.{n}", "guess", 100.0 + n * 0.1)
        assert result[0] is ConnectResult.BAD_PASSCODE
    # a right passcode is refused too: success must not be learnable while the flood lasts
    assert policy.connect("10.3.0.1", "right", 105.0) == (ConnectResult.LOCKED_OUT, Role.VIEWER)
    assert policy.connect("10.3.0.1", "", 105.0) == (ConnectResult.OK, Role.VIEWER)
    assert policy.connect("10.3.0.1", "right", 160.5) == (ConnectResult.OK, Role.OPERATOR)


def test_a_few_wrong_passcodes_do_not_trip_the_global_limit() -> None:
    policy = AccessPolicy(ACCESS, global_max_failures=20, global_window=60.0)
    for n in range(19):
        policy.connect(f"10.2.0.{n}", "guess", float(n))
    assert policy.connect("10.3.0.1", "right", 30.0) == (ConnectResult.OK, Role.OPERATOR)
    # old failures age out of the window
    for n in range(19):
        policy.connect(f"10.4.0.{n}", "guess", 100.0 + n)
    assert policy.connect("10.3.0.2", "right", 161.0) == (ConnectResult.OK, Role.OPERATOR)


def session(port: int, *, authenticated: bool = False, subscribed: bool = False) -> ClientSession:
    made = ClientSession(
        host="10.0.0.9", port=port, stream=False, role=Role.VIEWER, transmit=lambda s, b: None
    )
    made.authenticated = authenticated
    made.subscribed = subscribed
    return made


def add(sessions: UdpSessions, port: int, *, authenticated: bool = False) -> ClientSession:
    return sessions.get(("10.0.0.9", port), lambda: session(port, authenticated=authenticated))


def test_unauthenticated_sessions_never_evict_authenticated_ones() -> None:
    sessions = UdpSessions(limit=4)
    authenticated = [add(sessions, port, authenticated=True) for port in (1, 2)]
    for port in range(100, 300):  # a flood that pins itself (/updates, subscriptions)
        add(sessions, port).subscribed = True
    assert not any(s.closed for s in authenticated)
    for s in authenticated:  # still the same sessions
        assert sessions.get((s.host, s.port), lambda: session(0)) is s


def test_a_self_pinning_flood_cannot_keep_a_new_client_out() -> None:
    sessions = UdpSessions(limit=4)
    for port in range(100, 110):
        add(sessions, port).subscribed = True
    newcomer = add(sessions, 5)
    assert not newcomer.closed  # the oldest unauthenticated flooder made room
    assert len(sessions) == 4
    newcomer.authenticated = True  # it sends its passcode next
    for port in range(200, 210):
        add(sessions, port).subscribed = True
    assert not newcomer.closed
