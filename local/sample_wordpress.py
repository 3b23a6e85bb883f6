"""A small WordPress-REST-API-like HTTP server on 127.0.0.1, for tests, the local run and benchmarks.

It follows the real API's semantics closely enough to exercise a client:

- Collections ``posts``, ``categories``, ``tags``, ``users`` under ``/wp/v2/``, reachable at both
  ``/wp-json/wp/v2/posts`` and ``/?rest_route=/wp/v2/posts``.
- ``per_page`` 1..100 (default 10), otherwise 400 ``rest_invalid_param``; ``page`` past the last
  page answers 400 ``rest_post_invalid_page_number``; ``X-WP-Total``, ``X-WP-TotalPages`` and
  ``Link: <...>; rel="next"`` / ``rel="prev"`` headers.
- Custom endpoints (like the seed's ``statistics_pages``) answer one plain JSON document with
  no pagination headers.
- Incremental reads as a real WordPress answers them (modules/pipeline/wordpress-incremental-reads.md):
  ``modified_after`` / ``modified_before`` on ``posts`` and ``pages`` compare the local ``modified``
  field, exclusively, with a value read as site-local time unless it has ``Z`` or an offset (the
  sample site's timezone is UTC); other collections ignore them; a value that is not RFC 3339 is 400
  ``rest_invalid_param``. ``orderby`` ``date`` (default), ``modified`` or ``id`` with ``order``
  ``desc`` (default) or ``asc``; ``_fields=id,...`` keeps only those fields.
- Records shaped like real responses: nested ``title``/``content``/``excerpt``/``guid``,
  ``_links`` holding lists, ``meta`` that is ``[]`` on some posts and an object on others,
  HTML entities and unicode.

Fault injection (``server.faults``) makes a route misbehave: transient or persistent 500s,
an HTML error page, 429 with ``Retry-After``, or a lying ``X-WP-Total``. A per-request
``latency`` models a remote site. Data generation is seeded, so benchmarks can reuse it
(:func:`generate_posts`).

Usage::

    with SampleWordPress(posts=250) as site:
        site.url("posts")            # http://127.0.0.1:PORT/wp-json/wp/v2/posts
        site.url("posts", pretty=False)  # http://127.0.0.1:PORT/?rest_route=/wp/v2/posts
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

NAMESPACE = "/wp/v2"
DEFAULT_SEED = 20240101
# Generated posts are dated from FIRST_POST_DATE, 7 hours apart, and never after LAST_POST_DATE (a
# date in the past): a large site gets its posts closer together rather than dates in the future.
FIRST_POST_DATE = datetime(2020, 1, 1, 7, 0, 0)
LAST_POST_DATE = datetime(2025, 12, 31, 23, 0, 0)
POST_INTERVAL = timedelta(hours=7)
API_ROOT = "https://api.w.org/{rel}"
# Collections with WordPress's modified_after/modified_before filters (post types).
MODIFIED_FILTER_COLLECTIONS = frozenset({"posts", "pages"})
ORDERBY_FIELDS = {"date": "date", "modified": "modified", "id": "id"}
_REST_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::\d{2})?)?$")

_WORDS = (
    *[
        "lakehouse",
        "data",
        "pipeline",
        "bronze",
        "raw",
        "parquet",
        "athena",
        "glue",
        "lambda",
        "step",
        "functions",
        "schedule",
    ],
    *[
        "wordpress",
        "api",
        "record",
        "schema",
        "column",
        "partition",
        "query",
        "cost",
        "memory",
        "latency",
        "alert",
        "topic",
    ],
    *("caf\u00e9", "na\u00efve", "r\u00e9sum\u00e9", "\u00fcber", "stra\u00dfe", "\u65e5\u672c\u8a9e"),
    *("\u043f\u0440\u0438\u0432\u0435\u0442", "\u0645\u0631\u062d\u0628\u0627", "\U0001f988", "\U0001f680"),
)
_TITLE_DECOR = ("&#8211;", "&amp;", "&#8217;s", "&lt;3", "&quot;quoted&quot;", "&hellip;")


# --------------------------------------------------------------------------- data generation


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _links(base_url: str, route: str, item_id: int, extra: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    api = f"{base_url}/wp-json{NAMESPACE}"
    links: dict[str, Any] = {
        "self": [{"href": f"{api}/{route}/{item_id}", "targetHints": {"allow": ["GET"]}}],
        "collection": [{"href": f"{api}/{route}"}],
        "about": [{"href": f"{base_url}/wp-json/wp/v2/types/{route}"}],
    }
    links.update(extra)
    links["curies"] = [{"name": "wp", "href": API_ROOT, "templated": True}]
    return links


@dataclass(frozen=True)
class PostShape:
    """What a generated post refers to: the site's address, body size and how many terms and users."""

    base_url: str = "http://127.0.0.1"
    paragraphs: int = 3
    categories: int = 8
    tags: int = 20
    users: int = 4


def make_post(
    rng: random.Random, post_id: int, date: datetime, modified: datetime, shape: PostShape
) -> dict[str, Any]:
    """One ``/wp/v2/posts`` record; its text, terms and author come from ``rng``."""
    base_url, paragraphs, categories, tags, users = (
        shape.base_url,
        shape.paragraphs,
        shape.categories,
        shape.tags,
        shape.users,
    )
    slug = f"post-{post_id}-{rng.choice(_WORDS[:26])}"
    title = f"{_sentence(rng, 4).title()} {rng.choice(_TITLE_DECOR)} #{post_id}"
    body = "\n".join(f"<p>{_sentence(rng, 12)}</p>" for _ in range(paragraphs))
    link = f"{base_url}/{date:%Y/%m/%d}/{slug}/"
    post_categories = sorted(rng.sample(range(1, categories + 1), k=rng.randint(1, min(3, categories))))
    post_tags = sorted(rng.sample(range(1, tags + 1), k=rng.randint(0, min(4, tags))))
    # Real sites: meta is [] when no meta is registered, an object when a plugin registers some.
    meta: Any = [] if post_id % 3 else {"footnotes": "", "_jetpack_newsletter_access": ""}
    api = f"{base_url}/wp-json{NAMESPACE}"
    return {
        "id": post_id,
        "date": f"{date:%Y-%m-%dT%H:%M:%S}",
        "date_gmt": f"{date:%Y-%m-%dT%H:%M:%S}",
        "guid": {"rendered": f"{base_url}/?p={post_id}"},
        "modified": f"{modified:%Y-%m-%dT%H:%M:%S}",
        "modified_gmt": f"{modified:%Y-%m-%dT%H:%M:%S}",
        "slug": slug,
        "status": "publish",
        "type": "post",
        "link": link,
        "title": {"rendered": title},
        "content": {"rendered": body, "protected": False},
        "excerpt": {"rendered": f"<p>{_sentence(rng, 10)} [&hellip;]</p>\n", "protected": False},
        "author": rng.randint(1, users),
        "featured_media": rng.choice((0, 0, post_id + 10000)),
        "comment_status": rng.choice(("open", "closed")),
        "ping_status": "open",
        "sticky": post_id % 17 == 0,
        "template": "",
        "format": "standard",
        "meta": meta,
        "categories": post_categories,
        "tags": post_tags,
        "class_list": [f"post-{post_id}", "post", "type-post", "status-publish"],
        "_links": _links(
            base_url,
            "posts",
            post_id,
            {
                "author": [{"embeddable": True, "href": f"{api}/users/1"}],
                "replies": [
                    {"embeddable": True, "href": f"{base_url}/wp-json/wp/v2/comments?post={post_id}"}
                ],
                "version-history": [{"count": rng.randint(0, 5), "href": f"{api}/posts/{post_id}/revisions"}],
                "wp:attachment": [{"href": f"{api}/media?parent={post_id}"}],
                "wp:term": [
                    {
                        "taxonomy": "category",
                        "embeddable": True,
                        "href": f"{api}/categories?post={post_id}",
                    },
                    {
                        "taxonomy": "post_tag",
                        "embeddable": True,
                        "href": f"{api}/tags?post={post_id}",
                    },
                ],
            },
        ),
    }


def generate_posts(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    base_url: str = "http://127.0.0.1",
    paragraphs: int = 3,
    categories: int = 8,
    tags: int = 20,
    users: int = 4,
) -> list[dict[str, Any]]:
    """``count`` posts shaped like ``/wp/v2/posts`` records, newest first; same seed, same posts.
    Dated 7 hours apart from 2020 (closer together for a large ``count``), all in the past.

    ``paragraphs`` sets the size of ``content.rendered`` (about 90 bytes per paragraph of
    words plus markup), so benchmarks can reach a target volume with fewer records.
    """
    rng = random.Random(seed)
    interval = min(POST_INTERVAL, (LAST_POST_DATE - FIRST_POST_DATE) / max(count + 1, 1))
    jitter = max(1, min(60, int(interval.total_seconds() // 60)))  # minutes, within one interval
    posts = []
    for post_id in range(count, 0, -1):
        date = FIRST_POST_DATE + post_id * interval + timedelta(minutes=rng.randrange(jitter))
        days = rng.randrange(30)
        # Edited up to 30 days later, never after LAST_POST_DATE: near the end the delay shrinks in
        # proportion (seconds apart, like a real site's edits), instead of piling up at the cap.
        modified = date + min(timedelta(days=days), (LAST_POST_DATE - date) * days / 30)
        modified = modified.replace(microsecond=0)
        shape = PostShape(base_url, paragraphs, categories, tags, users)
        posts.append(make_post(rng, post_id, date, modified, shape))
    return posts


def generate_terms(
    count: int, taxonomy: str, *, seed: int = DEFAULT_SEED, base_url: str = "http://127.0.0.1"
) -> list[dict]:
    """``count`` categories (``taxonomy="category"``) or tags (``"post_tag"``)."""
    rng = random.Random(f"{seed}-{taxonomy}")
    route = "categories" if taxonomy == "category" else "tags"
    terms = []
    for term_id in range(1, count + 1):
        name = f"{_sentence(rng, 2).title()} {term_id}"
        term: dict[str, Any] = {
            "id": term_id,
            "count": rng.randint(0, 120),
            "description": rng.choice(("", f"About {name} &amp; more")),
            "link": f"{base_url}/{route[:-1]}/{term_id}/",
            "name": name,
            "slug": f"{route[:-1]}-{term_id}",
            "taxonomy": taxonomy,
        }
        if taxonomy == "category":
            term["parent"] = 0 if term_id <= 3 else rng.randint(1, 3)
        term["meta"] = []
        term["_links"] = _links(
            base_url,
            route,
            term_id,
            {"wp:post_type": [{"href": f"{base_url}/wp-json/wp/v2/posts?{route}={term_id}"}]},
        )
        terms.append(term)
    return terms


def generate_users(count: int, *, seed: int = DEFAULT_SEED, base_url: str = "http://127.0.0.1") -> list[dict]:
    """``count`` users as unauthenticated ``/wp/v2/users`` lists them (authors of published posts)."""
    rng = random.Random(f"{seed}-users")
    users = []
    for user_id in range(1, count + 1):
        name = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}"
        users.append(
            {
                "id": user_id,
                "name": name,
                "url": "",
                "description": _sentence(rng, 6),
                "link": f"{base_url}/author/user{user_id}/",
                "slug": f"user{user_id}",
                "avatar_urls": {
                    size: f"https://secure.gravatar.com/avatar/{user_id:032x}?s={size}"
                    for size in ("24", "48", "96")
                },
                "meta": [],
                "_links": _links(base_url, "users", user_id, {}),
            }
        )
    return users


def generate_statistics_pages(count: int = 12, *, seed: int = DEFAULT_SEED) -> list[dict]:
    """A custom, non-paginated endpoint's document (page view statistics, as in the seed)."""
    rng = random.Random(f"{seed}-statistics")
    return [
        {
            "page_id": page_id,
            "uri": f"/page-{page_id}/",
            "type": "page",
            "count": rng.randint(1, 5000),
            "date": f"2024-01-{page_id:02d}",
        }
        for page_id in range(1, count + 1)
    ]


# --------------------------------------------------------------------------- queries


class InvalidParameter(ValueError):
    """A query parameter WordPress would answer with 400 ``rest_invalid_param``; args: (name, reason)."""


def site_local_time(value: str, utc_offset: timedelta = timedelta(0)) -> datetime:
    """A ``modified_after``-style value as the site's local time (naive, whole seconds), as WordPress
    reads it: without a timezone it already is local time; with ``Z`` or an offset it is converted."""
    if not _REST_DATE.match(value):
        raise InvalidParameter("Invalid date.")
    parsed = datetime.fromisoformat(value.replace("t", "T").replace("z", "Z")).replace(microsecond=0)
    if parsed.tzinfo is None:
        return parsed
    return (parsed.astimezone(UTC) + utc_offset).replace(tzinfo=None)


def select_records(name: str, records: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """The records of collection ``name`` that ``query`` asks for, in its order (before paging)."""
    selected = records
    if name in MODIFIED_FILTER_COLLECTIONS:
        for parameter, keep in (("modified_after", datetime.__gt__), ("modified_before", datetime.__lt__)):
            if parameter in query:
                try:
                    bound = site_local_time(query[parameter])
                except InvalidParameter as error:
                    raise InvalidParameter(parameter, str(error)) from None
                selected = [r for r in selected if keep(datetime.fromisoformat(r["modified"]), bound)]
    orderby = query.get("orderby")
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidParameter("order", "order is not one of desc and asc.")
    if orderby is not None or "order" in query:
        field = ORDERBY_FIELDS.get(orderby or "date")
        if field is None or (field != "id" and not all(field in r for r in selected)):
            raise InvalidParameter("orderby", f"orderby is not one of {', '.join(ORDERBY_FIELDS)}.")
        # Ties keep id order (WordPress orders ties of orderby=modified arbitrarily, see the doc).
        selected = sorted(selected, key=lambda r: r["id"], reverse=order == "desc")
        selected = sorted(selected, key=lambda r: r[field], reverse=order == "desc")
    return selected


def only_fields(records: list[dict[str, Any]], fields: str | None) -> list[dict[str, Any]]:
    """``_fields=id,modified``: each record with only those top-level fields."""
    if not fields:
        return records
    names = [name.strip() for name in fields.split(",") if name.strip()]
    return [{name: record[name] for name in names if name in record} for record in records]


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """How one route misbehaves. ``times`` None means every request; else the next N requests."""

    kind: str  # "500" | "html" | "429" | "wrong_total" | "not_json"
    times: int | None = None
    retry_after: str = "0"
    total_delta: int = 7


@dataclass
class RequestLog:
    """One request the server answered (for assertions about retries and concurrency)."""

    route: str
    query: dict[str, str]
    status: int
    user_agent: str
    bytes: int = 0  # the response body's length (what a client downloads, headers aside)


# --------------------------------------------------------------------------- server


@dataclass
class SampleSite:
    """The data set served: collections by route name and custom (non-paginated) documents."""

    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    last_post_id: int = 0  # the highest post id ever given out: WordPress never reuses a deleted one


def build_site(
    *,
    posts: int = 25,
    categories: int = 8,
    tags: int = 20,
    users: int = 4,
    seed: int = DEFAULT_SEED,
    base_url: str = "http://127.0.0.1",
    paragraphs: int = 3,
    extra_collections: dict[str, list[dict[str, Any]]] | None = None,
    documents: dict[str, Any] | None = None,
) -> SampleSite:
    """The default data set: posts, categories, tags, users and a ``statistics_pages`` document."""
    collections = {
        "posts": generate_posts(
            posts,
            seed=seed,
            base_url=base_url,
            paragraphs=paragraphs,
            categories=max(categories, 1),
            tags=max(tags, 1),
            users=max(users, 1),
        ),
        "categories": generate_terms(categories, "category", seed=seed, base_url=base_url),
        "tags": generate_terms(tags, "post_tag", seed=seed, base_url=base_url),
        "users": generate_users(users, seed=seed, base_url=base_url),
    }
    collections.update(extra_collections or {})
    docs = {"statistics_pages": generate_statistics_pages(seed=seed)} if documents is None else documents
    return SampleSite(collections=collections, documents=docs, last_post_id=posts)


# --------------------------------------------------------------------------- changes between runs

CHANGE_KINDS = ("edit", "add", "delete")  # the i-th change of a generation is CHANGE_KINDS[i % 3]


@dataclass(frozen=True)
class SiteChanges:
    """What one generation of changes did to the posts (ids in ascending order)."""

    generation: int
    edited: list[int]
    added: list[int]
    deleted: list[int]  # gone from the site
    unpublished: list[int]  # set to draft: gone from the public API too

    def describe(self) -> str:
        def ids(values: list[int]) -> str:
            return ", ".join(map(str, values)) or "none"

        return (
            f"edited {len(self.edited)} ({ids(self.edited)}), added {len(self.added)} ({ids(self.added)}), "
            f"deleted {len(self.deleted)} ({ids(self.deleted)}), "
            f"unpublished {len(self.unpublished)} ({ids(self.unpublished)})"
        )


def change_counts(count: int, available: int) -> dict[str, int]:
    """How many edits, additions and removals ``count`` changes are (about a third each), with no
    more edits and removals than there are posts."""
    wanted = {kind: len(range(index, count, len(CHANGE_KINDS))) for index, kind in enumerate(CHANGE_KINDS)}
    wanted["edit"] = min(wanted["edit"], available)
    wanted["delete"] = min(wanted["delete"], available - wanted["edit"])
    return wanted


def _format_time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def apply_changes(
    site: SampleSite, count: int, generation: int, *, seed: int = DEFAULT_SEED, shape: PostShape | None = None
) -> SiteChanges:
    """Change ``count`` posts of ``site`` in place, the same way for the same site, count, generation
    and seed: edits (new title, modified later), new posts and removals (deleted or unpublished, in
    turn), about a third each. Every edited or added post is modified after the newest post so far,
    one minute apart in id order."""
    posts = site.collections["posts"]
    rng = random.Random(f"{seed}-changes-{generation}")
    counts = change_counts(count, len(posts))
    picked = rng.sample(sorted(post["id"] for post in posts), counts["edit"] + counts["delete"])
    edited, removed = sorted(picked[: counts["edit"]]), sorted(picked[counts["edit"] :])
    first_id = max([site.last_post_id, *(post["id"] for post in posts)]) + 1
    added = list(range(first_id, first_id + counts["add"]))
    newest = max((datetime.fromisoformat(post["modified"]) for post in posts), default=LAST_POST_DATE)
    times = [newest + timedelta(minutes=step) for step in range(1, len(edited) + len(added) + 1)]
    by_id = {post["id"]: post for post in posts}
    for post_id, moment in zip(edited, times[: len(edited)], strict=True):
        _edit_post(by_id[post_id], moment, generation)
    shape = shape or PostShape()
    new_posts = [
        make_post(rng, post_id, moment, moment, shape)
        for post_id, moment in zip(added, times[len(edited) :], strict=True)
    ]
    removed_ids = set(removed)
    site.collections["posts"] = [*reversed(new_posts), *(p for p in posts if p["id"] not in removed_ids)]
    site.last_post_id = max(site.last_post_id, first_id - 1 + len(added))
    return SiteChanges(generation, edited, added, removed[0::2], removed[1::2])


def _edit_post(post: dict[str, Any], moment: datetime, generation: int) -> None:
    post["title"] = {"rendered": f"{post['title']['rendered']} (edited, change {generation})"}
    post["modified"] = post["modified_gmt"] = _format_time(moment)


def build_changed_site(
    history: list[int], *, seed: int = DEFAULT_SEED, **site_options: Any
) -> tuple[SampleSite, list[SiteChanges]]:
    """The site of :func:`build_site` after each generation of changes in ``history`` (the number of
    changes of generation 1, 2, ...): the same history gives the same site."""
    site = build_site(seed=seed, **site_options)
    shape = PostShape(
        base_url=site_options.get("base_url", "http://127.0.0.1"),
        paragraphs=site_options.get("paragraphs", 3),
        categories=max(len(site.collections["categories"]), 1),
        tags=max(len(site.collections["tags"]), 1),
        users=max(len(site.collections["users"]), 1),
    )
    changes = [
        apply_changes(site, count, generation, seed=seed, shape=shape)
        for generation, count in enumerate(history, start=1)
    ]
    return site, changes


class SampleWordPress:
    """Context manager running the sample site on 127.0.0.1 at an ephemeral port."""

    def __init__(self, site: SampleSite | None = None, *, latency: float = 0.0, **site_options: Any) -> None:
        self.site = site if site is not None else build_site(**site_options)
        self.latency = latency
        self.faults: dict[str, Fault] = {}
        self.requests: list[RequestLog] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def __enter__(self) -> SampleWordPress:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("BoundHandler", (_Handler,), {"wp": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 64
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sample-wordpress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- addresses
    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, name: str, *, pretty: bool = True, namespace: str = NAMESPACE) -> str:
        """Endpoint URL of a collection or document, in the pretty or the ``rest_route`` form."""
        route = f"{namespace}/{name}"
        return f"{self.base_url}/wp-json{route}" if pretty else f"{self.base_url}/?rest_route={route}"

    # -- fault injection
    def fail(self, name: str, kind: str, *, times: int | None = None, **options: Any) -> None:
        """Make route ``name`` misbehave (see :class:`Fault`); ``times=None`` means persistently."""
        self.faults[name] = Fault(kind=kind, times=times, **options)

    def heal(self, name: str | None = None) -> None:
        if name is None:
            self.faults.clear()
        else:
            self.faults.pop(name, None)

    def _take_fault(self, name: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(name)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[name]
            return fault

    def _log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)

    def requests_for(self, name: str) -> list[RequestLog]:
        return [r for r in self.requests if r.route.rstrip("/").rsplit("/", 1)[-1] == name]


class _Handler(BaseHTTPRequestHandler):
    wp: SampleWordPress
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logs
        return

    # -- helpers
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        # Logged before the answer leaves: a client that has its answer finds its request in the log.
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is not None:
            route, query = pending
            self.wp._log(
                RequestLog(
                    route=route,
                    query=query,
                    status=status,
                    user_agent=self.headers.get("User-Agent", ""),
                    bytes=len(body),
                )
            )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=UTF-8", headers)

    def _error(self, status: int, code: str, message: str, **data: Any) -> None:
        self._send_json(status, {"code": code, "message": message, "data": {"status": status, **data}})

    # -- routing
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path.startswith("/wp-json/"):
            route = parts.path[len("/wp-json") :]
            pretty = True
        elif "rest_route" in query:
            route = query.pop("rest_route")
            pretty = False
        else:
            self._send(
                200, b"<!DOCTYPE html><html><body>Sample WordPress</body></html>", "text/html; charset=UTF-8"
            )
            return
        if self.wp.latency:
            time.sleep(self.wp.latency)
        route = route.rstrip("/")
        name = route.rsplit("/", 1)[-1]
        self._pending = (route, query)
        self._serve(route, name, query, pretty)

    def _serve(self, route: str, name: str, query: dict[str, str], pretty: bool) -> None:
        fault = self.wp._take_fault(name)
        if fault is not None and fault.kind != "wrong_total":
            self._serve_fault(fault)
            return
        site = self.wp.site
        if route.startswith(NAMESPACE + "/") and name in site.collections:
            self._serve_collection(route, site.collections[name], query, pretty, fault)
            return
        if name in site.documents:
            self._send_json(200, site.documents[name])
            return
        self._error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _serve_fault(self, fault: Fault) -> None:
        if fault.kind == "500":
            self._error(500, "internal_server_error", "There has been a critical error on this website.")
            return
        if fault.kind == "429":
            body = b'{"code":"too_many_requests","message":"Slow down."}'
            self._send(429, body, "application/json; charset=UTF-8", {"Retry-After": fault.retry_after})
            return
        if fault.kind == "html":
            body = (
                b"<!DOCTYPE html>\n<html><head><title>Site under maintenance</title></head>"
                b"<body><h1>Briefly unavailable for scheduled maintenance.</h1></body></html>"
            )
            self._send(200, body, "text/html; charset=UTF-8")
            return
        if fault.kind == "not_json":
            self._send(200, b'[{"id": 1, "title": ', "application/json; charset=UTF-8")
            return
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    def _serve_collection(
        self, route: str, records: list[dict], query: dict[str, str], pretty: bool, fault: Fault | None
    ) -> None:
        try:
            per_page = int(query.get("per_page", "10"))
            page = int(query.get("page", "1"))
        except ValueError:
            self._error(400, "rest_invalid_param", "Invalid parameter(s): per_page, page")
            return
        if not 1 <= per_page <= 100:
            self._error(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
            return
        if page < 1:
            self._error(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): page",
                params={"page": "page must be greater than or equal to 1"},
            )
            return
        try:
            records = select_records(route.rsplit("/", 1)[-1], records, query)
        except InvalidParameter as error:
            parameter, reason = error.args
            self._error(
                400,
                "rest_invalid_param",
                f"Invalid parameter(s): {parameter}",
                params={parameter: reason},
            )
            return
        total = len(records)
        total_pages = math.ceil(total / per_page)
        if page > max(total_pages, 1):
            self._error(
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
            return
        headers = {
            "X-WP-Total": str(total + (fault.total_delta if fault is not None else 0)),
            "X-WP-TotalPages": str(total_pages),
        }
        links = []
        if page > 1:
            links.append(f'<{self._page_url(route, query, page - 1, pretty)}>; rel="prev"')
        if page < total_pages:
            links.append(f'<{self._page_url(route, query, page + 1, pretty)}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        page_records = only_fields(records[(page - 1) * per_page : page * per_page], query.get("_fields"))
        self._send_json(200, page_records, headers)

    def _page_url(self, route: str, query: dict[str, str], page: int, pretty: bool) -> str:
        params = {**query, "page": str(page)}
        if pretty:
            return f"{self.wp.base_url}/wp-json{route}?{urlencode(params)}"
        return f"{self.wp.base_url}/?rest_route={quote(route, safe='')}&{urlencode(params)}"


def iter_json_array_chunks(records: list[dict[str, Any]]) -> Iterator[str]:
    """Serialise ``records`` as one JSON array, piecewise (for writing large benchmark files)."""
    yield "["
    for index, record in enumerate(records):
        yield ("," if index else "") + json.dumps(record, ensure_ascii=False)
    yield "]"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve the sample WordPress site until interrupted.")
    parser.add_argument("--posts", type=int, default=250)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with SampleWordPress(posts=args.posts, latency=args.latency) as wp:
        print(f"Sample WordPress at {wp.base_url}; try {wp.url('posts')}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
