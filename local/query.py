"""Ask the local lakehouse a question: the tables `make run-local` wrote to local-output/ in DuckDB,
each under its Glue database and table name, queried in Athena's (Trino) SQL.

    .venv/bin/python -m local.query "SELECT count(*) FROM data_lakehouse_silver.posts"
    .venv/bin/python -m local.query --saved posts_per_month      # a query of queries/ (make query Q=...)
    .venv/bin/python -m local.query --list                       # the saved queries
    .venv/bin/python -m local.query                              # a prompt; statements end with ;

Registered (views over the Parquet files, nothing copied):
- ``data_lakehouse_bronze.<name>``: ``bronze/wordpress_api/<name>/``
- ``data_lakehouse_silver.<name>``: ``silver/wordpress_api/<name>/`` and a landed dataset's
  ``silver/<dataset>/`` (``year=/month=`` partition folders become columns, as in Athena)
- ``data_lakehouse_gold.<table>``: ``gold/wordpress_api/<table>/``
- ``data_lakehouse_gold.audit``: the run's audit items of ``audit.json`` (every item at the end of
  the run; it replaces the gold job's copy ``gold/wordpress_api/audit/``, which is what Athena reads).

The SQL is translated by sqlglot (read="trino", write="duckdb"), so the saved queries exist once, in
the dialect Athena runs. Unqualified table names resolve in the gold database; a saved query runs in
the gold database (or the one its ``-- database: <name>`` line names), as its Athena named query
does. Exit status 0 on success, 1 with the engine's
message on an error, 2 for bad arguments (an unknown saved query lists the known ones).
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import duckdb
import pyarrow as pa
import sqlglot
import sqlglot.errors

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "local-output"
QUERIES_DIR = REPO_ROOT / "queries"
DATA_SOURCE = "wordpress_api"
# Local folder of local-output/ -> Glue database (unprefixed, as `make run-local` names them).
DATABASES = {
    "bronze": "data_lakehouse_bronze",
    "silver": "data_lakehouse_silver",
    "gold": "data_lakehouse_gold",
}
GOLD_DATABASE = DATABASES["gold"]
AUDIT_TABLE = "audit"
AUDIT_FILE = "audit.json"
# The audit attributes every saved query may name, typed as stored; items without one get NULL. The
# same columns as the gold table audit the gold job publishes in AWS (its AUDIT_COLUMNS).
AUDIT_COLUMNS: dict[str, pa.DataType] = {
    "dataset": pa.string(),
    "run_id": pa.string(),
    "state": pa.string(),
    "layer": pa.string(),
    "source": pa.string(),
    "raw_records": pa.int64(),
    "bronze_rows": pa.int64(),
    "silver_rows": pa.int64(),
    "gold_rows": pa.int64(),
    "reason": pa.string(),
    "updated_at": pa.string(),
    "execution_arn": pa.string(),
}
DATABASE_LINE = re.compile(r"^--\s*database:\s*(\S+)\s*$", re.IGNORECASE)
PROMPT = "athena> "
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

log = logging.getLogger("local.query")


class QueryError(Exception):
    """A statement the translator or the engine refused; the message is theirs."""


class UnknownSavedQuery(Exception):
    """A --saved name with no queries/<name>.sql."""


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    folder: Path

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass(frozen=True)
class SavedQuery:
    name: str
    sql: str
    database: str
    description: str


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]


# --------------------------------------------------------------------------- saved queries


def saved_query_names(directory: Path = QUERIES_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.sql"))


def read_saved_query(name: str, directory: Path = QUERIES_DIR) -> SavedQuery:
    """queries/<name>.sql: its SQL, the database it runs in (a `-- database: <name>` line among its
    leading comments, else the gold database) and its description (the first comment line)."""
    path = directory / f"{name}.sql"
    if "/" in name or not path.is_file():
        known = ", ".join(saved_query_names(directory)) or "none"
        raise UnknownSavedQuery(f"no saved query named {name!r} in {directory}; the saved queries: {known}")
    sql = path.read_text(encoding="utf-8")
    database, description = GOLD_DATABASE, ""
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        match = DATABASE_LINE.match(line)
        if match:
            database = match.group(1)
        elif not description:
            description = line.removeprefix("--").strip()
    return SavedQuery(name=name, sql=sql, database=database, description=description)


# --------------------------------------------------------------------------- the local lakehouse


def _has_parquet(folder: Path) -> bool:
    return any(folder.rglob("*.parquet"))


def find_tables(output_dir: Path) -> list[Table]:
    """Every table of the local lakehouse: `<layer>/wordpress_api/<name>/` and a landed dataset's
    `<layer>/<dataset>/`, for each layer folder that holds Parquet files."""
    tables: list[Table] = []
    for layer, database in DATABASES.items():
        root = output_dir / layer
        if not root.is_dir():
            continue
        for child in sorted(path for path in root.iterdir() if path.is_dir()):
            is_source = child.name == DATA_SOURCE
            folders = sorted(path for path in child.iterdir() if path.is_dir()) if is_source else [child]
            tables += [Table(database, folder.name, folder) for folder in folders if _has_parquet(folder)]
    seen: set[str] = set()
    unique = []
    for table in tables:
        if table.qualified in seen:
            log.warning("table %s found twice; %s is not registered", table.qualified, table.folder)
            continue
        seen.add(table.qualified)
        unique.append(table)
    return unique


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _audit_column(name: str, values: list[Any], kind: pa.DataType | None) -> pa.Array:
    if kind is not None:
        try:
            return pa.array(values, type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as error:
            raise ValueError(f"audit attribute {name!r} is not {kind} in every item: {error}") from error
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return pa.array(values, type=pa.int64())
    if present and all(isinstance(value, int | float) and not isinstance(value, bool) for value in present):
        return pa.array(values, type=pa.float64())
    return pa.array(
        [value if value is None or isinstance(value, str) else json.dumps(value) for value in values],
        type=pa.string(),
    )


def audit_table(items: list[dict[str, Any]]) -> pa.Table:
    """The audit items as a table: AUDIT_COLUMNS first (typed, NULL where an item lacks one), then
    every other attribute any item has (numbers, booleans, else text)."""
    names = list(AUDIT_COLUMNS) + sorted({key for item in items for key in item} - set(AUDIT_COLUMNS))
    return pa.table(
        {
            name: _audit_column(name, [item.get(name) for item in items], AUDIT_COLUMNS.get(name))
            for name in names
        }
    )


def read_audit_items(path: Path) -> list[dict[str, Any]]:
    items = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{path}: expected a JSON array of audit items (objects)")
    return items


def open_lakehouse(output_dir: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """An in-memory DuckDB with a schema per Glue database and a view per table found under
    output_dir (and `data_lakehouse_gold.audit` from audit.json); returns it and the names
    registered (`<database>.<table>`)."""
    connection = duckdb.connect(":memory:")
    # Timestamps stored as UTC instants show in UTC, as Athena shows them, whatever the laptop's zone.
    connection.execute("SET TimeZone = 'UTC'")
    for database in DATABASES.values():
        connection.execute(f"CREATE SCHEMA {_identifier(database)}")
    registered = []
    for table in find_tables(output_dir):
        files = _sql_string(str(table.folder / "**" / "*.parquet"))
        connection.execute(
            f"CREATE VIEW {_identifier(table.database)}.{_identifier(table.name)} AS "
            f"SELECT * FROM read_parquet({files}, hive_partitioning = true, union_by_name = true)"
        )
        registered.append(table.qualified)
    audit_file = output_dir / AUDIT_FILE
    if audit_file.is_file():
        # The audit table's items at the end of the run win over the gold job's copy (gold/.../audit/,
        # as of the gold job: without what was recorded after it, such as landed files).
        items = audit_table(read_audit_items(audit_file))
        audit = f"{_identifier(GOLD_DATABASE)}.{AUDIT_TABLE}"
        connection.execute(f"DROP VIEW IF EXISTS {audit}")
        connection.register("audit_items", items)
        connection.execute(f"CREATE TABLE {audit} AS SELECT * FROM audit_items")
        connection.unregister("audit_items")
        if f"{GOLD_DATABASE}.{AUDIT_TABLE}" not in registered:
            registered.append(f"{GOLD_DATABASE}.{AUDIT_TABLE}")
    # Unqualified names resolve in the gold database, as in the workgroup's saved queries.
    connection.execute(f"USE {_identifier(GOLD_DATABASE)}")
    log.info("registered %d tables from %s", len(registered), output_dir)
    return connection, sorted(registered)


# --------------------------------------------------------------------------- running SQL


def translate(sql: str) -> list[str]:
    """Athena (Trino) SQL -> DuckDB statements (sqlglot); a statement sqlglot cannot parse raises
    QueryError with its message."""
    try:
        statements = sqlglot.transpile(sql, read="trino", write="duckdb")
    except sqlglot.errors.SqlglotError as error:
        # sqlglot underlines the offending token with terminal escapes: plain text here.
        raise QueryError(f"Athena SQL not understood: {ANSI_ESCAPE.sub('', str(error))}") from error
    return [statement for statement in statements if statement.strip()]


def run_sql(connection: duckdb.DuckDBPyConnection, sql: str, database: str | None = None) -> Result | None:
    """Run every statement of sql (Athena SQL) in `database` (when given); returns the last
    statement's rows (None when there is no statement)."""
    statements = translate(sql)
    result = None
    try:
        if database is not None:
            connection.execute(f"USE {_identifier(database)}")
        for statement in statements:
            cursor = connection.execute(statement)
            if cursor.description is None:
                result = Result([], [])
            else:
                result = Result([column[0] for column in cursor.description], cursor.fetchall())
    except duckdb.Error as error:
        raise QueryError(str(error)) from error
    return result


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_cell(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_cell(item)}" for key, item in value.items()) + "}"
    return str(value).replace("\n", " ")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def format_result(result: Result) -> str:
    """A plain text table (numbers right-aligned) and the row count."""
    if not result.columns:
        return "OK"
    cells = [[_cell(value) for value in row] for row in result.rows]
    widths = [
        max([len(name), *(len(row[index]) for row in cells)]) for index, name in enumerate(result.columns)
    ]
    numeric = {
        index
        for index in range(len(result.columns))
        if result.rows and all(_numeric(row[index]) or row[index] is None for row in result.rows)
    }

    def render(line: Iterable[str]) -> str:
        return "  ".join(
            text.rjust(widths[index]) if index in numeric else text.ljust(widths[index])
            for index, text in enumerate(line)
        ).rstrip()

    lines = [render(result.columns), render("-" * width for width in widths)]
    lines += [render(row) for row in cells]
    lines.append(f"({len(result.rows)} row{'' if len(result.rows) == 1 else 's'})")
    return "\n".join(lines)


def saved_answer(output_dir: Path, name: str) -> str:
    """The printed answer of one saved query on the local lakehouse at output_dir (what `make query
    Q=<name>` prints), for `make run-local` to end with; QueryError or UnknownSavedQuery if it
    cannot be answered."""
    saved = read_saved_query(name)
    connection, _ = open_lakehouse(output_dir)
    try:
        result = run_sql(connection, saved.sql, saved.database)
    finally:
        connection.close()
    return f"-- {saved.name}: {saved.description}\n" + (format_result(result) if result else "OK")


# --------------------------------------------------------------------------- entry point


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.query",
        description="Query the local lakehouse (make run-local's output) in Athena SQL, through DuckDB.",
    )
    parser.add_argument("sql", nargs="?", help="an Athena (Trino) SQL statement; none: an interactive prompt")
    parser.add_argument("--saved", metavar="NAME", help="run queries/NAME.sql (make query Q=NAME)")
    parser.add_argument("--list", action="store_true", help="list the saved queries and what each answers")
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="the local lakehouse folder make run-local wrote (default local-output/)",
    )
    arguments = parser.parse_args(argv)
    if arguments.sql and arguments.saved:
        parser.error("give a SQL statement or --saved NAME, not both")
    return arguments


def tables_hint(output_dir: Path, tables: list[str]) -> str:
    """What an unknown table's error adds: the tables there are, or how to get some."""
    if not tables:
        return f"The local lakehouse at {output_dir} has no tables: run `make run-local` first."
    return f"Tables of the local lakehouse at {output_dir}: " + ", ".join(tables)


def list_saved(out: TextIO) -> None:
    for name in saved_query_names():
        print(f"{name:<24} {read_saved_query(name).description}", file=out)


def _read_line(source: TextIO, prompt: str | None) -> str | None:
    """The next line of input (None at its end); at a terminal, read with line editing and history."""
    if prompt is None:
        return source.readline() or None
    try:
        return input(prompt) + "\n"
    except EOFError:
        return None


def interactive(connection: duckdb.DuckDBPyConnection, tables: list[str], source: TextIO, out: TextIO) -> int:
    """Read statements (ending with ;) until `.quit` or the end of input; `.tables` lists the
    tables. An error is printed and the prompt goes on; Ctrl-C drops the statement being typed."""
    terminal = source is sys.stdin and source.isatty() and out is sys.stdout
    if terminal:
        import readline  # noqa: F401  (line editing and history for input())
    print("Athena SQL run by DuckDB; end a statement with ; (.tables lists the tables, .quit ends)", file=out)
    pending: list[str] = []
    while True:
        prompt = (PROMPT if not pending else "... ".rjust(len(PROMPT))) if terminal else None
        try:
            line = _read_line(source, prompt)
        except KeyboardInterrupt:
            print(file=out)
            pending = []
            continue
        if line is None:
            break
        command = line.strip()
        if not pending and command in (".quit", ".exit"):
            break
        if not pending and command == ".tables":
            print("\n".join(tables) or "no tables", file=out)
            continue
        if not command and not pending:
            continue
        pending.append(line)
        if not command.endswith(";"):
            continue
        sql, pending = "".join(pending), []
        try:
            result = run_sql(connection, sql)
        except QueryError as error:
            print(f"Error: {error}", file=out)
            continue
        except KeyboardInterrupt:
            connection.interrupt()
            print("Interrupted", file=out)
            continue
        if result is not None:
            print(format_result(result), file=out)
    return 0


def main(
    argv: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    source: TextIO | None = None,
) -> int:
    out, err, source = out or sys.stdout, err or sys.stderr, source or sys.stdin
    arguments = parse_args(argv)
    if arguments.list:
        list_saved(out)
        return 0
    saved = None
    if arguments.saved:
        try:
            saved = read_saved_query(arguments.saved)
        except UnknownSavedQuery as error:
            print(f"Error: {error}", file=err)
            return 2
    if not arguments.output.is_dir():
        print(f"No local lakehouse at {arguments.output}: run `make run-local` first", file=err)
    try:
        connection, tables = open_lakehouse(arguments.output)
    except (ValueError, duckdb.Error) as error:
        print(f"Error: the local lakehouse at {arguments.output} could not be opened: {error}", file=err)
        return 1
    if saved is None and arguments.sql is None:
        return interactive(connection, tables, source, out)
    try:
        if saved is not None:
            print(f"-- {saved.name}: {saved.description}", file=out)
            result = run_sql(connection, saved.sql, saved.database)
        else:
            result = run_sql(connection, arguments.sql)
    except QueryError as error:
        print(f"Error: {error}", file=err)
        if "Catalog Error" in str(error):
            print(tables_hint(arguments.output, tables), file=err)
        return 1
    if result is not None:
        print(format_result(result), file=out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
