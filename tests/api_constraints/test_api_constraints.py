"""Known plan values against the constraints of the AWS API parameter that receives them.

Constraints come from botocore's service models (min/max length, pattern, enum, numeric range,
list and map sizes), the mapping resource argument -> API parameter from mapping.py. Every
resource type the configurations use must be mapped, so a new type cannot slip past.
"""

from __future__ import annotations

import pytest

from local.hcl import parse_dir, resources
from local.terraform import MODULES_DIR, REPO_ROOT
from tests.api_constraints.check import api_shape, violations
from tests.api_constraints.mapping import ARGUMENTS
from tests.offline_plan.plan import PlanResult
from tests.offline_plan.runs import PLANS


def project_resource_types() -> set[str]:
    directories = [
        REPO_ROOT,
        REPO_ROOT / "bootstrap",
        *sorted(p for p in MODULES_DIR.glob("*/") if p.is_dir()),
    ]
    return {rtype for d in directories for rtype, _, _ in resources(parse_dir(d))}


def test_every_resource_type_has_a_mapping() -> None:
    missing = sorted(project_resource_types() - set(ARGUMENTS))
    assert not missing, (
        "resource types without an entry in tests/api_constraints/mapping.py ARGUMENTS "
        f"(map each argument to the API parameter that receives it): {missing}"
    )


def test_every_mapping_names_a_real_api_parameter() -> None:
    problems = []
    for rtype, arguments in ARGUMENTS.items():
        for argument, api in arguments.items():
            try:
                api_shape(api)
            except (KeyError, Exception) as error:  # botocore raises its own errors for unknown names
                problems.append(f"{rtype}.{argument} -> {api}: {error}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("label", [p.label for p in PLANS])
def test_known_values_satisfy_the_api(offline_plans: dict[str, PlanResult], label: str) -> None:
    result = offline_plans[label]
    assert result.ok, result.report
    found = violations(result.plan)
    assert not found, "\n".join(str(v) for v in found)
