"""Deterministic synthetic raw data for the benchmarks, cached by size and seed.

Records come from ``local.sample_wordpress.generate_posts`` (nested ``title``/``content``/
``excerpt``/``guid``, ``_links`` with lists, ``meta`` ``[]`` on two posts in three and an object
on the third, unicode and HTML entities). The file is laid out exactly as the raw handler
writes it: pages of 100 records serialised like the WordPress server's answer, joined into one
JSON array (``[`` + page items joined by ``,`` + ``]``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from local.sample_wordpress import DEFAULT_SEED, generate_posts

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO_ROOT / ".cache" / "bench-data"
MB = 1024 * 1024
PER_PAGE = 100
CHUNK_POSTS = 5000  # generated at a time, so generating 300 MB stays small in memory
PARAGRAPHS = 8  # about 2.5 KB per post
FORMAT_VERSION = 1  # bump when the layout changes, so cached files are regenerated


def data_path(size_mb: float, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    tag = f"posts-{size_mb:g}MB-seed{seed}-p{PARAGRAPHS}-v{FORMAT_VERSION}"
    return cache_dir / f"{tag}.json"


def _page_items(records: list[dict]) -> bytes:
    """A page as the sample server serialises it, without its brackets (as the raw handler joins it)."""
    return json.dumps(records, ensure_ascii=False).encode("utf-8")[1:-1]


def write_posts_file(path: Path, size_bytes: int, seed: int = DEFAULT_SEED) -> int:
    """Write posts until the file reaches ``size_bytes``; returns the record count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial{os.getpid()}")
    written = 0
    records = 0
    chunk = 0
    with open(partial, "wb") as out:
        out.write(b"[")
        written = 1
        while written < size_bytes:
            posts = generate_posts(CHUNK_POSTS, seed=seed + chunk, paragraphs=PARAGRAPHS)
            for post in posts:  # unique ids across chunks, newest first like the API
                post["id"] += chunk * CHUNK_POSTS
            for start in range(0, len(posts), PER_PAGE):
                if written >= size_bytes:
                    break
                page = _page_items(posts[start : start + PER_PAGE])
                if records:
                    out.write(b",")
                    written += 1
                out.write(page)
                written += len(page)
                records += len(posts[start : start + PER_PAGE])
            chunk += 1
        out.write(b"]")
    os.replace(partial, path)
    return records


def ensure_data(size_mb: float, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    """The cached file of about ``size_mb`` MB of raw JSON, generated on first use."""
    path = data_path(size_mb, seed, cache_dir)
    if not path.exists():
        write_posts_file(path, int(size_mb * MB), seed)
    return path


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(MB), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- silver job input

SILVER_FORMAT_VERSION = 1
SILVER_PARAGRAPHS = 3  # about 1.3 KB of raw JSON per post
SILVER_TERMS = {"categories": 8, "tags": 20, "users": 4}


def silver_bronze_root(posts: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"silver-{posts}posts-seed{seed}-p{SILVER_PARAGRAPHS}-v{SILVER_FORMAT_VERSION}"


def ensure_silver_bronze(
    posts: int, bronze_bucket: str, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR
) -> Path:
    """A local mirror of the bronze bucket (``<root>/<bucket>/wordpress_api/<name>/<name>.parquet``)
    for the silver job: ``posts`` posts (ids unique, dates over about four years, as
    :func:`write_posts_file` lays them out) with the categories, tags and users they reference,
    written by the bronze Lambda's own converter. Cached; returns the root."""
    import sys
    from datetime import UTC, datetime

    from local.sample_wordpress import generate_terms, generate_users

    root = silver_bronze_root(posts, seed, cache_dir)
    done = root / "complete"
    if done.exists():
        return root
    sys.path.insert(0, str(REPO_ROOT / "functions" / "data_wordpressapi_bronze" / "src"))
    from bronze_parquet import write_parquet

    raw_dir = root / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    raw = {"posts": raw_dir / "posts.json"}
    with open(raw["posts"], "wb") as out:
        out.write(b"[")
        written = 0
        chunk = 0
        while written < posts:
            count = min(CHUNK_POSTS, posts - written)
            batch = generate_posts(count, seed=seed + chunk, paragraphs=SILVER_PARAGRAPHS)
            for post in batch:
                post["id"] += chunk * CHUNK_POSTS
            if written:
                out.write(b",")
            out.write(_page_items(batch))
            written += count
            chunk += 1
        out.write(b"]")
    documents = {
        "categories": generate_terms(SILVER_TERMS["categories"], "category", seed=seed),
        "tags": generate_terms(SILVER_TERMS["tags"], "post_tag", seed=seed),
        "users": generate_users(SILVER_TERMS["users"], seed=seed),
    }
    for name, items in documents.items():
        raw[name] = raw_dir / f"{name}.json"
        raw[name].write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    for name, path in raw.items():
        target = root / bronze_bucket / "wordpress_api" / name / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(
            str(path),
            str(target),
            source_key=f"wordpress_api/{name}/{name}.json",
            ingested_at=datetime(2026, 1, 1, 6, 0, tzinfo=UTC),
        )
        path.unlink()
    done.write_text("ok\n")
    return root
