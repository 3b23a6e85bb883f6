"""The saved queries of queries/ and `python -m local.query` on a small local lakehouse built here in
the layout `make run-local` writes (bronze and silver as today; gold in the layout of the issue 20
contract: `gold/wordpress_api/<table>/`, posts_enriched partitioned by year/month): every saved
query is Athena (Trino) SQL, translates to DuckDB and answers as a reader of the data expects; the
tables are registered under their Glue names; errors exit non-zero with the engine's message."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
import sqlglot.errors

from local import query

REPO_ROOT = Path(__file__).resolve().parents[2]
SAVED = ("last_run_audit", "most_active_authors", "most_used_categories", "most_used_tags")
SAVED += ("newest_posts", "posts_per_month")

AUTHORS = {1: "Ada", 2: "Grace"}
CATEGORIES = {3: "News", 7: "Tips"}
TAGS = {11: "python", 12: "sql"}
# id, slug, date (UTC), author, categories, tags, words
POSTS = [
    (101, "first", datetime(2026, 1, 5, 9, 0), 1, [3], [11, 12], 400),
    (102, "second", datetime(2026, 1, 20, 14, 30), 2, [3, 7], [12], 150),
    (103, "third", datetime(2026, 2, 3, 8, 15), 1, [7], [11, 12], 1000),
    (104, "fourth", datetime(2026, 3, 10, 17, 45), 1, [3], [], 250),
]


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def write_posts_enriched(root: Path) -> None:
    for post_id, slug, date, author, categories, tags, words in POSTS:
        row = {
            "id": post_id,
            "slug": slug,
            "title": slug.title(),
            "link": f"https://example.com/{slug}/",
            "date_utc": date,
            "date_local": date,
            "modified_utc": date,
            "author_id": author,
            "author_name": AUTHORS[author],
            "category_names": [CATEGORIES[term] for term in categories],
            "tag_names": [TAGS[term] for term in tags],
            "word_count": words,
            "reading_minutes": -(-words // 200),
        }
        folder = root / f"year={date.year}" / f"month={date.month}"
        write(folder / f"part-{post_id}.parquet", [row])


def posts_by_month() -> dict[tuple[int, int], list[tuple]]:
    grouped: dict[tuple[int, int], list[tuple]] = {}
    for post in POSTS:
        grouped.setdefault((post[2].year, post[2].month), []).append(post)
    return grouped


def write_gold(gold: Path) -> None:
    write_posts_enriched(gold / "posts_enriched")
    activity, usage = [], []
    for (year, month), posts in sorted(posts_by_month().items()):
        for author in sorted({post[3] for post in posts}):
            own = [post for post in posts if post[3] == author]
            activity.append(
                {
                    "year": year,
                    "month": month,
                    "author_id": author,
                    "author_name": AUTHORS[author],
                    "posts": len(own),
                    "words": sum(post[6] for post in own),
                    "first_post_utc": min(post[2] for post in own),
                    "last_post_utc": max(post[2] for post in own),
                }
            )
        for taxonomy, index, names in (("category", 4, CATEGORIES), ("tag", 5, TAGS)):
            for term, name in names.items():
                count = sum(1 for post in posts if term in post[index])
                if count:
                    usage.append(
                        {
                            "taxonomy": taxonomy,
                            "term_id": term,
                            "term_name": name,
                            "year": year,
                            "month": month,
                            "posts": count,
                        }
                    )
    write(gold / "publishing_activity" / "part-0.parquet", activity)
    write(gold / "taxonomy_usage" / "part-0.parquet", usage)


AUDIT_ITEMS = [
    {"dataset": "posts", "run_id": "20261206T070000Z-daily", "state": "SILVER", "raw_records": 3,
     "bronze_rows": 3, "silver_rows": 3, "updated_at": "2026-12-06T07:03:00Z"},
    {"dataset": "posts", "run_id": "20261207T070000Z-daily", "state": "SILVER", "raw_records": 4,
     "bronze_rows": 4, "silver_rows": 4, "updated_at": "2026-12-07T07:03:00Z", "silver_partitions": 3},
    {"dataset": "users", "run_id": "20261207T070000Z-daily", "state": "QUARANTINED", "raw_records": 2,
     "bronze_rows": 2, "reason": "author_ids_resolve (1)", "updated_at": "2026-12-07T07:03:00Z"},
    {"dataset": "posts_enriched", "run_id": "20261207T070000Z-daily", "state": "GOLD", "layer": "gold",
     "gold_rows": 4, "reason": "", "updated_at": "2026-12-07T07:04:00Z"},
    {"dataset": "newsletter_signups", "run_id": "file#etag0", "state": "SILVER", "source": "landing",
     "file_name": "signups-11.csv", "rows": 6, "updated_at": "2026-12-06T07:12:00Z"},
    {"dataset": "newsletter_signups", "run_id": "file#etag1", "state": "SILVER", "source": "landing",
     "file_name": "signups-12.csv", "rows": 3, "updated_at": "2026-12-07T07:12:00Z"},
]  # fmt: skip


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """local-output/ as make run-local leaves it, with gold and audit.json."""
    root = tmp_path_factory.mktemp("local-output")
    for name, rows in (("posts", [{"id": 101}, {"id": 102}]), ("users", [{"id": 1, "name": "Ada"}])):
        write(root / "bronze" / "wordpress_api" / name / f"{name}.parquet", rows)
    write(root / "silver" / "wordpress_api" / "posts" / "year=2026" / "month=1" / "a.parquet", [{"id": 101}])
    write(root / "silver" / "wordpress_api" / "posts" / "year=2026" / "month=2" / "b.parquet", [{"id": 103}])
    write(root / "silver" / "wordpress_api" / "users" / "part-0.parquet", [{"id": 1, "name": "Ada"}])
    write(root / "silver" / "newsletter_signups" / "part-0.parquet", [{"email": "a@example.com"}])
    write_gold(root / "gold" / "wordpress_api")
    (root / "audit.json").write_text(json.dumps(AUDIT_ITEMS, indent=2), encoding="utf-8")
    (root / "raw" / "wordpress_api" / "posts" / "run").mkdir(parents=True)  # JSON only: not a table
    return root


def run_saved(lakehouse: Path, name: str) -> list[tuple]:
    connection, _ = query.open_lakehouse(lakehouse)
    saved = query.read_saved_query(name)
    result = query.run_sql(connection, saved.sql, saved.database)
    assert result is not None
    return result.rows


def cli(*arguments: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = query.main(list(arguments), out=out, err=err, source=io.StringIO(stdin))
    return status, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- the saved queries


def test_the_saved_queries_are_the_six_of_the_issue() -> None:
    assert query.saved_query_names() == sorted(SAVED)


@pytest.mark.parametrize("name", SAVED)
def test_each_saved_query_is_one_athena_statement_that_says_what_it_answers(name: str) -> None:
    text = (REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    first_line = text.splitlines()[0]
    assert first_line.startswith("-- ") and len(first_line) > 20, "first line: -- <what it answers>"
    statements = sqlglot.parse(text, read="trino", error_level=sqlglot.errors.ErrorLevel.RAISE)
    assert len([statement for statement in statements if statement is not None]) == 1
    assert ";" not in text, "Athena runs one statement per named query"
    # Unqualified names: the named query's database (prefixed in AWS) resolves them.
    tables = {table.sql() for table in statements[0].find_all(sqlglot.exp.Table)}
    assert all("." not in table for table in tables), tables
    assert len(query.translate(text)) == 1


# Trino's reserved keywords (trino.io/docs/current/language/reserved.html): an unquoted identifier
# among them fails in Athena, while sqlglot parses it (and DuckDB runs it) without a word.
TRINO_RESERVED_TEXT = """
    ALTER AND AS AUTO BETWEEN BY CASE CAST CONSTRAINT CREATE CROSS CUBE CURRENT_CATALOG CURRENT_DATE
    CURRENT_PATH CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEALLOCATE
    DELETE DESCRIBE DISTINCT DROP ELSE END ESCAPE EXCEPT EXECUTE EXISTS EXTRACT FALSE FOR FROM FULL
    GROUP GROUPING HAVING IN INNER INSERT INTERSECT INTO IS JOIN JSON_ARRAY JSON_EXISTS JSON_OBJECT
    JSON_QUERY JSON_TABLE JSON_VALUE LEFT LIKE LISTAGG LOCALTIME LOCALTIMESTAMP NATURAL NORMALIZE NOT
    NULL ON OR ORDER OUTER PREPARE RECURSIVE RIGHT ROLLUP SELECT SKIP TABLE THEN TRIM TRUE UESCAPE
    UNION UNNEST USING VALUES WHEN WHERE WITH"""
TRINO_RESERVED = set(TRINO_RESERVED_TEXT.split())


def unquoted_reserved_words(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="trino")
    names = {node.name for node in tree.find_all(sqlglot.exp.Identifier) if not node.quoted}
    return {name for name in names if name.upper() in TRINO_RESERVED}


@pytest.mark.parametrize("name", SAVED)
def test_no_saved_query_uses_a_trino_reserved_word_as_a_name(name: str) -> None:
    assert (
        unquoted_reserved_words((REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")) == set()
    )


def test_a_planted_reserved_word_as_a_name_is_found() -> None:
    assert unquoted_reserved_words("SELECT dataset AS skip FROM audit") == {"skip"}


def test_a_planted_trino_only_mistake_fails_the_parse_check() -> None:
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse("SELECT year, count(* FROM posts_enriched", read="trino")


def test_posts_per_month(lakehouse: Path) -> None:
    assert run_saved(lakehouse, "posts_per_month") == [
        (2026, 1, 2, 550),
        (2026, 2, 1, 1000),
        (2026, 3, 1, 250),
    ]


def test_most_active_authors(lakehouse: Path) -> None:
    assert run_saved(lakehouse, "most_active_authors") == [
        (1, "Ada", 3, 1650, datetime(2026, 1, 5, 9, 0), datetime(2026, 3, 10, 17, 45)),
        (2, "Grace", 1, 150, datetime(2026, 1, 20, 14, 30), datetime(2026, 1, 20, 14, 30)),
    ]


def test_most_used_categories_and_tags(lakehouse: Path) -> None:
    assert run_saved(lakehouse, "most_used_categories") == [(3, "News", 3), (7, "Tips", 2)]
    assert run_saved(lakehouse, "most_used_tags") == [(12, "sql", 3), (11, "python", 2)]


def test_newest_posts_newest_first_with_names_joined_in_id_order(lakehouse: Path) -> None:
    rows = run_saved(lakehouse, "newest_posts")
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in rows] == [
        ("Fourth", "Ada", "News", "", 2),
        ("Third", "Ada", "Tips", "python, sql", 5),
        ("Second", "Grace", "News, Tips", "sql", 1),
        ("First", "Ada", "News", "python, sql", 2),
    ]
    assert rows[0][0] == datetime(2026, 3, 10, 17, 45) and rows[0][6] == "https://example.com/fourth/"


def test_last_run_audit_shows_each_datasets_latest_run(lakehouse: Path) -> None:
    assert run_saved(lakehouse, "last_run_audit") == [
        ("newsletter_signups", "SILVER", "file#etag1", "2026-12-07T07:12:00Z", None, None, None, None, None),
        ("posts", "SILVER", "20261207T070000Z-daily", "2026-12-07T07:03:00Z", 4, 4, 4, None, None),
        ("posts_enriched", "GOLD", "20261207T070000Z-daily", "2026-12-07T07:04:00Z", None, None, None, 4, ""),
        (
            "users",
            "QUARANTINED",
            "20261207T070000Z-daily",
            "2026-12-07T07:03:00Z",
            2,
            2,
            None,
            None,
            "author_ids_resolve (1)",
        ),
    ]


# --------------------------------------------------------------------------- registration


def test_every_table_is_registered_under_its_glue_database_and_name(lakehouse: Path) -> None:
    _, registered = query.open_lakehouse(lakehouse)
    assert registered == [
        "data_lakehouse_bronze.posts",
        "data_lakehouse_bronze.users",
        "data_lakehouse_gold.audit",
        "data_lakehouse_gold.posts_enriched",
        "data_lakehouse_gold.publishing_activity",
        "data_lakehouse_gold.taxonomy_usage",
        "data_lakehouse_silver.newsletter_signups",
        "data_lakehouse_silver.posts",
        "data_lakehouse_silver.users",
    ]


def test_partition_folders_are_columns_and_names_qualify_as_in_athena(lakehouse: Path) -> None:
    status, out, err = cli(
        "--output",
        str(lakehouse),
        "SELECT year, month, count(*) AS n FROM data_lakehouse_silver.posts GROUP BY 1, 2 ORDER BY 2",
    )
    assert status == 0, err
    assert out.splitlines()[2:] == ["2026      1  1", "2026      2  1", "(2 rows)"]
    connection, _ = query.open_lakehouse(lakehouse)
    result = query.run_sql(connection, "SELECT count(*) FROM posts_enriched")  # the gold database
    assert result is not None and result.rows == [(4,)]
    result = query.run_sql(connection, "SELECT silver_partitions, source, file_name FROM audit ORDER BY 1")
    assert result is not None and result.rows[0] == (3, None, None)


def test_an_empty_audit_file_still_gives_the_audit_columns(tmp_path: Path) -> None:
    (tmp_path / "audit.json").write_text("[]", encoding="utf-8")
    connection, registered = query.open_lakehouse(tmp_path)
    assert registered == ["data_lakehouse_gold.audit"]
    result = query.run_sql(connection, query.read_saved_query("last_run_audit").sql)
    assert result is not None and result.rows == []
    assert result.columns == [
        "dataset",
        "state",
        "run_id",
        "updated_at",
        "raw_records",
        "bronze_rows",
        "silver_rows",
        "gold_rows",
        "reason",
    ]


def test_audit_json_replaces_the_gold_jobs_copy_of_the_audit_trail(tmp_path: Path) -> None:
    """gold/wordpress_api/audit/ is the gold job's copy (what Athena reads); audit.json, the items at
    the end of the run, is newer and is the table."""
    write(
        tmp_path / "gold" / "wordpress_api" / "audit" / "part-0.parquet", [{"dataset": "old", "state": "X"}]
    )
    (tmp_path / "audit.json").write_text(json.dumps(AUDIT_ITEMS[:1]), encoding="utf-8")
    connection, registered = query.open_lakehouse(tmp_path)
    assert registered == ["data_lakehouse_gold.audit"]
    result = query.run_sql(connection, "SELECT dataset, state FROM audit")
    assert result is not None and result.rows == [("posts", "SILVER")]
    (tmp_path / "audit.json").unlink()
    connection, registered = query.open_lakehouse(tmp_path)
    result = query.run_sql(connection, "SELECT dataset, state FROM audit")
    assert result is not None and result.rows == [("old", "X")], "without audit.json, the gold copy"


def test_utc_timestamps_show_in_utc_whatever_the_local_time_zone(tmp_path: Path) -> None:
    instant = pa.array([datetime(2026, 1, 5, 9, 0, tzinfo=UTC)], type=pa.timestamp("us", tz="UTC"))
    folder = tmp_path / "gold" / "wordpress_api" / "instants"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"at": instant}), folder / "part-0.parquet")
    result = subprocess.run(
        [sys.executable, "-m", "local.query", "--output", str(tmp_path), "SELECT at FROM instants"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO_ROOT,
        env={**os.environ, "TZ": "America/New_York"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2] == "2026-01-05 09:00:00+00:00", result.stdout


def test_a_bad_audit_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "audit.json").write_text('[{"dataset": "posts", "raw_records": "many"}]', encoding="utf-8")
    status, _, err = cli("--output", str(tmp_path), "SELECT 1")
    assert status == 1 and "could not be opened" in err and "'raw_records'" in err, err
    (tmp_path / "audit.json").write_text('{"dataset": "posts"}', encoding="utf-8")
    status, _, err = cli("--output", str(tmp_path), "SELECT 1")
    assert status == 1 and "audit.json: expected a JSON array of audit items" in err, err


# --------------------------------------------------------------------------- the command


def test_a_saved_query_prints_a_readable_table(lakehouse: Path) -> None:
    status, out, err = cli("--output", str(lakehouse), "--saved", "posts_per_month")
    assert status == 0, err
    assert out.splitlines() == [
        "-- posts_per_month: How many posts were published each month, and how many words they held",
        "year  month  posts  words",
        "----  -----  -----  -----",
        "2026      1      2    550",
        "2026      2      1   1000",
        "2026      3      1    250",
        "(3 rows)",
    ]


def test_saved_answer_is_what_make_query_prints(lakehouse: Path) -> None:
    status, out, _ = cli("--output", str(lakehouse), "--saved", "most_used_categories")
    assert status == 0
    assert query.saved_answer(lakehouse, "most_used_categories") + "\n" == out
    with pytest.raises(query.QueryError, match="posts_enriched"):
        query.saved_answer(lakehouse.parent, "posts_per_month")  # no gold there


def test_an_unknown_table_exits_non_zero_with_duckdbs_message(lakehouse: Path) -> None:
    status, out, err = cli("--output", str(lakehouse), "SELECT * FROM data_lakehouse_gold.no_such_table")
    assert status == 1 and out == ""
    assert "Catalog Error" in err and "no_such_table does not exist" in err, err
    assert "data_lakehouse_gold.posts_enriched, data_lakehouse_gold.publishing_activity" in err
    status, _, err = cli("--output", str(lakehouse / "nowhere"), "--saved", "posts_per_month")
    assert status == 1 and "No local lakehouse at" in err and "run `make run-local` first" in err, err


def test_bad_sql_exits_non_zero_with_the_engines_message(lakehouse: Path) -> None:
    status, _, err = cli("--output", str(lakehouse), "SELECT count(* FROM posts_enriched")
    assert status == 1 and err.startswith("Error: "), err
    assert "Athena SQL not understood: Expecting )" in err and "\x1b" not in err, err
    status, _, err = cli("--output", str(lakehouse), "SELECT 1 / 'x'")
    assert status == 1 and "Error" in err, err


def test_an_unknown_saved_query_lists_the_known_ones(lakehouse: Path) -> None:
    status, out, err = cli("--output", str(lakehouse), "--saved", "posts_per_year")
    assert status == 2 and out == ""
    assert "no saved query named 'posts_per_year'" in err
    assert all(name in err for name in SAVED), err


def test_list_names_each_saved_query_with_what_it_answers() -> None:
    status, out, _ = cli("--list")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == sorted(SAVED)
    assert "How many posts were published each month" in out


def test_the_prompt_runs_statements_until_quit_and_survives_an_error(lakehouse: Path) -> None:
    session = "SELECT count(*) AS posts\n  FROM posts_enriched;\nSELECT * FROM nowhere;\n"
    session += ".tables\n.quit\nSELECT 2;\n"
    status, out, _ = cli("--output", str(lakehouse), stdin=session)
    assert status == 0
    assert "posts\n-----\n    4\n(1 row)" in out
    assert "Error: Catalog Error" in out and "nowhere" in out
    assert "data_lakehouse_gold.posts_enriched" in out
    assert "(1 row)" in out and out.count("(1 row)") == 1, "nothing runs after .quit"


def test_make_query_runs_a_saved_query_and_sql_with_quotes(lakehouse: Path, tmp_path: Path) -> None:
    # A venv of this Python whose stamp is newer than the requirements, and -o: make installs nothing
    # (never into the suite's venv); PY (this interpreter, with duckdb and sqlglot) runs the command.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    version = ".".join(map(str, sys.version_info[:3]))
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n", encoding="utf-8")
    stamp = venv / ".installed"
    stamp.touch()
    newer = (REPO_ROOT / "requirements-test.txt").stat().st_mtime + 60
    os.utime(stamp, (newer, newer))

    def make(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(REPO_ROOT),
                "-o",
                f"{venv}/.installed",
                "query",
                f"VENV={venv}",
                f"PY={sys.executable}",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    output = f"QUERY_ARGS=--output {lakehouse}"
    result = make("Q=most_used_tags", output)
    assert result.returncode == 0, result.stderr
    assert "pip install" not in result.stdout
    assert result.stdout.splitlines()[-3:] == [
        "    12  sql         3",
        "    11  python      2",
        "(2 rows)",
    ], result.stdout
    result = make("SQL=SELECT 'it''s' AS \"a b\"", output)
    assert result.returncode == 0, result.stderr
    assert "it's" in result.stdout
    assert make("Q=nope", output).returncode != 0
