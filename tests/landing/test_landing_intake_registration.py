"""landing_intake, EventBridge Object Created -> one audit item NEW per landed file (issue 19)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote_plus

import pytest

from .landing_intake_env import BRONZE_DATABASE, RAW, LandingAws, landing_aws


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LandingAws]:
    with landing_aws(monkeypatch) as env:
        yield env


def test_a_new_file_is_registered_new_with_its_attributes(aws: LandingAws) -> None:
    etag = aws.put("landing/orders/orders.csv", b"id,name\n1,a\n")

    result = aws.handler(aws.created_event("landing/orders/orders.csv", "event-1", "2026-12-07T09:00:00Z"))

    assert result == {
        "registered": True,
        "dataset": "orders",
        "key": "landing/orders/orders.csv",
        "audit_id": f"file#{etag}",
        "state": "NEW",
    }
    item = aws.item("orders", f"file#{etag}")
    assert item is not None
    registered_at = item.pop("registered_at")
    assert registered_at.endswith("Z")
    assert item == {
        "dataset": "orders",
        "run_id": f"file#{etag}",
        "source": "landing",
        "key": "landing/orders/orders.csv",
        "file_name": "orders.csv",
        "size": 12,
        "etag": etag,
        "arrived_at": "2026-12-07T09:00:00Z",
        "event_id": "event-1",
        "state": "NEW",
    }
    assert aws.alerts() == []


def test_a_redelivered_event_changes_nothing_and_alerts_nobody(aws: LandingAws) -> None:
    aws.put("landing/orders/orders.csv", b"id\n1\n")
    event = aws.created_event("landing/orders/orders.csv", "event-1")
    aws.handler(event)
    before = aws.items()

    again = aws.handler(event)

    assert again["registered"] is False and "redelivery" in again["reason"]
    assert aws.items() == before
    assert aws.alerts() == []


def test_the_same_content_under_another_name_is_noted_and_alerted_once(aws: LandingAws) -> None:
    first = aws.land("landing/orders/orders.csv", b"id\n1\n", event_id="event-1")
    second = aws.land(
        "landing/orders/orders copy.csv", b"id\n1\n", event_id="event-2", time="2026-12-07T09:05:00Z"
    )
    aws.handler(
        aws.created_event("landing/orders/orders copy.csv", "event-2")
    )  # redelivered: no second alert

    assert second["registered"] is False
    items = aws.items()
    assert len(items) == 1, "one item per content"
    item = items[0]
    assert item["key"] == "landing/orders/orders.csv" and item["state"] == "NEW"
    assert item["duplicate_uploads"] == [
        {"key": "landing/orders/orders copy.csv", "event_id": "event-2", "at": "2026-12-07T09:05:00Z"}
    ]
    alerts = aws.alerts()
    assert len(alerts) == 1
    assert alerts[0][1] == (
        f"landing/orders/orders copy.csv has the same content as landing/orders/orders.csv, registered "
        f"{item['registered_at']}, state NEW: not registered again"
    )
    assert first["registered"] is True


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("landing/orders.csv", "is not in a dataset folder"),
        ("landing/orders/2026/orders.csv", "is not in a dataset folder"),
        ("landing/Orders/orders.csv", "'Orders' is not a valid dataset name"),
    ],
)
def test_a_refused_key_gets_no_item_and_one_alert(aws: LandingAws, key: str, reason: str) -> None:
    result = aws.land(key, b"id\n1\n")

    assert result["registered"] is False and reason in result["reason"]
    assert aws.items() == []
    alerts = aws.alerts()
    assert len(alerts) == 1
    assert key in alerts[0][1] and reason in alerts[0][1]


def test_an_url_encoded_key_is_found_decoded(aws: LandingAws) -> None:
    key = "landing/orders/Bestellungen März 2026.csv"
    etag = aws.put(key, b"id\n1\n")

    result = aws.handler(aws.created_event(quote_plus(key, safe="/"), "event-1"))

    assert result["registered"] is True and result["key"] == key
    item = aws.item("orders", f"file#{etag}")
    assert item is not None and item["key"] == key and item["file_name"] == "Bestellungen März 2026.csv"


def test_a_dataset_name_taken_by_a_non_landing_bronze_table_is_refused(aws: LandingAws) -> None:
    aws.glue.create_table(
        DatabaseName=BRONZE_DATABASE,
        TableInput={
            "Name": "posts",
            "Parameters": {"source": "wordpress_api"},
            "StorageDescriptor": {"Columns": []},
        },
    )

    result = aws.land("landing/posts/posts.csv", b"id\n1\n")

    assert result["registered"] is False
    assert (
        "'posts' is taken by the bronze table test_lakehouse_bronze.posts of source 'wordpress_api'"
        in (result["reason"])
    )
    assert aws.items() == []
    assert len(aws.alerts()) == 1


def test_a_folder_marker_is_ignored_silently(aws: LandingAws) -> None:
    aws.put("landing/orders/", b"")

    result = aws.handler(aws.created_event("landing/orders/"))

    assert result["registered"] is False
    assert aws.items() == [] and aws.alerts() == []


def test_a_file_gone_before_registration_is_refused_without_raising(aws: LandingAws) -> None:
    result = aws.handler(aws.created_event("landing/orders/vanished.csv"))

    assert result["registered"] is False and "is gone" in result["reason"]
    assert aws.items() == [] and len(aws.alerts()) == 1


def test_an_event_that_is_not_from_s3_is_refused_naming_the_action(aws: LandingAws) -> None:
    with pytest.raises(ValueError, match="action: missing"):
        aws.handler({"source": "aws.events", "detail": {}})
    assert aws.items() == [] and aws.keys(RAW) == []
