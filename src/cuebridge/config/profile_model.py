"""Pydantic models of a device profile file: protocol, connection defaults, actions, parameters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cuebridge.config.fields import (
    Flag,
    Name,
    Number,
    Port,
    Scalar,
    Text,
    Version,
    choice_check,
    choice_schema,
)

PROFILE_VERSION = 1
"""The profile format version this cuebridge reads."""

PARAM_TYPES = ("int", "float", "string", "bool", "cue")
PROTOCOLS = ("osc", "midi", "sacn", "internal")
TRANSPORTS = ("udp", "tcp-slip", "tcp-len")
PROTOCOL_TRANSPORTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"osc": TRANSPORTS, "sacn": ("udp",), "midi": (), "internal": ()}
)
"""Which transports make sense per protocol."""

ParamType = Annotated[str, choice_check(PARAM_TYPES), choice_schema(PARAM_TYPES)]
Protocol = Annotated[str, choice_check(PROTOCOLS), choice_schema(PROTOCOLS)]
Transport = Annotated[str, choice_check(TRANSPORTS), choice_schema(TRANSPORTS)]


class FileModel(BaseModel):
    """Base of every file model: unknown keys are errors and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ParamSpec(FileModel):
    """One typed action parameter."""

    type: ParamType
    min: Number | None = None
    max: Number | None = None
    choices: tuple[Text, ...] | None = None
    default: Scalar | None = None
    unit: Text | None = None
    description: Text = ""
    fade: Flag = False
    """Numeric parameters only: the value moves over the action's fade time."""
    home: Number | None = None
    """Required with fade: the value assumed before anything was sent, and panic's target."""
    panic: Flag = False
    """Only with fade: panic brings this parameter home (levels, not positions)."""

    @property
    def required(self) -> bool:
        """A parameter without a default must be given by every action."""
        return self.default is None


class ActionSpec(FileModel):
    """A named thing a device can do, with its parameters (rendering sections come later)."""

    description: Text = ""
    params: dict[str, ParamSpec] = Field(default_factory=dict)

    @property
    def fade_params(self) -> tuple[str, ...]:
        """Parameters that move over the fade time, in declaration order."""
        return tuple(name for name, spec in self.params.items() if spec.fade)


class ConnectionSpec(FileModel):
    """Connection defaults for devices using a profile; devices may override each field."""

    host: Text | None = None
    port: Port | None = None
    transport: Transport | None = None
    options: dict[str, Scalar] = Field(default_factory=dict)


class Profile(FileModel):
    """A device profile: what a kind of device is called, how to reach it and what it does."""

    profile: Name
    name: Text
    vendor: Text | None = None
    protocol: Protocol
    version: Version
    description: Text = ""
    connection: ConnectionSpec = Field(default_factory=ConnectionSpec)
    actions: dict[str, ActionSpec]

    @property
    def id(self) -> str:
        """The profile id, equal to its file's stem."""
        return self.profile
