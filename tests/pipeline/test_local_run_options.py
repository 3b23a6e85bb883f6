"""`python -m local.run_pipeline` options rejected before anything runs."""

from __future__ import annotations

import pytest

from local import run_pipeline


@pytest.mark.parametrize(("value", "message"), [("0", "0 is below 1"), ("-3", "-3 is below 1"), ("x", "'x'")])
def test_posts_below_one_is_rejected_by_the_option_parser(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_pipeline.parse_args(["--posts", value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--posts" in error and message in error, error


def test_posts_of_one_or_more_is_accepted() -> None:
    assert run_pipeline.parse_args(["--posts", "1"]).posts == 1
    assert run_pipeline.parse_args([]).posts == run_pipeline.DEFAULT_SAMPLE_POSTS
