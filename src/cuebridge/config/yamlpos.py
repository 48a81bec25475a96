"""YAML text to plain data, with source positions looked up from the composed node tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cuebridge.config.yamlnodes import (
    STR_TAG,
    Data,
    DataPath,
    NodeConverter,
    NodeLoader,
    Step,
    construct_scalar,
    effective_pairs,
    format_path,
    render_value,
    shorten,
)
from cuebridge.errors import Problem

__all__ = ["Data", "DataPath", "Document", "Step", "format_path", "parse_document", "render_value"]


class Document:
    """A parsed YAML document: plain `data`, its problems, and positions by path."""

    __slots__ = ("_constructor", "_root", "data", "parsed", "problems", "source")

    def __init__(
        self, source: str, data: Data, root: Node | None, problems: Sequence[Problem], parsed: bool
    ) -> None:
        self.source = source
        self.data = data
        self.problems = tuple(problems)
        self.parsed = parsed
        """False when the text is not YAML at all; `problems` then says where it broke."""
        self._root = root
        self._constructor = SafeConstructor()

    def _walk(self, path: DataPath) -> tuple[Node | None, Node | None, int]:
        """Follow `path` as far as it exists: (key node, value node, steps followed)."""
        key_node: Node | None = None
        node = self._root
        for depth, step in enumerate(path):
            found = self._child(node, step) if node is not None else None
            if found is None:
                return key_node, node, depth
            key_node, node = found
        return key_node, node, len(path)

    def _child(self, node: Node, step: Step) -> tuple[Node | None, Node] | None:
        if isinstance(node, SequenceNode):
            if isinstance(step, int) and 0 <= step < len(node.value):
                return None, node.value[step]
            return None
        if isinstance(node, MappingNode):
            for key, value in effective_pairs(node):
                if isinstance(key, ScalarNode):
                    found, _ = construct_scalar(key, self._constructor)
                    if found == step and type(found) is type(step):
                        return key, value
        return None

    def position(self, path: DataPath, *, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path` (or its key), else the nearest parent."""
        key_node, node, depth = self._walk(path)
        target = key_node if at_key and depth == len(path) and key_node is not None else node
        if target is None:
            return 1, 1
        return target.start_mark.line + 1, target.start_mark.column + 1

    def exists(self, path: DataPath) -> bool:
        """Whether `path` names a node in the source text."""
        return self._walk(path)[2] == len(path)

    def source_text(self, path: DataPath) -> str | None:
        """The text of an unquoted scalar as written (`1.10` stays "1.10"), else None."""
        _, node, depth = self._walk(path)
        if depth == len(path) and isinstance(node, ScalarNode) and not node.style:
            return str(node.value)
        return None

    def render(self, path: DataPath, value: object) -> str:
        """The value at `path` as the user wrote it, for "got ..." in messages.

        Unquoted numbers, booleans and nulls appear exactly as written (`-1:30`, `1.10`);
        strings are quoted so that their extent is clear.
        """
        _, node, depth = self._walk(path)
        if depth != len(path) or not isinstance(node, ScalarNode) or node.style:
            return render_value(value)
        if node.value == "":
            return "nothing"
        if node.tag == STR_TAG:
            return render_value(node.value)
        return shorten(str(node.value))

    def problem(self, path: DataPath, message: str, *, at_key: bool = False) -> Problem:
        """A located problem for the value (or key) at `path`."""
        line, column = self.position(path, at_key=at_key)
        return Problem(
            file=self.source, line=line, column=column, path=format_path(path), message=message
        )


def parse_document(
    text: str,
    source: str,
    *,
    raw_keys: Iterable[str] = (),
    opaque_keys: Iterable[str] = (),
) -> Document:
    """Parse one YAML document; never raises for bad input.

    Unquoted numbers under a key in `raw_keys` keep their source text, so `number: 1.10`
    gives "1.10". Mappings under a key in `opaque_keys` (free-form parameters) are exempt.
    """
    try:
        root = yaml.compose(text, Loader=NodeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        detail = err.problem or err.context or "syntax error"
        if err.context and detail.startswith("but "):
            detail = f"{err.context} {detail}"
        return Document(source, None, None, [_syntax(source, line, column, detail)], False)
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        detail = f"unacceptable character #x{code:04x}"
        return Document(source, None, None, [_syntax(source, line, column, detail)], False)
    except yaml.YAMLError as err:  # pragma: no cover - PyYAML raises marked errors in practice
        return Document(source, None, None, [_syntax(source, 1, 1, str(err))], False)
    if root is None:
        return Document(source, None, None, [], True)
    builder = NodeConverter(source, frozenset(raw_keys), frozenset(opaque_keys))
    try:
        data = builder.value(root, False, True)
    except RecursionError:
        problem = _syntax(source, 1, 1, "document is nested too deeply")
        return Document(source, None, None, [problem], False)
    return Document(source, data, root, builder.problems, True)


def _syntax(source: str, line: int, column: int, detail: str) -> Problem:
    return Problem(
        file=source, line=line, column=column, path="", message=f"invalid YAML: {detail}"
    )
