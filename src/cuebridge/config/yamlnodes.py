"""PyYAML nodes to plain data: the loader, scalars, merge keys and located problems."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cuebridge.errors import Problem

Step = str | int
DataPath = tuple[Step, ...]
Data = object
"""Plain data: dict, list, str, int, float, bool or None."""

NodeLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
"""PyYAML's safe loader: the C one (several times faster) when libyaml is available."""

_TAG = "tag:yaml.org,2002:"
STR_TAG, _INT, _FLOAT, _BOOL, _NULL = (
    _TAG + name for name in ("str", "int", "float", "bool", "null")
)
MERGE_TAG, _TIMESTAMP, _MAP, _SEQ = (_TAG + name for name in ("merge", "timestamp", "map", "seq"))
_SIMPLE_STEP = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
MAX_RENDER = 60


def format_path(path: Iterable[Step]) -> str:
    """Write a path as users read it: `cue_lists[0].cues[3].params.level`."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _SIMPLE_STEP.fullmatch(step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step, ensure_ascii=False)}]"
    return text


def render_value(value: object) -> str:
    """Show a plain value the way YAML would write it, for "got ..." in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return shorten(json.dumps(value, ensure_ascii=False))
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return shorten(repr(value))


def shorten(text: str) -> str:
    """Cut long values in messages, keeping a closing quote on quoted ones."""
    if len(text) <= MAX_RENDER:
        return text
    return text[: MAX_RENDER - 4] + ('..."' if text.startswith('"') else "...")


def construct_scalar(node: ScalarNode, constructor: SafeConstructor) -> tuple[Data, str | None]:
    """Construct one scalar: (value, problem message or None)."""
    tag = node.tag
    if tag == STR_TAG:
        return node.value, None
    if tag == _TIMESTAMP:
        # Dates stay text: no field in a show or profile is a timestamp.
        return node.value, None
    try:
        if tag == _INT:
            return SafeConstructor.construct_yaml_int(constructor, node), None
        if tag == _FLOAT:
            return SafeConstructor.construct_yaml_float(constructor, node), None
        if tag == _BOOL:
            return SafeConstructor.construct_yaml_bool(constructor, node), None
        if tag == _NULL:
            return None, None
    except (ValueError, KeyError, TypeError, yaml.YAMLError):
        return node.value, f"invalid value for YAML tag {tag.replace(_TAG, '!!')}: {node.value!r}"
    return node.value, f"unsupported YAML tag {tag.replace(_TAG, '!!')}"


def effective_pairs(
    node: MappingNode, seen: frozenset[int] = frozenset()
) -> list[tuple[Node, Node]]:
    """Effective (key, value) pairs: own keys first, then `<<` merged keys in order."""
    own: list[tuple[Node, Node]] = []
    merged: list[tuple[Node, Node]] = []
    seen = seen | {id(node)}
    for key, value in node.value:
        if key.tag != MERGE_TAG:
            own.append((key, value))
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if isinstance(source, MappingNode) and id(source) not in seen:
                merged.extend(effective_pairs(source, seen))
    return own + merged


class NodeConverter:
    """Turns composed nodes into plain data, collecting problems instead of raising."""

    def __init__(self, source: str, raw_keys: frozenset[str], opaque_keys: frozenset[str]) -> None:
        self.source = source
        self.raw_keys = raw_keys
        self.opaque_keys = opaque_keys
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        self._done: dict[tuple[int, bool, bool], Data] = {}
        self._active: set[int] = set()
        self._stack: list[Step] = []

    def problem(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(
                file=self.source,
                line=mark.line + 1,
                column=mark.column + 1,
                path=format_path(self._stack),
                message=message,
            )
        )

    def value(self, node: Node, raw: bool, raw_ok: bool) -> Data:
        if isinstance(node, ScalarNode):
            if raw and not node.style and node.tag in (_INT, _FLOAT):
                return node.value
            value, error = construct_scalar(node, self._constructor)
            if error is not None:
                self.problem(node, error)
            return value
        memo = (id(node), raw, raw_ok)
        if memo in self._done:
            return self._done[memo]
        if id(node) in self._active:
            self.problem(node, "recursive YAML aliases are not supported")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                result: Data = self.mapping(node, raw_ok)
            elif isinstance(node, SequenceNode):
                result = self.sequence(node, raw_ok)
            else:  # pragma: no cover - the composer builds only these three node kinds
                result = None
        finally:
            self._active.discard(id(node))
        expected = _MAP if isinstance(node, MappingNode) else _SEQ
        if node.tag != expected:
            self.problem(node, f"unsupported YAML tag {node.tag.replace(_TAG, '!!')}")
        self._done[memo] = result
        return result

    def sequence(self, node: SequenceNode, raw_ok: bool) -> list[Data]:
        stack = self._stack
        items: list[Data] = []
        for index, item in enumerate(node.value):
            stack.append(index)
            items.append(self.value(item, False, raw_ok))
            stack.pop()
        return items

    def mapping(self, node: MappingNode, raw_ok: bool) -> dict[object, Data]:
        pairs: list[tuple[Node, Node]] = node.value
        own_count = len(pairs)
        if any(key_node.tag == MERGE_TAG for key_node, _ in pairs):
            for key_node, value_node in pairs:
                if key_node.tag == MERGE_TAG and not _merge_ok(value_node):
                    message = "expected a mapping or a list of mappings to merge with <<"
                    self.problem(value_node, message)
            own_count = sum(1 for key_node, _ in pairs if key_node.tag != MERGE_TAG)
            pairs = effective_pairs(node)
        result: dict[object, Data] = {}
        stack = self._stack
        raw_keys, opaque_keys = self.raw_keys, self.opaque_keys
        for index, (key_node, value_node) in enumerate(pairs):
            if key_node.tag == STR_TAG and type(key_node) is ScalarNode:
                key: object = key_node.value
            elif isinstance(key_node, ScalarNode):
                key, error = construct_scalar(key_node, self._constructor)
                if error is not None:
                    self.problem(key_node, error)
            else:
                self.problem(key_node, "expected a plain key, got a mapping or list as a key")
                continue
            stack.append(key if isinstance(key, str) or type(key) is int else render_value(key))
            if key in result:
                if index < own_count:
                    self._duplicate(pairs[:index], key_node, key)
            elif type(value_node) is ScalarNode and value_node.tag == STR_TAG:
                result[key] = value_node.value  # the common case, without a call
            else:
                is_str = isinstance(key, str)
                result[key] = self.value(
                    value_node,
                    raw_ok and is_str and key in raw_keys,
                    raw_ok and not (is_str and key in opaque_keys),
                )
            stack.pop()
        return result

    def _duplicate(self, earlier: list[tuple[Node, Node]], key_node: Node, key: object) -> None:
        for other, _ in earlier:
            if (
                isinstance(other, ScalarNode)
                and construct_scalar(other, self._constructor)[0] == key
            ):
                line = other.start_mark.line + 1
                message = f"duplicate key {render_value(key)} (first defined at line {line})"
                self.problem(key_node, message)
                return


def _merge_ok(node: Node) -> bool:
    if isinstance(node, MappingNode):
        return True
    return isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value)
