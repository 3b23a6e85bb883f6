"""The EventBridge rule and target of modules/glue-cost-control, as the module's HCL declares them:
which CloudTrail records start the state machine, and what input it receives."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from local.terraform import MODULES_DIR, render_state_machine
from tests.glue_cost_control.module import (
    create_session_record,
    definition_variables,
    event_pattern,
    execution_input_fields_read,
    execution_input_template,
    input_transformer,
    new_session_id,
    transform,
    variable_default,
)

SUCCESS_TOPIC_ARN = "arn:aws:sns:eu-west-2:123456789012:success-stepfunction"


def matches(event: dict) -> bool:
    return EventPattern.load(json.dumps(event_pattern())).matches_event(event)


def test_a_real_create_session_record_starts_the_state_machine() -> None:
    assert matches(create_session_record(new_session_id()))


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(create_session_record(new_session_id(), event_name="DeleteSession"), id="DeleteSession"),
        pytest.param(create_session_record(new_session_id(), event_name="StopSession"), id="StopSession"),
        pytest.param(
            create_session_record(new_session_id(), source="com.example.glue-tools"), id="other-source"
        ),
        pytest.param(
            create_session_record(new_session_id(), error_code="AccessDeniedException"),
            id="failed-call-denied",
        ),
        pytest.param(
            create_session_record(new_session_id(), error_code="ResourceNumberLimitExceededException"),
            id="failed-call-limit",
        ),
    ],
)
def test_other_calls_sources_and_failed_calls_start_nothing(record: dict) -> None:
    assert not matches(record)


def test_a_record_from_another_service_with_the_same_event_name_starts_nothing() -> None:
    record = create_session_record(new_session_id())
    record["detail"]["eventSource"] = "sagemaker.amazonaws.com"
    assert not matches(record)


@pytest.mark.parametrize("settings", ["default", (45, 3, 7)])
def test_the_transformed_input_is_exactly_what_the_definition_reads(
    settings: tuple[int, int, int] | str,
) -> None:
    seconds, looks, look_seconds = (
        (
            variable_default("session_max_duration_seconds"),
            variable_default("max_provisioning_looks"),
            variable_default("provisioning_look_seconds"),
        )
        if settings == "default"
        else settings
    )
    session_id = new_session_id()
    transformer = input_transformer()

    execution_input = transform(
        create_session_record(session_id),
        transformer.input_paths,
        execution_input_template(seconds, looks, look_seconds),
    )

    definition = render_state_machine(
        MODULES_DIR / "glue-cost-control", definition_variables(SUCCESS_TOPIC_ARN)
    )
    assert set(execution_input) == execution_input_fields_read(definition)
    assert execution_input == {
        "session_id": session_id,
        "wait_seconds": seconds,
        "max_provisioning_looks": looks,
        "provisioning_look_seconds": look_seconds,
    }
    # SecondsPath and NumericGreaterThanEqualsPath need numbers, not "1800"
    assert all(isinstance(execution_input[name], int) for name in set(execution_input) - {"session_id"})


def test_the_default_duration_is_thirty_minutes() -> None:
    assert variable_default("session_max_duration_seconds") == 1800


def test_the_default_looks_wait_about_ten_minutes_for_provisioning() -> None:
    """The first look comes when the wait ends; each further look comes provisioning_look_seconds later."""
    waited = (variable_default("max_provisioning_looks") - 1) * variable_default("provisioning_look_seconds")
    assert 540 <= waited <= 660
