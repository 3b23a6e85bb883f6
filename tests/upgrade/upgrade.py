"""Plan a configuration against the state of an earlier one, offline, and say what the plan would do
to what already exists.

The earlier configuration (a directory, e.g. the base release exported by base.py) is applied with
the suite's offline provider in resolved mode (tests/offline_plan/provider_plan.py: every resource
gets the ARNs and ids AWS would give it); its local state is copied into a copy of the new
configuration, which real Terraform then plans. An upgrade in place creates, destroys and replaces
nothing: each resource is left as it is, moved (a `moved` block) or updated in place.

The offline provider does not know which arguments force a new resource, so a change of the name a
resource is known by in AWS (tests/provider_free.py NAME_ARGUMENTS: function names, role names, log
group names, ...) is counted as a replacement, which it is for every such name the project uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.offline_plan.plan import (
    PlanInputs,
    PlanResult,
    copy_for_plans,
    plan_providers,
    run_plan,
    run_resolved_apply,
)
from tests.offline_validate.schema import REPO_ROOT
from tests.provider_free import NAME_ARGUMENTS

STATE_FILE = "terraform.tfstate"


@dataclass(frozen=True)
class Change:
    address: str
    previous_address: str | None
    resource_type: str
    actions: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Upgrade:
    base: PlanResult  # the resolved apply of the earlier configuration (state as `show -json`)
    plan: PlanResult  # the plan of the new configuration against that state
    changes: list[Change]

    @property
    def moved(self) -> list[Change]:
        return [c for c in self.changes if c.previous_address and c.previous_address != c.address]

    def problems(self) -> list[str]:
        return upgrade_problems(self.changes)


def managed_changes(plan: dict[str, Any]) -> list[Change]:
    """The plan's changes to managed resources (data source reads are not changes to a deployment)."""
    return [
        Change(
            address=rc["address"],
            previous_address=rc.get("previous_address"),
            resource_type=rc["type"],
            actions=tuple(rc["change"]["actions"]),
            before=rc["change"].get("before"),
            after=rc["change"].get("after"),
        )
        for rc in plan.get("resource_changes", [])
        if rc.get("mode") == "managed"
    ]


def _renamed(change: Change) -> str | None:
    """`argument: before -> after` when an update changes the name the resource is known by in AWS."""
    name = NAME_ARGUMENTS.get(change.resource_type)
    if name is None or not change.before or not change.after:
        return None
    for argument in (name.argument, name.scope):
        if argument is None:
            continue
        before, after = change.before.get(argument), change.after.get(argument)
        # An unknown value is absent from `after`; it does not say the name changes.
        if argument in change.after and before != after:
            return f"{argument}: {before!r} -> {after!r}"
    return None


def upgrade_problems(changes: list[Change]) -> list[str]:
    """Every change that is not a no-op, a move or an update in place, one line each."""
    problems = []
    for change in changes:
        was = f" (was {change.previous_address})" if change.previous_address else ""
        if change.actions in (("no-op",), ("update",)):
            renamed = _renamed(change)
            if renamed:
                problems.append(f"{change.address}{was}: replaced, its AWS name changes ({renamed})")
        elif change.actions == ("create",):
            problems.append(f"{change.address}: created (an existing deployment does not have it)")
        elif change.actions == ("delete",):
            problems.append(f"{change.address}: destroyed (no moved block says where it went)")
        else:
            problems.append(f"{change.address}{was}: {'/'.join(change.actions)}")
    return sorted(problems)


def plan_upgrade(
    base_root: Path, new_root: Path, inputs: PlanInputs, workdir: Path, label: str = "upgrade"
) -> Upgrade:
    """Apply base_root's configuration (inputs.configuration) offline, then plan new_root's against
    its state. Both are copied under workdir; the directories given are not changed."""
    resolved = PlanInputs(
        inputs.label, inputs.configuration, inputs.variables, True, inputs.account, inputs.region
    )
    with plan_providers() as setup:
        base_copy = copy_for_plans(workdir / f"{label}-base", base_root)
        base = run_resolved_apply(base_copy, resolved, setup)
        if not base.ok:
            raise AssertionError(f"applying the base configuration ({base_root}) failed:\n{base.report}")
        new_copy = copy_for_plans(workdir / f"{label}-new", new_root)
        plan = run_plan(new_copy, resolved, setup, prior_state=base.workdir / STATE_FILE)
    if not plan.ok:
        raise AssertionError(f"planning {new_root} against the base state failed:\n{plan.report}")
    return Upgrade(base, plan, managed_changes(plan.plan))


def replan(upgrade: Upgrade, new_root: Path, workdir: Path, label: str) -> Upgrade:
    """Plan another configuration (e.g. a deliberately broken copy) against the same base state."""
    inputs = upgrade.plan.inputs
    with plan_providers() as setup:
        new_copy = copy_for_plans(workdir / label, new_root)
        plan = run_plan(new_copy, inputs, setup, prior_state=upgrade.base.workdir / STATE_FILE)
    if not plan.ok:
        raise AssertionError(f"planning {new_root} against the base state failed:\n{plan.report}")
    return Upgrade(upgrade.base, plan, managed_changes(plan.plan))


__all__ = ["REPO_ROOT", "Change", "Upgrade", "managed_changes", "plan_upgrade", "replan", "upgrade_problems"]
