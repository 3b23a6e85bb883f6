"""The columns bronze knows for WordPress's core collections, for an endpoint that has no records.

An empty endpoint (a new blog without pages, a site without tags) answers ``[]``: there is no
record to learn columns from, so the converter writes only the lineage columns. For the
collections below, bronze then writes the columns WordPress's REST API returns for them (the
``view`` context an unauthenticated client gets, WordPress 6.x), flattened as bronze flattens
records (``title.rendered`` -> ``title_rendered``; lists and objects such as ``meta``,
``categories``, ``class_list`` as JSON text), so the silver job types an empty table like a full
one and Athena sees the same columns. ``_links`` is left out (silver drops it) and so are fields
that plugins add. Any other endpoint keeps the lineage columns alone.

This module is the one place that knows these columns: the silver Glue job (one uploaded script)
reads them from the bronze Parquet file, never from here.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

# Arrow type and Athena type of each kind of column bronze writes.
_TYPES = {
    "int": (pa.int64(), "bigint"),
    "bool": (pa.bool_(), "boolean"),
    "text": (pa.string(), "string"),
    "json": (pa.string(), "string"),  # a list or an object, as JSON text
}

_POST_CONTENT = (
    ("id", "int"),
    ("date", "text"),
    ("date_gmt", "text"),
    ("guid_rendered", "text"),
    ("modified", "text"),
    ("modified_gmt", "text"),
    ("slug", "text"),
    ("status", "text"),
    ("type", "text"),
    ("link", "text"),
    ("title_rendered", "text"),
    ("content_rendered", "text"),
    ("content_protected", "bool"),
    ("excerpt_rendered", "text"),
    ("excerpt_protected", "bool"),
    ("author", "int"),
    ("featured_media", "int"),
)
_TERM = (
    ("id", "int"),
    ("count", "int"),
    ("description", "text"),
    ("link", "text"),
    ("name", "text"),
    ("slug", "text"),
    ("taxonomy", "text"),
)

# Endpoint (table) name -> its columns in the order WordPress sends the fields.
KNOWN_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "posts": (
        *_POST_CONTENT,
        ("comment_status", "text"),
        ("ping_status", "text"),
        ("sticky", "bool"),
        ("template", "text"),
        ("format", "text"),
        ("meta", "json"),
        ("categories", "json"),
        ("tags", "json"),
        ("class_list", "json"),
    ),
    "pages": (
        *_POST_CONTENT,
        ("parent", "int"),
        ("menu_order", "int"),
        ("comment_status", "text"),
        ("ping_status", "text"),
        ("template", "text"),
        ("meta", "json"),
        ("class_list", "json"),
    ),
    "categories": (*_TERM, ("parent", "int"), ("meta", "json")),
    "tags": (*_TERM, ("meta", "json")),
    "users": (
        ("id", "int"),
        ("name", "text"),
        ("url", "text"),
        ("description", "text"),
        ("link", "text"),
        ("slug", "text"),
        ("avatar_urls_24", "text"),
        ("avatar_urls_48", "text"),
        ("avatar_urls_96", "text"),
        ("meta", "json"),
    ),
}


def known_fields(name: str) -> list[pa.Field] | None:
    """The Arrow fields bronze knows for endpoint ``name``, or None for an endpoint it does not know."""
    columns = KNOWN_COLUMNS.get(name)
    if columns is None:
        return None
    return [pa.field(column, _TYPES[kind][0]) for column, kind in columns]


def add_known_columns(parquet_path: str, name: str, columns: dict[str, str]) -> dict[str, str]:
    """An empty endpoint's Parquet file (``columns``: its column -> Athena type, as written) gets
    the endpoint's known columns in front of the ones it has; returns the new column -> Athena type.
    An endpoint bronze does not know keeps its file and columns."""
    fields = known_fields(name)
    if fields is None:
        return columns
    written = pq.read_schema(parquet_path)
    schema = pa.schema(
        [*(f for f in fields if f.name not in written.names), *written],
        metadata=written.metadata,
    )
    pq.write_table(schema.empty_table(), parquet_path, compression="snappy")
    kinds = dict(KNOWN_COLUMNS[name])
    known = {column: _TYPES[kind][1] for column, kind in kinds.items() if column not in columns}
    return {**known, **columns}
