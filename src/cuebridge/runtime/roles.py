"""Who may do what: the viewer / operator / admin roles every input enforces on the server."""

from __future__ import annotations

from enum import IntEnum

from cuebridge.core.commands import Command


class Role(IntEnum):
    """Ordered roles: each one may do everything the roles below it may."""

    NONE = 0
    """Not authenticated: nothing at all."""
    VIEWER = 1
    """Follow along, read-only."""
    OPERATOR = 2
    """GO, stop, pause, resume, panic, standby, load, arm."""
    ADMIN = 3
    """Everything, plus reload the show, output mutes, device resync and fault injection."""

    @classmethod
    def parse(cls, text: str) -> Role:
        """'viewer' / 'operator' / 'admin' (case-insensitive); ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: expected viewer, operator or admin") from None

    @property
    def label(self) -> str:
        """Lowercase name as written in configuration and logs."""
        return self.name.lower()


def required_role(command: Command) -> Role:
    """Every engine command needs an operator; admin-only actions are not engine commands."""
    del command
    return Role.OPERATOR


def allowed(role: Role, command: Command) -> bool:
    """Whether `role` may submit `command`."""
    return role >= required_role(command)
