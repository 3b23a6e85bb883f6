"""Issue 18 through the job's main() (moto in process, Spark on a local mirror): ``--loads`` per
dataset, an Update merging the run's increment into the live silver table (edits, new posts,
deletions, schema drift), the Update's row-count rule, InitialLoad counts against the live table,
and an Update without a live table falling back to the bronze snapshot. Bronze objects (the snapshot,
the run's increment, its published ids) are written by the bronze Lambda's own converter."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local.sample_wordpress import generate_posts, generate_users
from tests.silver.moto_env import mocked_aws
from tests.silver.test_job_mechanics import REQUIRED
from tests.silver.test_quality_gate import (
    BRONZE,
    DATABASE,
    REGION,
    SILVER,
    Lake,
    arguments,
    write_bronze,
    write_parquet,  # the bronze Lambda's converter
)

POSTS = 12
EDITED, REFETCHED, NEW, GONE = 3, 5, 13, 7  # post ids of the Update's changes
LATER = "2026-12-06T10:00:00"  # modified_gmt of this run's edits (after every sample post)


def site_posts() -> list[dict[str, Any]]:
    """The sample site's posts, with custom fields whose types silver infers from their values: only
    post 1 gives ``genre`` (a taxonomy: ids), ``event_date`` (a calendar date), ``rating`` (a number)
    and ``legacy`` (a field old posts still carry) a value."""
    posts = sorted(generate_posts(POSTS, categories=4, tags=6, users=3), key=lambda post: post["id"])
    for post in posts:
        first = post["id"] == 1
        post.update(genre=[2] if first else [], event_date="2024-05-01" if first else None)
        post.update(rating=4 if first else None)
        if first:
            post["legacy"] = "old"
    return posts


def run_key(run_id: str, name: str, file_name: str) -> str:
    return f"_runs/wordpress_api/{run_id}/{name}/{file_name}"


def write_increment(root: Path, run_id: str, name: str, records: list[dict[str, Any]]) -> str:
    """The run's increment as the bronze Lambda writes it (``_runs/<data source>/<run>/<name>/``)."""
    key = run_key(run_id, name, "increment.parquet")
    raw = root / "raw" / f"{run_id}-{name}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(records), encoding="utf-8")
    target = root / BRONZE / key
    target.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(
        str(raw),
        str(target),
        source_key=f"wordpress_api/{name}/{run_id}/{name}.json",
        ingested_at=datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
    )
    return key


def write_published_ids(root: Path, run_id: str, name: str, ids: list[int]) -> str:
    key = run_key(run_id, name, "published_ids.parquet")
    target = root / BRONZE / key
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), str(target))
    return key


def update_entry(name: str, increment_key: str, ids_key: str | None = None, **fields: Any) -> dict[str, Any]:
    """A load entry as the bronze Lambda's output ``loads`` has it."""
    return {
        "dataset": name,
        "mode": "Update",
        "reason": "watermark",
        "increment_key": increment_key,
        "published_ids_key": ids_key,
        "watermark_before": "2026-12-06T07:00:00Z",
        "watermark_after": "2026-12-07T06:59:00Z",
        "expected_run_id": "run-initial",
        "window_start": "2026-12-06T06:00:00Z",
        "ignored_modified_after": False,
        "incremental": True,
        "fetch_started_at": "2026-12-07T07:00:05Z",
        **fields,
    }


def run(
    lake: Lake, run_id: str, datasets: tuple[str, ...], loads: list[dict[str, Any]] | None
) -> dict[str, Any]:
    argv = arguments(lake.root, run_id, datasets)
    if loads is not None:
        argv += ["--loads", json.dumps(loads)]
    return lake.job.main(argv, s3=lake.s3, glue=lake.glue)


def entry(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in result["datasets"] if item["dataset"] == name)


def live_rows(lake: Lake, spark: Any, name: str) -> dict[int, dict[str, Any]]:
    location = lake.table(name)["StorageDescriptor"]["Location"]
    return {row["id"]: row.asDict() for row in spark.read.parquet(str(lake.local(location))).collect()}


@pytest.fixture(scope="module")
def lake(job: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """moto with the buckets and the silver database; ``initial``: the first run (posts, no
    ``--loads``); ``update``: the next run, an Update of posts that edits post 3, re-fetches post 5
    unchanged (the lookback window), adds post 13 and finds post 7 no longer published."""
    with mocked_aws(REGION):
        lake = Lake(tmp_path_factory.mktemp("s3"), job)
        for bucket in (BRONZE, SILVER):
            lake.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        lake.glue.create_database(DatabaseInput={"Name": DATABASE})
        posts = site_posts()
        write_bronze(lake.root, {"posts": posts})
        lake.initial = run(lake, "run-initial", ("posts",), None)

        by_id = {post["id"]: post for post in posts}
        edited = dict(copy.deepcopy(by_id[EDITED]), modified_gmt=LATER, modified=LATER)
        edited["title"] = {"rendered": "Edited &amp; republished"}
        new = dict(copy.deepcopy(by_id[EDITED]), id=NEW, slug="post-13", modified_gmt=LATER, modified=LATER)
        new["subtitle"] = "A field the site started sending"
        increment = [edited, copy.deepcopy(by_id[REFETCHED]), new]
        published = [post_id for post_id in [*by_id, NEW] if post_id != GONE]
        lake.update_entry = update_entry(
            "posts",
            write_increment(lake.root, "run-update", "posts", increment),
            write_published_ids(lake.root, "run-update", "posts", published),
        )
        lake.update = run(lake, "run-update", ("posts",), [lake.update_entry])
        yield lake


def test_the_first_load_inserts_every_row_and_echoes_initial_load(lake: Lake) -> None:
    posts = entry(lake.initial, "posts")
    assert (posts["state"], posts["silver_rows"], posts["load"]) == ("SILVER", POSTS, {"mode": "InitialLoad"})
    assert (posts["silver_inserted"], posts["silver_updated"], posts["silver_deleted"]) == (POSTS, 0, 0)


def test_an_update_merges_edits_new_posts_and_deletions_and_publishes_them(lake: Lake, spark) -> None:
    posts = entry(lake.update, "posts")
    assert lake.update["published"] == ["posts"] and posts["failed_rules"] == []
    # bronze held the increment only (3 records): the Update's gate is the merge's row count
    assert (posts["bronze_rows"], posts["silver_rows"]) == (3, POSTS)
    assert (posts["silver_inserted"], posts["silver_updated"], posts["silver_deleted"]) == (1, 1, 1)
    echoed = {key: value for key, value in lake.update_entry.items() if key in lake.job.ECHOED_LOAD_FIELDS}
    assert posts["load"] == echoed and len(echoed) == 9
    # What the audit item stores: plain strings.
    assert (posts["load_mode"], posts["watermark_before"], posts["watermark_after"]) == (
        "Update",
        "2026-12-06T07:00:00Z",
        "2026-12-07T06:59:00Z",
    )
    assert lake.json("_runs/wordpress_api/run-update/result.json") == json.loads(json.dumps(lake.update))

    location = "s3://lake-silver/wordpress_api/posts/run_id=run-update/"
    assert lake.table("posts")["StorageDescriptor"]["Location"] == location == posts["location"]
    rows = live_rows(lake, spark, "posts")
    assert sorted(rows) == [post_id for post_id in range(1, NEW + 1) if post_id != GONE]
    assert (rows[EDITED]["title"], rows[EDITED]["_run_id"]) == ("Edited & republished", "run-update")
    assert rows[EDITED]["modified_gmt"] == datetime(2026, 12, 6, 10, 0)
    assert (
        rows[NEW]["subtitle"] == "A field the site started sending" and rows[NEW]["_run_id"] == "run-update"
    )
    unchanged = [post_id for post_id in rows if post_id not in (EDITED, REFETCHED, NEW)]
    assert {rows[post_id]["_run_id"] for post_id in unchanged} == {"run-initial"}, "lineage of untouched rows"


def test_increment_columns_typed_differently_take_the_live_types(lake: Lake, spark) -> None:
    """The increment's posts carry ``genre: []``, ``event_date: null``, ``rating: null`` and no
    ``legacy``: bronze writes them as text (all-null columns are strings), and the increment alone
    cannot type them; the live table has them as array<bigint>, date, bigint."""
    increment = pq.read_schema(lake.root / BRONZE / lake.update_entry["increment_key"])
    assert {name: str(increment.field(name).type) for name in ("genre", "event_date", "rating")} == {
        "genre": "string",
        "event_date": "string",
        "rating": "string",
    }
    assert "legacy" not in increment.names

    def types(table: dict[str, Any]) -> dict[str, str]:
        return {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}

    after = types(lake.table("posts"))
    wanted = {"genre": "array<bigint>", "event_date": "date", "rating": "bigint", "legacy": "string"}
    assert {name: after[name] for name in wanted} == wanted
    assert after["date_gmt"] == "timestamp" and after["categories"] == "array<bigint>"
    assert list(after)[-1] == "subtitle", "a new field comes after live's columns"
    rows = live_rows(lake, spark, "posts")
    assert (rows[1]["genre"], str(rows[1]["event_date"]), rows[1]["rating"], rows[1]["legacy"]) == (
        [2],
        "2024-05-01",
        4,
        "old",
    )
    assert (rows[NEW]["genre"], rows[NEW]["event_date"], rows[NEW]["rating"], rows[NEW]["legacy"]) == (
        [],
        None,
        None,
        None,
    )
    assert rows[1]["subtitle"] is None


def test_an_update_whose_merge_does_not_add_up_is_quarantined(lake: Lake) -> None:
    """WordPress keeps ``modified_gmt`` to the second, and MySQL orders rows of equal sort keys
    differently from one page request to the next: a post saved twice within one second (an edit,
    then a plugin's save_post hook updating it again) while the raw Lambda pages through the changes
    can come back as two different records with the same id and the same ``modified_gmt``. Neither
    can be chosen, both stay, and silver then holds one row more than previous + inserted -
    deleted."""
    before = lake.table("posts")
    posts = site_posts()
    first = dict(posts[3], modified_gmt="2026-12-07T05:00:00", title={"rendered": "Saved"})
    second = dict(first, title={"rendered": "Saved, then updated by a plugin"})
    key = write_increment(lake.root, "run-tie", "posts", [first, second])

    result = run(lake, "run-tie", ("posts",), [update_entry("posts", key)])  # no published ids: no deletions

    posts_entry = entry(result, "posts")
    assert result["quarantined"] == ["posts"] and posts_entry["state"] == "QUARANTINED"
    failed = {rule["rule"]: rule for rule in posts_entry["failed_rules"]}
    assert set(failed) == {"id_unique", "row_count_matches_merge"}
    assert failed["row_count_matches_merge"]["detail"] == (
        f"silver has {POSTS + 1} rows, previous {POSTS} + inserted 0 - deleted 0 = {POSTS} (updated 1)"
    )
    assert (posts_entry["silver_inserted"], posts_entry["silver_updated"], posts_entry["silver_deleted"]) == (
        0,
        1,
        0,
    )
    assert lake.table("posts") == before, "the live table is untouched"


def test_an_update_without_changes_republishes_the_same_rows(lake: Lake, spark) -> None:
    """The most frequent Update: nothing changed since the watermark. Bronze writes the empty
    increment with the collection's known columns (typed from no value at all)."""
    from tests.silver.test_empty_endpoint import add_known_columns  # the bronze Lambda's

    before = live_rows(lake, spark, "posts")
    key = write_increment(lake.root, "run-quiet", "posts", [])
    add_known_columns(
        str(lake.root / BRONZE / key), "posts", {"_ingested_at": "timestamp", "_source_key": "string"}
    )
    ids = write_published_ids(lake.root, "run-quiet", "posts", sorted(before))

    result = run(lake, "run-quiet", ("posts",), [update_entry("posts", key, ids)])

    posts = entry(result, "posts")
    assert (posts["state"], posts["failed_rules"], posts["bronze_rows"], posts["silver_rows"]) == (
        "SILVER",
        [],
        0,
        len(before),
    )
    assert (posts["silver_inserted"], posts["silver_updated"], posts["silver_deleted"]) == (0, 0, 0)
    assert live_rows(lake, spark, "posts") == before


def test_an_initial_load_counts_against_the_live_table(lake: Lake, spark) -> None:
    live = {post_id for post_id in range(1, NEW + 1) if post_id != GONE}  # the Update's table
    assert set(live_rows(lake, spark, "posts")) == live
    posts = [post for post in site_posts() if post["id"] not in (1, 2)]  # 1, 2 gone; 7 is back
    write_bronze(lake.root, {"posts": posts})
    loaded = {post["id"] for post in posts}
    requested = {"dataset": "posts", "mode": "InitialLoad", "reason": "requested", "increment_key": None}

    result = run(lake, "run-reload", ("posts",), [requested])

    posts_entry = entry(result, "posts")
    assert posts_entry["state"] == "SILVER" and posts_entry["silver_rows"] == len(loaded)
    assert posts_entry["load"]["mode"] == "InitialLoad" and posts_entry["load"]["reason"] == "requested"
    assert (
        (posts_entry["silver_inserted"], posts_entry["silver_updated"], posts_entry["silver_deleted"])
        == (
            len(loaded - live),
            len({EDITED} & loaded & live),  # the others are back as they were: unchanged, not updated
            len(live - loaded),
        )
        == (1, 1, 3)
    )


def test_an_update_that_cannot_merge_loads_the_snapshot_and_says_so(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    """``pages`` was never published: the Update loads the bronze snapshot (which the bronze Lambda
    keeps current) instead. Here the site has no pages yet, and bronze first wrote them as it writes
    an empty collection it does not know (a custom post type): the lineage columns only, so the
    published table has no ``id`` and the next Update cannot merge either. Once bronze writes the
    known columns the table is empty with ids, its folder holds no Parquet file (an empty partitioned
    table; the columns come from the catalog), and the next Update merges into it."""
    from tests.silver.test_empty_endpoint import empty_bronze_with_known_columns

    write_bronze(lake.root, {"pages": []})
    never_read = run_key("run-pages-1", "pages", "increment.parquet")  # nothing to merge it into
    with caplog.at_level(logging.WARNING, logger="wordpress_bronze_to_silver"):
        first = entry(run(lake, "run-pages-1", ("pages",), [update_entry("pages", never_read)]), "pages")

    assert (first["state"], first["silver_rows"], first["failed_rules"]) == ("SILVER", 0, [])
    assert first["load"]["mode"] == "Update" and first["load"]["fallback"] == "no live silver table"
    assert "pages: Update, but no live silver table: InitialLoad from the bronze snapshot" in caplog.text
    assert "id" not in {c["Name"] for c in lake.table("pages")["StorageDescriptor"]["Columns"]}

    empty_bronze_with_known_columns(lake.root, "pages")
    second = entry(run(lake, "run-pages-2", ("pages",), [update_entry("pages", never_read)]), "pages")

    assert (second["state"], second["silver_rows"]) == ("SILVER", 0)
    assert second["load"]["fallback"] == "the live silver table has no id column"
    assert not list(lake.local(second["location"]).rglob("*.parquet")), "an empty partitioned table"

    page = dict(generate_posts(1)[0], id=101, type="page", parent=0, menu_order=0)
    key = write_increment(lake.root, "run-pages-3", "pages", [page])
    third = entry(run(lake, "run-pages-3", ("pages",), [update_entry("pages", key)]), "pages")

    assert (third["state"], third["silver_rows"], third["failed_rules"]) == ("SILVER", 1, [])
    assert "fallback" not in third["load"]
    assert (third["silver_inserted"], third["silver_updated"], third["silver_deleted"]) == (1, 0, 0)
    assert lake.table("pages")["PartitionKeys"] == [
        {"Name": "year", "Type": "int"},
        {"Name": "month", "Type": "int"},
    ]


def test_an_initial_load_replaces_a_live_table_it_cannot_read(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    """A rebuild is the way out of a broken table: a live location whose files are not Parquet only
    costs the counts (every row inserted), with a WARNING naming the table."""
    broken = "s3://lake-silver/wordpress_api/users/run_id=broken/"
    (lake.local(broken)).mkdir(parents=True)
    (lake.local(broken) / "part-00000.parquet").write_bytes(b"not parquet")
    lake.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "users",
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": broken},
        },
    )
    write_bronze(lake.root, {"users": generate_users(3)})

    with caplog.at_level(logging.WARNING, logger="wordpress_bronze_to_silver"):
        users = entry(run(lake, "run-users", ("users",), None), "users")

    assert (users["state"], users["silver_rows"], users["silver_inserted"], users["silver_deleted"]) == (
        "SILVER",
        3,
        3,
        0,
    )
    assert f"dataset users: cannot read the live silver table at {broken}" in caplog.text
    assert lake.table("users")["StorageDescriptor"]["Location"].endswith("/users/run_id=run-users/")


LOADS_ERRORS = {
    "not-json": ("[{", r"--loads: .* is not JSON"),
    "not-a-list": ('{"dataset": "posts"}', "--loads: must be a JSON array of load entries, not dict"),
    "not-an-object": ('["posts"]', r"--loads: entry 0 \"posts\" is not an object"),
    "unknown-dataset": (
        '[{"dataset": "comments", "mode": "InitialLoad"}]',
        r"--loads: entry 0 \(dataset 'comments'\): the dataset is not one of --datasets",
    ),
    "twice": (
        '[{"dataset": "posts", "mode": "InitialLoad"}, {"dataset": "posts", "mode": "InitialLoad"}]',
        r"--loads: entry 1 \(dataset 'posts'\): a second entry for the same dataset",
    ),
    "bad-mode": (
        '[{"dataset": "users", "mode": "Full"}]',
        r"--loads: entry 0 \(dataset 'users'\): mode 'Full' is not one of \['InitialLoad', 'Update'\]",
    ),
    "update-without-increment": (
        '[{"dataset": "posts", "mode": "Update", "increment_key": null}]',
        r"--loads: entry 0 \(dataset 'posts'\): an Update needs its increment_key",
    ),
    "key-outside-runs": (
        '[{"dataset": "posts", "mode": "Update", "increment_key": "wordpress_api/posts/posts.parquet"}]',
        r"--loads: entry 0 \(dataset 'posts'\): increment_key 'wordpress_api/posts/posts.parquet' is not a "
        r"key under _runs/wordpress_api/",
    ),
}


@pytest.mark.parametrize(("loads", "message"), LOADS_ERRORS.values(), ids=LOADS_ERRORS)
def test_bad_loads_fail_the_job_naming_the_entry(job: ModuleType, loads: str, message: str) -> None:
    with pytest.raises(job.JobError, match=message):
        job.parse_arguments([*REQUIRED, "--loads", loads])


def test_loads_absent_or_empty_mean_initial_loads_and_entries_are_kept(job: ModuleType) -> None:
    assert (
        job.parse_arguments(REQUIRED).loads == job.parse_arguments([*REQUIRED, "--loads", "[]"]).loads == ()
    )
    entry_ = update_entry("posts", "_runs/wordpress_api/r-1/posts/increment.parquet")
    [load] = job.parse_arguments([*REQUIRED, "--loads", json.dumps([entry_])]).loads
    assert (load.dataset, load.mode, load.increment_key, load.published_ids_key) == (
        "posts",
        "Update",
        "_runs/wordpress_api/r-1/posts/increment.parquet",
        None,
    )
    assert load.echo("no live silver table") == {
        **{key: entry_[key] for key in job.ECHOED_LOAD_FIELDS},
        "fallback": "no live silver table",
    }
