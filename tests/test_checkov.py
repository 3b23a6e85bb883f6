"""Security: checkov (the venv's pinned 3.3.30) over the whole repository reports 0 failed checks.

Frameworks: terraform, secrets, github_actions (what the repository contains). Excluded paths are
not project code: virtual environments, node_modules, .terraform, caches, and tests/fixtures
(fixtures may plant mistakes on purpose for other tests). `--skip-download` keeps checkov off the
network. A check may be skipped only inline, `#checkov:skip=CKV_...:reason`, with a real reason.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from local.terraform import REPO_ROOT

# checkov lives in its own venv (make venv): its bc-python-hcl2 would shadow python-hcl2 here.
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
FRAMEWORKS = ["terraform", "secrets", "github_actions"]
EXCLUDED_DIRS = [
    ".venv",
    "venv",
    "node_modules",
    ".terraform",
    ".cache",
    ".git",
    ".pytest_cache",
    ".ruff_cache",
]
EXCLUDED_PATHS = ["tests/fixtures"]
SKIP_COMMENT = re.compile(r"checkov:skip=([A-Za-z0-9_]+)(?::([^\n]*))?")
SCANNED_SUFFIXES = {".tf", ".yml", ".yaml", ".hcl", ".json"}


def run_checkov(directory: Path) -> list[dict[str, Any]]:
    # checkov matches --skip-path regexes against absolute paths (and drops hidden directories itself).
    skips = [f"/{re.escape(name)}(/|$)" for name in EXCLUDED_DIRS] + [
        f"^{re.escape(str(directory / path))}(/|$)" for path in EXCLUDED_PATHS
    ]
    command = [str(CHECKOV), "--directory", str(directory), "--output", "json", "--skip-download"]
    command += ["--framework", *FRAMEWORKS]
    for pattern in skips:
        command += ["--skip-path", pattern]
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=240, check=False)
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"checkov gave no JSON (exit {result.returncode}):\n{result.stderr[-3000:]}"
        ) from None
    return reports if isinstance(reports, list) else [reports]


@cache
def repository_reports() -> tuple[dict[str, Any], ...]:
    return tuple(run_checkov(REPO_ROOT))


def checks(reports: Any, kind: str) -> list[dict[str, Any]]:
    return [check for report in reports for check in report.get("results", {}).get(kind, [])]


def describe(check: dict[str, Any]) -> str:
    start, end = (check.get("file_line_range") or [0, 0])[:2]
    where = f"{check['file_path'].lstrip('/')}:{start}-{end}"
    return f"{check['check_id']} {check['resource']} {where} {check['check_name']}"


def is_real_reason(reason: str | None) -> bool:
    return bool(reason) and reason.strip() != "No comment provided" and len(reason.split()) >= 4


def project_files() -> list[Path]:
    """Files that could carry checkov skips or configuration, walking around excluded directories."""
    found: list[Path] = []
    excluded_paths = {REPO_ROOT / path for path in EXCLUDED_PATHS}
    for directory, subdirs, files in os.walk(REPO_ROOT):
        here = Path(directory)
        subdirs[:] = [d for d in subdirs if d not in EXCLUDED_DIRS and here / d not in excluded_paths]
        found += [
            here / name
            for name in files
            if Path(name).suffix in SCANNED_SUFFIXES or name in {"Dockerfile", "Makefile"}
        ]
    return sorted(found)


def test_checkov_reports_no_failed_checks() -> None:
    reports = repository_reports()
    assert sum(len(checks([r], "passed_checks")) for r in reports) > 0, "checkov checked nothing"
    failed = checks(reports, "failed_checks")
    assert not failed, f"checkov: {len(failed)} failed checks:\n" + "\n".join(map(describe, failed))
    errors = [r["summary"] for r in reports if r.get("summary", {}).get("parsing_errors")]
    assert not errors, f"checkov could not parse some files: {errors}"


def test_every_skipped_check_has_a_real_reason() -> None:
    unexplained = [
        describe(check)
        for check in checks(repository_reports(), "skipped_checks")
        if not is_real_reason((check.get("check_result") or {}).get("suppress_comment"))
    ]
    assert not unexplained, "skips need '#checkov:skip=ID:reason' with a real reason:\n" + "\n".join(
        unexplained
    )


def test_skip_comments_are_inline_with_reasons_and_nowhere_else() -> None:
    problems: list[str] = []
    for path in project_files():
        name = path.relative_to(REPO_ROOT).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for check_id, reason in SKIP_COMMENT.findall(line):
                if not is_real_reason(reason):
                    problems.append(f"{name}:{number}: checkov:skip={check_id} without a real reason")
        outside_code = path.suffix in {".yml", ".yaml"} or path.name == "Makefile"
        if outside_code and re.search(r"skip[-_]check|--skip-framework|soft[-_]fail", text):
            problems.append(f"{name}: skips checks outside the code (skip-check/soft-fail)")
    problems += [
        f"{p.relative_to(REPO_ROOT)}: checkov config files may not skip checks"
        for p in REPO_ROOT.glob(".checkov.y*ml")
        if "skip" in p.read_text(encoding="utf-8")
    ]
    assert not problems, "\n".join(problems)


def test_checkov_run_fails_on_an_insecure_bucket(tmp_path: Path) -> None:
    """The same invocation reports failures, and honours a reasoned inline skip."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "open" {\n'
        "  #checkov:skip=CKV_AWS_144:Replication is out of scope for this throwaway bucket.\n"
        '  bucket = "example-open-bucket"\n'
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "ignored.tf").write_text(
        'resource "aws_sqs_queue" "ignored" {\n  name = "ignored"\n}\n', encoding="utf-8"
    )
    reports = run_checkov(tmp_path)
    failed = {(c["check_id"], c["resource"]) for c in checks(reports, "failed_checks")}
    assert ("CKV_AWS_21", "aws_s3_bucket.open") in failed  # versioning
    assert not any(resource.startswith("aws_sqs_queue") for _, resource in failed)
    assert {c["check_id"] for c in checks(reports, "skipped_checks")} == {"CKV_AWS_144"}
