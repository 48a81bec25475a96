"""OSC access: a source's role from the allow-list, passcodes, and lockout after bad guesses."""

from __future__ import annotations

import hmac
import ipaddress
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum

from cuebridge.core.control_settings import OscAccess
from cuebridge.runtime.roles import Role

MAX_FAILURES = 5
"""Wrong passcodes in a row from one host before its `/connect` is refused for a while."""
LOCKOUT_SECONDS = 60.0
TRACKED_HOSTS = 1024
"""Hosts whose failures are remembered; the oldest that is not locked out is forgotten first."""
GLOBAL_MAX_FAILURES = 20
"""Wrong passcodes from all hosts together within `GLOBAL_WINDOW` before every passcode is
refused until the window clears: spoofed source addresses cannot multiply the guesses, nor
push a locked-out host out of the table (few hosts can be locked out at once)."""
GLOBAL_WINDOW = 60.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConnectResult(Enum):
    """The outcome of a `/connect <passcode>`."""

    OK = "ok"
    BAD_PASSCODE = "badpass"
    LOCKED_OUT = "denied"


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class AccessPolicy:
    """Decides roles: allow-list by source address, passcodes to raise it, lockout on guessing."""

    def __init__(
        self,
        access: OscAccess,
        *,
        max_failures: int = MAX_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
        global_max_failures: int = GLOBAL_MAX_FAILURES,
        global_window: float = GLOBAL_WINDOW,
        tracked_hosts: int = TRACKED_HOSTS,
    ) -> None:
        self._passcodes = {code: Role.parse(role) for code, role in access.passcodes.items()}
        rules = [
            (ipaddress.ip_network(source, strict=False), Role.parse(role) if role else Role.NONE)
            for source, role in access.allow.items()
        ]
        # The most specific network wins: a /32 for one laptop overrides its subnet's rule.
        self._rules: list[tuple[Network, Role]] = sorted(
            rules, key=lambda rule: rule[0].prefixlen, reverse=True
        )
        self._default = (
            Role.NONE if access.default_role == "none" else Role.parse(access.default_role)
        )
        self._max_failures = max_failures
        self._lockout = lockout_seconds
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        if global_max_failures < 1 or tracked_hosts < 1:
            raise ValueError("global_max_failures and tracked_hosts must be at least 1")
        self._tracked_hosts = tracked_hosts
        self._global_max = global_max_failures
        self._global_window = global_window
        self._recent: deque[float] = deque(maxlen=global_max_failures)
        """Times of the latest wrong passcodes from any host (at most `global_max`)."""

    @property
    def passcodes_configured(self) -> bool:
        """Whether any passcode exists."""
        return bool(self._passcodes)

    def role_for(self, host: str) -> Role:
        """A source's role before any passcode: the most specific allow-list rule, or default."""
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return self._default
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        for network, role in self._rules:
            if address.version == network.version and address in network:
                return role
        return self._default

    def connect(self, host: str, passcode: str, now: float) -> tuple[ConnectResult, Role]:
        """Check a passcode from `host`: the result and the role it grants (never below the
        address's own role); an empty passcode just confirms the address's role."""
        base = self.role_for(host)
        failures = self._failures.get(host)
        if failures is not None and failures.locked_until > now:
            return ConnectResult.LOCKED_OUT, base
        if not passcode:
            return ConnectResult.OK, base
        if self._globally_locked(now):
            return ConnectResult.LOCKED_OUT, base  # not even a right passcode gets through
        granted = self._match(passcode)
        if granted is None:
            self._fail(host, now)
            return ConnectResult.BAD_PASSCODE, base
        self._failures.pop(host, None)
        return ConnectResult.OK, max(base, granted)

    def _match(self, passcode: str) -> Role | None:
        found: Role | None = None
        for code, role in self._passcodes.items():
            # compare_digest on every candidate: the reply time does not tell how close a guess was
            if hmac.compare_digest(code.encode(), passcode.encode()):
                found = role
        return found

    def _globally_locked(self, now: float) -> bool:
        """Whether the last `global_max` wrong passcodes all fell within the window."""
        recent = self._recent
        return len(recent) >= self._global_max and now - recent[0] < self._global_window

    def _fail(self, host: str, now: float) -> None:
        self._recent.append(now)
        failures = self._failures.pop(host, None) or _Failures()
        failures.count += 1
        if failures.count >= self._max_failures:
            failures.count = 0
            failures.locked_until = now + self._lockout
        self._failures[host] = failures
        while len(self._failures) > self._tracked_hosts:
            self._forget_one(now)

    def _forget_one(self, now: float) -> None:
        """Forget the oldest host that is not locked out; a locked-out host goes last."""
        for host, failures in self._failures.items():
            if failures.locked_until <= now:
                del self._failures[host]
                return
        self._failures.popitem(last=False)


def rights(role: Role) -> str:
    """QLab 5's rights words for a role: view, edit, control."""
    words = {Role.NONE: "", Role.VIEWER: "view", Role.OPERATOR: "view|control"}
    return words.get(role, "view|edit|control")
