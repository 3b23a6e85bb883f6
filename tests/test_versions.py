"""Issue 9 item 1: every configuration asks for the Terraform and providers the code really needs.

`backend.tf` sets `use_lockfile = true`, which Terraform accepts from 1.11, so no `required_version`
may admit a Terraform below 1.11. Provider constraints must stay within the major version the code
is written for: hashicorp/aws 6.x (never 7) and hashicorp/archive 2.x (never 3).

Constraints are read from every `terraform` block of every .tf file (root, bootstrap/, each module,
test fixtures) and evaluated with Terraform's own operators (`=`, `!=`, `>`, `>=`, `<`, `<=`, `~>`,
comma meaning "and"). A constraint set admits a range of versions whose ends are the versions it
names, so whether it admits any version below (or at or above) a bound is decided exactly by trying
the named versions, their neighbours and the extremes (see `_probes`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local.hcl import parse_file
from local.terraform import REPO_ROOT, terraform_files

Version = tuple[int, int, int]

_CONSTRAINT = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$")


def parse_constraints(text: str) -> list[tuple[str, Version, int]]:
    """`">= 1.2, < 2"` as [(operator, version, number of segments written)]."""
    parsed = []
    for part in text.split(","):
        match = _CONSTRAINT.match(part)
        if not match:
            raise ValueError(f"not a Terraform version constraint: {part!r} in {text!r}")
        operator, *segments = match.groups()
        written = [int(s) for s in segments if s is not None]
        version = tuple(written + [0] * (3 - len(written)))
        parsed.append((operator or "=", version, len(written)))
    return parsed


def _allows(operator: str, bound: Version, segments: int, version: Version) -> bool:
    if operator == "=":
        return version == bound
    if operator == "!=":
        return version != bound
    if operator == ">":
        return version > bound
    if operator == ">=":
        return version >= bound
    if operator == "<":
        return version < bound
    if operator == "<=":
        return version <= bound
    # "~>": only the right-most written segment may increase. With one segment ("~> 6") that is the
    # major version itself, so the constraint has no upper bound (Terraform's documented meaning).
    if version < bound:
        return False
    fixed = max(segments - 1, 0)
    return version[:fixed] == bound[:fixed]


def admits(text: str, version: Version) -> bool:
    return all(_allows(op, bound, segments, version) for op, bound, segments in parse_constraints(text))


def _neighbours(version: Version) -> set[Version]:
    major, minor, patch = version
    around = {version, (major, minor, patch + 1), (major, minor + 1, 0), (major + 1, 0, 0)}
    if patch:
        around.add((major, minor, patch - 1))
    elif minor:
        around.add((major, minor - 1, 999))
    elif major:
        around.add((major - 1, 999, 999))
    return around


def _probes(text: str, extra: tuple[Version, ...]) -> set[Version]:
    """Versions that decide every question about a constraint set's admitted range: the range is an
    intersection of half-lines and points ending at named versions, so if it meets an interval it
    contains the interval's own ends, a named version or a neighbour of one."""
    probes = {(0, 0, 0), (999, 0, 0), *extra}
    for _, bound, _ in parse_constraints(text):
        probes |= _neighbours(bound)
    for version in extra:
        probes |= _neighbours(version)
    return probes


def admits_below(text: str, bound: Version) -> Version | None:
    """A version lower than `bound` the constraint admits (None when there is none)."""
    lower = {v for v in _probes(text, (bound,)) if v < bound}
    return max((v for v in lower if admits(text, v)), default=None)


def admits_from(text: str, bound: Version) -> Version | None:
    """A version at or above `bound` the constraint admits (None when there is none)."""
    upper = {v for v in _probes(text, (bound,)) if v >= bound}
    return min((v for v in upper if admits(text, v)), default=None)


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">= 1.5", (1, 10, 5), True),
        (">= 1.11", (1, 10, 99), False),
        (">= 1.11", (1, 11, 0), True),
        ("~> 6.0", (6, 66, 0), True),
        ("~> 6.0", (7, 0, 0), False),
        ("~> 6", (7, 3, 0), True),
        ("~> 6.1.2", (6, 1, 9), True),
        ("~> 6.1.2", (6, 2, 0), False),
        (">= 6.0, < 7.0", (6, 99, 99), True),
        (">= 6.0, < 7.0", (7, 0, 0), False),
        ("!= 1.10.0, >= 1.9", (1, 10, 0), False),
        ("1.11.2", (1, 11, 2), True),
        ("= 1.11.2", (1, 11, 3), False),
        ("<= 2.4", (2, 4, 0), True),
        ("> 2.4", (2, 4, 0), False),
    ],
)
def test_constraints_are_read_with_terraforms_operators(
    constraint: str, version: Version, expected: bool
) -> None:
    assert admits(constraint, version) is expected


@pytest.mark.parametrize(
    ("constraint", "bound", "below", "from_bound"),
    [
        (">= 1.5", (1, 11, 0), (1, 10, 999), (1, 11, 0)),
        (">= 1.11", (1, 11, 0), None, (1, 11, 0)),
        ("!= 1.10.0, >= 1.10", (1, 11, 0), (1, 10, 999), (1, 11, 0)),
        ("~> 6.0", (7, 0, 0), (6, 999, 999), None),
        ("~> 6", (7, 0, 0), (6, 999, 999), (7, 0, 0)),
        (">= 6.0", (7, 0, 0), (6, 999, 999), (7, 0, 0)),
        (">= 6.2, < 7", (7, 0, 0), (6, 999, 999), None),
    ],
)
def test_checker_finds_what_a_constraint_admits_around_a_bound(
    constraint: str, bound: Version, below: Version | None, from_bound: Version | None
) -> None:
    assert admits_below(constraint, bound) == below
    assert admits_from(constraint, bound) == from_bound


# --- the repository ---------------------------------------------------------------------------


def _terraform_blocks() -> list[tuple[Path, dict]]:
    found = []
    for path in terraform_files():
        for block in parse_file(path).get("terraform", []):
            if "required_version" in block or "required_providers" in block:
                found.append((path, block))
    return found


def _providers(block: dict) -> dict[str, dict]:
    providers: dict[str, dict] = {}
    for entry in block.get("required_providers", []):
        providers.update(entry)
    return providers


def test_every_configuration_directory_declares_its_versions() -> None:
    declared = {path.parent for path, block in _terraform_blocks() if "required_version" in block}
    configurations = {
        REPO_ROOT,
        REPO_ROOT / "bootstrap",
        *(p for p in (REPO_ROOT / "modules").iterdir() if p.is_dir()),
    }
    assert configurations <= declared, f"no required_version in {sorted(map(str, configurations - declared))}"
    for module in configurations:
        assert (module / "versions.tf").is_file(), f"{module} has no versions.tf"


def test_no_configuration_admits_a_terraform_without_use_lockfile() -> None:
    problems = []
    for path, block in _terraform_blocks():
        constraint = block.get("required_version")
        if constraint is None:
            problems.append(f"{path.relative_to(REPO_ROOT)}: no required_version")
            continue
        too_old = admits_below(constraint, (1, 11, 0))
        if too_old:
            problems.append(
                f"{path.relative_to(REPO_ROOT)}: required_version {constraint!r} admits Terraform "
                f"{'.'.join(map(str, too_old))}, which rejects backend.tf's use_lockfile"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("provider", "source", "next_major"), [("aws", "hashicorp/aws", 7), ("archive", "hashicorp/archive", 3)]
)
def test_provider_constraints_stay_within_one_major_version(
    provider: str, source: str, next_major: int
) -> None:
    problems = []
    seen = 0
    for path, block in _terraform_blocks():
        spec = _providers(block).get(provider)
        if spec is None:
            continue
        seen += 1
        where = path.relative_to(REPO_ROOT)
        if spec.get("source") != source:
            problems.append(f"{where}: {provider} source is {spec.get('source')!r}, expected {source!r}")
        constraint = spec.get("version")
        if constraint is None:
            problems.append(f"{where}: {provider} has no version constraint")
            continue
        too_new = admits_from(constraint, (next_major, 0, 0))
        if too_new:
            problems.append(
                f"{where}: {provider} version {constraint!r} admits {'.'.join(map(str, too_new))}"
            )
        if admits_below(constraint, (next_major - 1, 0, 0)):
            problems.append(
                f"{where}: {provider} version {constraint!r} admits a release before {next_major - 1}.0"
            )
    assert seen, f"no configuration requires {source}"
    assert not problems, "\n".join(problems)


def test_every_aws_and_archive_constraint_is_written_the_same_way() -> None:
    constraints: dict[str, set[str]] = {}
    for _, block in _terraform_blocks():
        for name, spec in _providers(block).items():
            constraints.setdefault(name, set()).add(spec.get("version"))
    assert constraints.get("aws") == {"~> 6.0"}
    assert constraints.get("archive") == {"~> 2.4"}


def test_readme_states_the_required_versions() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "Terraform >= 1.11" in readme
    assert "hashicorp/aws` `~> 6.0`" in readme
    assert "hashicorp/archive` `~> 2.4`" in readme
