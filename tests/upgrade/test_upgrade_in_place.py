"""Issue 17 item 2: a deployment of the base release (tests/upgrade/base.py BASE_COMMIT) upgrades to
this configuration in place.

The base release's configuration, exported from git, is applied offline (tests/upgrade/upgrade.py);
real Terraform then plans this configuration against that state: nothing may be created, destroyed
or replaced, only moved (`moved` blocks, moved.tf) or updated in place, except the changes
base.py's INTENDED_CHANGES lists with their reasons (each must still happen, so the list stays
exactly what an upgrade does). With the default inputs and
with a name_prefix (instance keys of moved resources must not depend on names). A copy that drops
some moved blocks and renames a function shows the check failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.offline_plan.plan import PlanInputs
from tests.offline_plan.runs import ENDPOINTS
from tests.offline_validate.schema import REPO_ROOT
from tests.upgrade.base import BASE_COMMIT, INTENDED_CHANGES, GitHistoryUnavailable, export_tree
from tests.upgrade.upgrade import Upgrade, plan_upgrade, replan

INPUTS = {
    "defaults": PlanInputs("upgrade-defaults", ".", {"wordpress_endpoints": ENDPOINTS}),
    "prefixed": PlanInputs(
        "upgrade-prefixed",
        ".",
        {"wordpress_endpoints": ENDPOINTS, "name_prefix": "acme-dev", "log_retention_days": 30},
    ),
}


@pytest.fixture(scope="module")
def base_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return export_tree(tmp_path_factory.mktemp("base") / "tree")
    except GitHistoryUnavailable as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def upgrades(base_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Upgrade]:
    """The upgrade for a set of INPUTS, applied and planned once for the module's tests."""
    made: dict[str, Upgrade] = {}

    def upgrade_for(label: str) -> Upgrade:
        if label not in made:
            inputs = INPUTS[label]
            made[label] = plan_upgrade(base_tree, REPO_ROOT, inputs, tmp_path_factory.mktemp(label), label)
        return made[label]

    return upgrade_for


@pytest.fixture(params=sorted(INPUTS))
def upgrade(request: pytest.FixtureRequest, upgrades: Callable[[str], Upgrade]) -> Upgrade:
    return upgrades(request.param)


def test_the_upgrade_creates_destroys_and_replaces_nothing_it_does_not_intend(upgrade: Upgrade) -> None:
    problems = upgrade.problems()
    unexpected = [line for line in problems if not any(line.startswith(key) for key in INTENDED_CHANGES)]
    assert not unexpected, (
        f"upgrading a deployment of {BASE_COMMIT[:12]} ({upgrade.plan.inputs.label}) would:\n"
        + "\n".join(unexpected)
        + "\nAdd a moved block for each address that changed (moved.tf), keep AWS names as they were;"
        " a change made on purpose goes in tests/upgrade/base.py INTENDED_CHANGES with its reason."
    )
    gone = [key for key in INTENDED_CHANGES if not any(line.startswith(key) for line in problems)]
    assert not gone, f"no longer part of the upgrade, remove from INTENDED_CHANGES: {gone}"


def test_the_moved_blocks_are_used(upgrade: Upgrade) -> None:
    """Every moved block of this configuration whose source exists in the base state moves it."""
    declared = re.findall(r"^\s*from\s*=\s*(\S+)", (REPO_ROOT / "moved.tf").read_text(encoding="utf-8"), re.M)
    in_base = {resource["address"] for resource in _state_resources(upgrade.base.plan)}
    expected = {address for address in declared if address in in_base}
    moved = {change.previous_address for change in upgrade.moved}
    assert expected <= moved, f"moved blocks with no effect: {sorted(expected - moved)}"


def test_a_refactor_without_its_moved_blocks_fails_the_check(
    base_tree: Path, upgrades: Callable[[str], Upgrade], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Test of the test: drop the failure-replay moves and rename the raw function in a copy."""
    workdir = tmp_path_factory.mktemp("upgrade-broken")
    upgrade = upgrades("defaults")  # the base release applied with the default inputs
    unchanged = replan(upgrade, base_tree, workdir, "noop")
    assert not unchanged.problems() and not unchanged.moved, "the base release against itself changes nothing"

    broken = workdir / "broken-tree"
    for name in ("modules", "functions", "statemachine", "jobs", "datasets", "queries"):
        _copy(REPO_ROOT / name, broken / name)
    for tf in REPO_ROOT.glob("*.tf"):
        (broken / tf.name).write_text(tf.read_text(encoding="utf-8"), encoding="utf-8")
    moved = broken / "moved.tf"
    text = moved.read_text(encoding="utf-8")
    moved.write_text(text[: text.index("# --- modules/failure-replay")], encoding="utf-8")
    pipeline = broken / "modules" / "pipeline" / "main.tf"
    source = pipeline.read_text(encoding="utf-8")
    seed = 'seed        = "data_wordpressapi_raw"'
    renamed = source.replace(seed, seed.replace("_raw", "_raw_v2"))
    assert renamed != source, "modules/pipeline/main.tf: the raw function's seed moved; update this example"
    pipeline.write_text(renamed, encoding="utf-8")

    problems = "\n".join(replan(upgrade, broken, workdir, "broken-new").problems())
    assert "module.failure_replay.module.function.aws_lambda_function.this: created" in problems
    assert "module.failure_replay.aws_lambda_function.this: destroyed" in problems
    assert re.search(
        r"module\.pipeline\.module\.function\[\"raw\"\]\.aws_lambda_function\.this \(was [^)]*\): replaced, "
        r"its AWS name changes \(function_name: 'data_wordpressapi_raw' -> 'data_wordpressapi_raw_v2'\)",
        problems,
    ), problems


def _state_resources(state: dict) -> list[dict]:
    found, stack = [], [state.get("values", {}).get("root_module", {})]
    while stack:
        module = stack.pop()
        found.extend(r for r in module.get("resources", []) if r.get("mode") == "managed")
        stack.extend(module.get("child_modules", []))
    return found


def _copy(source: Path, destination: Path) -> None:
    import shutil

    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", ".build", "*.zip"))
