"""Least privilege in every IAM policy the project declares.

Policies are `data "aws_iam_policy_document"` blocks only (never JSON strings). No statement that
allows anything grants `*` or `service:*` actions (a Deny may: denying every action, for example
over plain HTTP, is the strict direction). A `*` resource appears only where AWS requires it,
with a comment on the line(s) just above `resources` saying why.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from local.hcl import blocks_of, parse_hcl, resources
from local.terraform import REPO_ROOT, terraform_files

FIXTURES = REPO_ROOT / "tests" / "fixtures"
POLICY_DOCUMENT_START = re.compile(r'^\s*data\s+"aws_iam_policy_document"\s+"([^"]+)"\s*\{')
RESOURCES_LINE = re.compile(r"^\s*resources\s*=")
JSON_POLICY = re.compile(r'"?\bStatement\b"?\s*[:=]|"?\bVersion\b"?\s*[:=]\s*"2012-10-17"')


def project_tf_files() -> list[Path]:
    return [path for path in terraform_files(REPO_ROOT) if FIXTURES not in path.parents]


def rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _block_end(lines: list[str], start: int) -> int:
    """Index of the line that closes the block opened on lines[start] (braces in strings balance)."""
    depth = 0
    for index in range(start, len(lines)):
        code = lines[index].split("#", 1)[0] if lines[index].lstrip().startswith("#") else lines[index]
        depth += code.count("{") - code.count("}")
        if depth == 0:
            return index
    raise AssertionError(f"unbalanced braces from line {start + 1}")


def star_resource_lines(text: str) -> dict[str, list[tuple[int, bool]]]:
    """Per policy document: (line number, has comment above) of every `resources` list naming "*"."""
    lines = text.splitlines()
    found: dict[str, list[tuple[int, bool]]] = {}
    index = 0
    while index < len(lines):
        match = POLICY_DOCUMENT_START.match(lines[index])
        if not match:
            index += 1
            continue
        end = _block_end(lines, index)
        entries = found.setdefault(match.group(1), [])
        for line_index in range(index, end + 1):
            if not RESOURCES_LINE.match(lines[line_index]):
                continue
            value = lines[line_index]
            if "[" in value and "]" not in value:  # multi-line list: read to its closing bracket
                close = line_index
                while "]" not in lines[close]:
                    close += 1
                value = "\n".join(lines[line_index : close + 1])
            if re.search(r'"\*"', value):
                above = lines[line_index - 1].strip()
                explained = above.startswith(("#", "//")) and len(above.lstrip("#/ ").split()) >= 3
                entries.append((line_index + 1, explained))
        index = end + 1
    return found


def policy_violations(text: str, name: str) -> list[str]:
    problems: list[str] = []
    tree = parse_hcl(text)
    star_lines = star_resource_lines(text)
    for rtype, doc_name, body in resources(tree, "data"):
        if rtype != "aws_iam_policy_document":
            continue
        star_statements = 0
        for number, statement in enumerate(blocks_of(body, "statement"), start=1):
            where = (
                f"{name}: data.aws_iam_policy_document.{doc_name} statement {statement.get('sid', number)}"
            )
            effect = statement.get("effect", "Allow")
            if "not_actions" in statement or "not_resources" in statement:
                problems.append(f"{where}: not_actions/not_resources grant everything else")
            actions: Any = statement.get("actions", [])
            if not isinstance(actions, list):
                problems.append(f"{where}: actions must be a literal list to be reviewable, got {actions!r}")
                actions = []
            if effect != "Deny":
                problems += [
                    f"{where}: grants wildcard action {action!r}"
                    for action in actions
                    if action == "*" or action.endswith(":*")
                ]
            resource_list = statement.get("resources", [])
            if isinstance(resource_list, list) and "*" in resource_list:
                star_statements += 1
        lines = star_lines.get(doc_name, [])
        if star_statements != len(lines):
            problems.append(
                f"{name}: data.aws_iam_policy_document.{doc_name}: {star_statements} statements use a '*' "
                f'resource but {len(lines)} `resources` lines with "*" were found in the text'
            )
        problems += [
            f'{name}:{line}: data.aws_iam_policy_document.{doc_name}: resources "*" without a comment '
            "on the line above saying why AWS requires it"
            for line, explained in lines
            if not explained
        ]
    return problems


def json_policy_lines(text: str, name: str) -> list[str]:
    return [
        f'{name}:{number}: IAM policy written as JSON/jsonencode; use data "aws_iam_policy_document"'
        for number, line in enumerate(text.splitlines(), start=1)
        if JSON_POLICY.search(line) and not line.lstrip().startswith(("#", "//"))
    ]


def test_the_project_declares_policies() -> None:
    texts = [path.read_text(encoding="utf-8") for path in project_tf_files()]
    assert sum(len(star_resource_lines(text)) for text in texts) >= 3


@pytest.mark.parametrize("path", project_tf_files(), ids=rel)
def test_policy_statements_are_least_privilege(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    problems = policy_violations(text, rel(path)) + json_policy_lines(text, rel(path))
    assert not problems, "\n".join(problems)


def test_no_policy_json_outside_terraform() -> None:
    """Policies are not smuggled in as JSON files read with file() or templatefile()."""
    offenders = [
        rel(path)
        for pattern in ("*.json", "*.tpl", "*.tftpl")
        for path in (REPO_ROOT / "modules").rglob(pattern)
        if '"Statement"' in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"policy JSON files: {offenders}"


BAD_POLICIES = """
data "aws_iam_policy_document" "bad" {
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
  statement {
    actions = ["sqs:SendMessage"]
    # Because AWS requires it for this action.
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = toset(["x"])
    content {
      actions   = ["*"]
      resources = ["arn:aws:s3:::bucket"]
    }
  }
}

resource "aws_iam_policy" "inline" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = []
  })
}
"""


def test_checks_catch_wildcards_missing_comments_and_json() -> None:
    problems = policy_violations(BAD_POLICIES, "bad.tf") + json_policy_lines(BAD_POLICIES, "bad.tf")
    text = "\n".join(problems)
    assert "grants wildcard action 's3:*'" in text
    assert "grants wildcard action '*'" in text
    assert 'bad.tf:5: data.aws_iam_policy_document.bad: resources "*" without a comment' in text
    assert "bad.tf:10" not in text  # the commented "*" is accepted
    assert sum("JSON/jsonencode" in problem for problem in problems) == 2
