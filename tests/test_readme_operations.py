"""What the README tells an operator: how to re-run one day's pipeline by hand (a command that
starts the released alias with the schedule's own input), what a second WordPress site needs, and
the fixed monthly costs beside the per-run ones, counted from the HCL that creates them."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from local.hcl import labelled, parse_dir, resources

REPO_ROOT = Path(__file__).resolve().parents[1]


def readme_section(title: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    heading = re.search(rf"^#+ {re.escape(title)}\n", readme, re.MULTILINE)
    assert heading is not None, f"the README has no section {title!r}"
    rest = readme[heading.end() :]
    following = re.search(r"^#+ ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def shell_commands(text: str) -> list[list[str]]:
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip():
                commands.append(shlex.split(command, comments=True))
    return commands


def test_readme_says_how_to_rerun_one_day_with_the_schedules_input_on_the_alias() -> None:
    section = readme_section("Re-run one day's pipeline by hand")
    [start] = [
        command
        for command in shell_commands(section)
        if command[:3] == ["aws", "stepfunctions", "start-execution"]
    ]
    options = dict(zip(start[3::2], start[4::2], strict=True))
    root_outputs = labelled(parse_dir(REPO_ROOT)["output"])
    assert options["--state-machine-arn"] == "$(terraform output -raw pipeline_state_machine_alias_arn)"
    assert "alias" in root_outputs["pipeline_state_machine_alias_arn"]["value"], "the live alias, not $LATEST"
    assert options["--name"], "executions are named (the replay and the audit's run id use the name)"
    # The pipeline's schedule is built by modules/daily-schedule, which sends the caller's `input`.
    schedule_call = labelled(parse_dir(REPO_ROOT / "modules" / "pipeline")["module"])["schedule"]
    assert schedule_call["source"] == "../daily-schedule"
    assert re.sub(r"\s", "", schedule_call["input"]) == '${jsonencode({trigger="schedule"})}'
    [schedule] = [
        body
        for kind, name, body in resources(parse_dir(REPO_ROOT / "modules" / "daily-schedule"))
        if kind == "aws_scheduler_schedule"
    ]
    target = schedule["target"][0] if isinstance(schedule["target"], list) else schedule["target"]
    assert re.sub(r"\s", "", target["input"]) == "${var.input}"
    assert json.loads(options["--input"]) == {"trigger": "schedule"}, "the schedule's own input"


def test_readme_says_what_a_second_site_needs() -> None:
    section = readme_section("A second WordPress site")
    assert "second deployment" in section and "name_prefix" in section
    assert "wordpress_endpoints" in section and "backend.hcl" in section


def test_readme_lists_the_fixed_monthly_costs_counted_from_the_hcl() -> None:
    section = readme_section("Fixed monthly costs")
    key_calls = [
        path for path in (REPO_ROOT / "modules").rglob("*.tf") if 'source = "../kms-key"' in path.read_text()
    ]
    per_deployment_keys = sum(path.read_text().count('source = "../kms-key"') for path in key_calls)
    assert f"| {per_deployment_keys} per deployment (+1 for `bootstrap/`) |" in section
    assert "customer managed KMS keys" in section and "$1 per key a month" in section
    alarms = sum(
        1
        for directory in (REPO_ROOT / "modules").iterdir()
        if directory.is_dir()
        for kind, _, _ in resources(parse_dir(directory))
        if kind == "aws_cloudwatch_metric_alarm"
    )
    assert alarms == 3, (
        "one alarm per Lambda function (for_each), the schedules' dead-letter alarm, the landing zone's "
        "dead-letter alarm of undelivered Object Created events"
    )
    assert "| 7 standard-resolution alarms |" in section and "$0.10 per alarm a month" in section
    assert "CloudTrail" in section and "first copy of management events is free" in section
