"""Every statemachine/*.asl.json, as committed (placeholders unrendered), passes the checks the AWS Toolkit
for VS Code makes: amazon-states-language-service 1.16.1 (the version the Toolkit pins) with comments and
trailing commas as errors, and JSON.parse (Workflow Studio's graph preview refuses anything else).
Any Error or Warning fails the test with file:line:column and the language service's message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local.terraform import STATEMACHINE_DIR
from tests.offline_validate.asl import AslResult, run_check

BROKEN_NEXT_MESSAGE = 'The value of "Next" property must be the name of an existing state.'
_NEXT = re.compile(r'"Next"\s*:\s*"([^"]+)"')


def definitions() -> list[Path]:
    return sorted(STATEMACHINE_DIR.glob("*.asl.json"))


def broken_next_copy(definition: Path, directory: Path) -> tuple[Path, int]:
    """A copy of definition whose first `"Next"` names a state that does not exist, and that line."""
    text = definition.read_text(encoding="utf-8")
    match = _NEXT.search(text)
    assert match, f"{definition.name} has no Next transition to break"
    broken = text[: match.start(1)] + match.group(1) + "DoesNotExist" + text[match.end(1) :]
    copy = directory / f"broken-next-{definition.name}"
    copy.write_text(broken, encoding="utf-8")
    return copy, text.count("\n", 0, match.start()) + 1


@pytest.fixture(scope="module")
def checked(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[Path, AslResult], dict[Path, tuple[Path, int]]]:
    """The language service's results for every definition and a broken-Next copy of each, in one node run."""
    files = definitions()
    assert files, f"no *.asl.json in {STATEMACHINE_DIR}: the state machine modules render these files"
    scratch = tmp_path_factory.mktemp("asl-broken-next")
    copies = {definition: broken_next_copy(definition, scratch) for definition in files}
    results = run_check("language-service", files + [copy for copy, _ in copies.values()])
    return results, copies


@pytest.mark.parametrize("definition", definitions(), ids=lambda p: p.name)
def test_definition_passes_the_aws_toolkit_validation(checked, definition: Path) -> None:
    results, _ = checked
    problems = results[definition].problems()
    assert not problems, "amazon-states-language-service reports:\n" + "\n".join(problems)


@pytest.mark.parametrize("definition", definitions(), ids=lambda p: p.name)
def test_broken_next_is_reported_by_the_language_service(checked, definition: Path) -> None:
    """Test of the test: the same check fails, with the Toolkit's message, on a copy with a broken Next."""
    results, copies = checked
    copy, line = copies[definition]
    reported = [(d.line, d.severity, d.message) for d in results[copy].diagnostics]
    assert (line, "Error", BROKEN_NEXT_MESSAGE) in reported, reported
    assert results[copy].problems(), "a broken Next must fail the check"


def test_statemachine_directory_has_definitions() -> None:
    """Fails (rather than silently checking nothing) when the state machine definitions are missing."""
    assert definitions(), f"no *.asl.json in {STATEMACHINE_DIR}"
