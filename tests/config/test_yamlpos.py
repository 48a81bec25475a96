"""YAML to plain data with positions: raw cue numbers, duplicates, syntax errors, lookups."""

from __future__ import annotations

import textwrap

import pytest

from cuebridge.config.yamlpos import Document, format_path, parse_document, render_value


def parse(text: str) -> Document:
    return parse_document(
        textwrap.dedent(text), "f.yaml", raw_keys=("number",), opaque_keys=("params",)
    )


def messages(doc: Document) -> list[str]:
    return [str(problem) for problem in doc.problems]


def test_plain_data_from_nested_yaml() -> None:
    doc = parse(
        """
        a: 1
        b: [x, 2.5, true, null, "3"]
        c: {d: {e: -4}}
        """
    )
    assert doc.parsed
    assert doc.problems == ()
    assert doc.data == {"a": 1, "b": ["x", 2.5, True, None, "3"], "c": {"d": {"e": -4}}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("number: 1.10", "1.10"),
        ("number: 01", "01"),
        ("number: 2", "2"),
        ('number: "1.10"', "1.10"),
        ("number: 1.2.3", "1.2.3"),
        ("number: true", True),
    ],
)
def test_cue_numbers_keep_their_source_text(text: str, expected: object) -> None:
    assert parse(text).data == {"number": expected}


def test_raw_keys_do_not_apply_inside_opaque_mappings() -> None:
    doc = parse("params: {number: 1.10}\nlist: [{number: 1.10}]\n")
    assert doc.data == {"params": {"number": 1.1}, "list": [{"number": "1.10"}]}


def test_dates_stay_text() -> None:
    assert parse("date: 2024-05-01").data == {"date": "2024-05-01"}


def test_duplicate_keys_are_located_at_the_second_key() -> None:
    doc = parse(
        """
        cues:
          - name: a
            notes: x
            name: b
        """
    )
    assert doc.data == {"cues": [{"name": "a", "notes": "x"}]}
    assert messages(doc) == [
        'f.yaml:5:5: cues[0].name: duplicate key "name" (first defined at line 3)'
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "f.yaml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ("a: b: c\n", "f.yaml:1:5: invalid YAML: mapping values are not allowed in this context"),
        (
            "a: 1\n---\nb: 2\n",
            "f.yaml:2:1: invalid YAML: expected a single document in the stream "
            "but found another document",
        ),
        ("a: 1\n\x07\n", "f.yaml:2:1: invalid YAML: unacceptable character #x0007"),
    ],
)
def test_syntax_errors_are_located(text: str, expected: str) -> None:
    doc = parse_document(text, "f.yaml")
    assert not doc.parsed
    assert doc.data is None
    assert messages(doc) == [expected]


def test_empty_document_is_none() -> None:
    doc = parse("# only a comment\n")
    assert doc.parsed
    assert doc.data is None


def test_positions_of_values_keys_and_missing_paths() -> None:
    doc = parse(
        """
        cue_lists:
          - id: main
            cues:
              - number: "1"
                actions:
                  - {device: foh, params: {level: -10}}
        """
    )
    base = ("cue_lists", 0, "cues", 0, "actions", 0)
    assert doc.position((*base, "params", "level")) == (7, 43)
    assert doc.position((*base, "params", "level"), at_key=True) == (7, 36)
    assert doc.position(("cue_lists", 0, "id")) == (3, 9)
    # A path that does not exist points at its nearest existing parent.
    assert doc.position((*base, "fade")) == (7, 13)
    assert doc.position(("cue_lists", 5)) == (3, 3)
    assert doc.exists((*base, "device"))
    assert not doc.exists((*base, "fade"))


def test_problem_carries_file_position_and_path() -> None:
    doc = parse("show:\n  title: [x]\n")
    problem = doc.problem(("show", "title"), "expected a string, got a list")
    assert str(problem) == "f.yaml:2:10: show.title: expected a string, got a list"


def test_render_shows_values_as_written() -> None:
    doc = parse('a: -1:30\nb: "quoted"\nc: plain text\nd:\ne: 1.50\nf: [1]\n')
    assert doc.render(("a",), -90) == "-1:30"
    assert doc.render(("b",), "quoted") == '"quoted"'
    assert doc.render(("c",), "plain text") == '"plain text"'
    assert doc.render(("d",), None) == "nothing"
    assert doc.render(("e",), 1.5) == "1.50"
    assert doc.render(("f",), [1]) == "a list"
    assert doc.render(("missing",), 3) == "3"
    assert doc.source_text(("e",)) == "1.50"
    assert doc.source_text(("b",)) is None


def test_aliases_and_merge_keys() -> None:
    doc = parse(
        """
        base: &base {device: foh, fade: 2}
        one:
          <<: *base
          fade: 5
        two: *base
        """
    )
    assert doc.problems == ()
    assert doc.data == {
        "base": {"device": "foh", "fade": 2},
        "one": {"fade": 5, "device": "foh"},
        "two": {"device": "foh", "fade": 2},
    }
    assert doc.position(("one", "device")) == (2, 22)


def test_recursive_alias_is_a_problem_not_a_crash() -> None:
    doc = parse("a: &x [1, *x]\n")
    assert messages(doc) == ["f.yaml:1:4: a[1]: recursive YAML aliases are not supported"]


def test_unsupported_tags_and_bad_tagged_values() -> None:
    doc = parse("a: !thing x\nb: !!int nope\n")
    assert messages(doc) == [
        "f.yaml:1:4: a: unsupported YAML tag !thing",
        "f.yaml:2:4: b: invalid value for YAML tag !!int: 'nope'",
    ]


def test_complex_keys_are_problems() -> None:
    doc = parse("? [1, 2]\n: x\n")
    assert messages(doc) == ["f.yaml:1:3: expected a plain key, got a mapping or list as a key"]


def test_format_path_and_render_value() -> None:
    assert format_path(("cue_lists", 0, "cues", 3, "params", "level")) == (
        "cue_lists[0].cues[3].params.level"
    )
    assert format_path(("devices", "Bad Name")) == 'devices["Bad Name"]'
    assert format_path(()) == ""
    values: list[object] = [None, True, 2, 1.5, "x", {}, []]
    assert [render_value(value) for value in values] == [
        "null",
        "true",
        "2",
        "1.5",
        '"x"',
        "a mapping",
        "a list",
    ]
