"""lakehouse_common.config: "a malformed or too small value is a configuration error naming the
variable" (env_int / env_float), both directly and through the raw function's tunables."""

from __future__ import annotations

import pytest


@pytest.fixture
def config(raw_function):  # loading a handler puts the layer (lakehouse_common) on the path
    from lakehouse_common import config

    return config


@pytest.mark.parametrize(
    ("helper", "value", "minimum", "problem"),
    [
        ("env_int", "four", 1, "not an integer"),
        ("env_int", "2.5", 1, "not an integer"),
        ("env_int", "0", 1, "must be >= 1"),
        ("env_int", "2", 3, "must be >= 3"),
        ("env_float", "soon", 0.0, "not a number"),
        ("env_float", "-1", 0.0, "must be >= 0.0"),
        ("env_float", "0.01", 0.1, "must be >= 0.1"),
    ],
)
def test_malformed_or_too_small_value_is_an_error_naming_the_variable(
    config, monkeypatch, helper: str, value: str, minimum: float, problem: str
) -> None:
    monkeypatch.setenv("LAKEHOUSE_TEST_TUNABLE", value)
    with pytest.raises(ValueError, match="LAKEHOUSE_TEST_TUNABLE") as raised:
        getattr(config, helper)("LAKEHOUSE_TEST_TUNABLE", 5, minimum=minimum)
    assert problem in str(raised.value)


@pytest.mark.parametrize("helper", ["env_int", "env_float"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_unset_or_blank_gives_the_default(config, monkeypatch, helper: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("LAKEHOUSE_TEST_TUNABLE", raising=False)
    else:
        monkeypatch.setenv("LAKEHOUSE_TEST_TUNABLE", value)
    assert getattr(config, helper)("LAKEHOUSE_TEST_TUNABLE", 5) == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_ATTEMPTS", "many"),
        ("MAX_ATTEMPTS", "0"),
        ("FETCH_CONCURRENCY", "0"),
        ("REQUEST_TIMEOUT_SECONDS", "0.01"),
        ("RETRY_BASE_SECONDS", "fast"),
    ],
)
def test_raw_function_tunables_name_the_bad_variable(
    raw_function, monkeypatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=rf"environment variable {name}="):
        raw_function.new_fetcher()
