"""HCL read the same way whichever `hcl2` package is installed.

Two distributions install a module named `hcl2`: checkov's `bc-python-hcl2` (0.4.x: every
attribute value wrapped in a one-element list, labels and strings unquoted) and `python-hcl2`
(8.x: values unwrapped, labels and string literals keep their quotes, blocks carry
`__is_block__`). Which one wins depends on install order, so tests go through `parse_hcl`,
which returns one shape: attribute values unwrapped, labels and string literals unquoted,
blocks (and object values) as lists of dicts.
"""

from __future__ import annotations

import copy
import re
import textwrap
from pathlib import Path
from typing import Any

import hcl2

_META_KEYS = {"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"}


_HEREDOC = re.compile(r"\A<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n(.*?)^[ \t]*\2[ \t]*\Z", re.DOTALL | re.MULTILINE)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
        if not _HEREDOC.match(text):
            return text.replace('\\"', '"').replace("\\\\", "\\")
    heredoc = _HEREDOC.match(text)
    if heredoc:  # python-hcl2 8.x keeps heredocs as written; Terraform's value is the body
        indented, _, body = heredoc.groups()
        return textwrap.dedent(body) if indented else body
    return text


def _is_modern(tree: Any) -> bool:
    if isinstance(tree, dict):
        return "__is_block__" in tree or any(_is_modern(value) for value in tree.values())
    if isinstance(tree, list):
        return any(_is_modern(value) for value in tree)
    return False


def _normalise(value: Any, wrapped: bool) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _META_KEYS:
                continue
            if wrapped and isinstance(item, list) and len(item) == 1 and not isinstance(item[0], dict):
                item = item[0]  # bc-python-hcl2 wraps every attribute value in a list
            out[_unquote(key)] = _normalise(item, wrapped)
        return out
    if isinstance(value, list):
        return [_normalise(item, wrapped) for item in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


# Parsed documents by text: parsing is slow (about 0.1 s a file), and the emulator reads the same
# modules for every deployment. Callers get their own copy, so changing it changes nothing here.
_PARSED: dict[str, dict[str, Any]] = {}


def parse_hcl(text: str) -> dict[str, Any]:
    """Top-level blocks of an HCL document in one shape (see the module docstring)."""
    if text not in _PARSED:
        tree = hcl2.loads(text)
        _PARSED[text] = _normalise(tree, wrapped=not _is_modern(tree))
    return copy.deepcopy(_PARSED[text])


def parse_file(path: Path) -> dict[str, Any]:
    return parse_hcl(path.read_text(encoding="utf-8"))


def parse_dir(directory: Path) -> dict[str, list[Any]]:
    """Every top-level block of every .tf file in one configuration directory, merged by type."""
    merged: dict[str, list[Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for block_type, blocks in parse_file(tf).items():
            merged.setdefault(block_type, []).extend(blocks)
    return merged


def labelled(blocks: list[Any]) -> dict[str, dict[str, Any]]:
    """`variable "x" {}`-style blocks (one label) as {label: body}."""
    return {label: body for block in blocks for label, body in block.items()}


def resources(tree: dict[str, list[Any]], kind: str = "resource") -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource (or data source, with kind='data')."""
    return [
        (rtype, name, body)
        for block in tree.get(kind, [])
        for rtype, named in block.items()
        for name, body in named.items()
    ]


def blocks_of(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Nested blocks called `name`, including the content of `dynamic "<name>"` blocks."""
    found = [item for item in _as_list(body.get(name)) if isinstance(item, dict)]
    for dynamic in _as_list(body.get("dynamic")):
        if isinstance(dynamic, dict) and name in dynamic:
            for spec in _as_list(dynamic[name]):
                found.extend(item for item in _as_list(spec.get("content")) if isinstance(item, dict))
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def expression(value: str) -> str:
    """A parsed attribute value as HCL source: `${expr}` alone becomes `expr`, else a quoted template.

    In a template only the literal text's quotes are escaped: what sits inside `${...}` (and `%{...}`)
    is an expression, whose own string literals keep their quotes (`"${join(",", var.x)}-y"`).
    """
    if value.startswith("${") and value.endswith("}") and _single_interpolation(value):
        return value[2:-1]
    return '"' + _escape_template(value) + '"'


def _escape_template(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):  # escaped: literal "${" / "%{"
            out.append(text[index : index + 3])
            index += 3
            continue
        if text.startswith(("${", "%{"), index):
            end = _expression_end(text, index + 2)
            out.append(text[index:end])
            index = end
            continue
        out.append('\\"' if text[index] == '"' else text[index])
        index += 1
    return "".join(out)


def _expression_end(text: str, index: int) -> int:
    """Index just past the `}` closing an interpolation whose expression starts at `index`."""
    depth = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _string_end(text, index + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _string_end(text: str, index: int) -> int:
    """Index just past the `"` closing a string literal (inside an expression) that starts at `index`."""
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text.startswith(("${", "%{"), index):
            index = _expression_end(text, index + 2)
        elif text[index] == '"':
            return index + 1
        else:
            index += 1
    return len(text)


def _single_interpolation(value: str) -> bool:
    depth = 0
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and index != len(value) - 1:
                return False
    return True
