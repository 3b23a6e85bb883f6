"""The built-in sample WordPress site's generated data (local/sample_wordpress.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from local.sample_wordpress import LAST_POST_DATE, generate_posts


def test_large_sample_sites_keep_every_post_date_in_the_past() -> None:
    # At 50,000 posts, 7 hours apart from 2020, posts were dated up to 2060 (480 year/month partitions).
    now = datetime.now(UTC).replace(tzinfo=None)
    posts = generate_posts(50_000, paragraphs=0)

    dates = [datetime.fromisoformat(post[field]) for post in posts for field in ("date", "date_gmt")]
    modified = [datetime.fromisoformat(post[key]) for post in posts for key in ("modified", "modified_gmt")]
    assert max(dates) <= LAST_POST_DATE < now
    assert max(modified) <= LAST_POST_DATE
    assert all(
        datetime.fromisoformat(post["modified"]) >= datetime.fromisoformat(post["date"]) for post in posts
    )
    months = {(date.year, date.month) for date in dates}
    assert len(months) <= 72, "six years of posts at most"
    assert [post["id"] for post in posts] == list(range(50_000, 0, -1)), "newest first"


def test_small_sample_sites_keep_their_dates_seven_hours_apart() -> None:
    posts = generate_posts(250)
    first, second = (datetime.fromisoformat(post["date"]) for post in posts[-1:-3:-1])
    assert (first.year, first.month, first.day, first.hour) == (2020, 1, 1, 14)
    assert (second - first).total_seconds() // 3600 in (6, 7)
