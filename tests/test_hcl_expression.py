"""local/hcl.py's `expression()` gives a parsed attribute back as HCL source that Terraform reads
as the same value: quotes of the template's literal text are escaped, those inside `${...}` are not."""

from __future__ import annotations

import pytest

from local.hcl import expression, parse_hcl


def _attribute(source: str) -> str:
    return parse_hcl(f"locals {{\n  value = {source}\n}}\n")["locals"][0]["value"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("var.name", "var.name"),
        ('join(",", var.names)', 'join(",", var.names)'),
        ('"plain"', '"plain"'),
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ('"${join(",", var.names)}-x"', '"${join(",", var.names)}-x"'),
        ('"a \\"${lookup(var.m, "k", "}")}\\" b"', '"a \\"${lookup(var.m, "k", "}")}\\" b"'),
        ('"${var.a}:${var.b["key"]}"', '"${var.a}:${var.b["key"]}"'),
        ('"$${literal} \\"q\\""', '"$${literal} \\"q\\""'),
    ],
)
def test_expression_gives_back_the_source(source: str, expected: str) -> None:
    assert expression(_attribute(source)) == expected
