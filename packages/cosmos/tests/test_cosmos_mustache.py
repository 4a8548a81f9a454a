"""The mustache renderer against the behaviour Cosmos gets from mustache.java."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dcos_cosmos.mustache import TemplateError, java_double, render


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [
        ("{{a}}", {"a": 'say "hi"\n'}, 'say \\"hi\\"\\n'),  # JSON-escaped, not HTML-escaped
        ("{{{a}}}{{&a}}", {"a": "<&>"}, "<&><&>"),
        ("{{a}}", {"a": "<b>"}, "<b>"),
        (
            "{{n}} {{f}} {{b}} {{z}}",
            {"n": 1024.0, "f": 0.5, "b": False, "z": None},
            "1024 0.5 false ",
        ),
        ("{{a.b.c}}", {"a": {"b": {"c": 7}}}, "7"),
        ("{{a.x}}", {"a": {"b": 1}, "x": 2}, ""),  # a dotted name never falls back outward
        ("{{#a}}yes{{/a}}", {"a": True}, "yes"),
        ("{{#a}}yes{{/a}}", {"a": ""}, ""),  # an empty string is false, as in mustache.java
        ("{{#a}}yes{{/a}}", {"a": 0}, "yes"),  # numbers are true, even 0
        ("{{#a}}yes{{/a}}", {"a": []}, ""),
        ("{{^a}}no{{/a}}", {"a": []}, "no"),
        ("{{^a}}no{{/a}}", {}, "no"),
        ("{{^a}}no{{/a}}", {"a": "x"}, ""),
        ("{{#l}}[{{.}}]{{/l}}", {"l": [1, "b"]}, "[1][b]"),
        ("{{#l}}{{k}}={{v}};{{/l}}", {"l": [{"k": "a", "v": 1}, {"k": "b", "v": 2}]}, "a=1;b=2;"),
        ("{{#o}}{{x}}{{y}}{{/o}}", {"o": {"x": 1}, "y": 2}, "12"),  # sections see outer names
        ("{{l}}", {"l": []}, "[]"),
        ("a{{! a comment }}b", {}, "ab"),
        ("{{=<% %>=}}<% a %>{{a}}", {"a": 1}, "1{{a}}"),
        ("{{>partial}}x", {}, "x"),
    ],
)
def test_tags(template: str, context: dict[str, Any], expected: str) -> None:
    assert render(template, context) == expected


def test_standalone_section_lines_disappear() -> None:
    template = '{\n  {{#a}}\n  "a": 1,\n  {{/a}}\n  "b": 2\n}\n'
    assert render(template, {"a": True}) == '{\n  "a": 1,\n  "b": 2\n}\n'
    assert render(template, {"a": False}) == '{\n  "b": 2\n}\n'


def test_a_string_option_always_stays_a_json_string() -> None:
    out = render('{"cmd": "echo {{x}}"}', {"x": 'a"b\\c\u2028\n\t'})
    assert json.loads(out)["cmd"] == 'echo a"b\\c\u2028\n\t'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.5"),
        (1234.5, "1234.5"),
        (1e-4, "1.0E-4"),
        (1e20, "1.0E20"),
        (12345678.9, "1.23456789E7"),
    ],
)
def test_doubles_print_as_java_prints_them(value: float, text: str) -> None:
    assert java_double(value) == text


def test_big_integers_are_doubles_in_java() -> None:
    assert render("{{n}}", {"n": 3_000_000_000}) == "3.0E9"


@pytest.mark.parametrize("template", ["{{#a}}x", "{{#a}}x{{/b}}", "{{/a}}", "{{a"])
def test_broken_templates_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, {})
