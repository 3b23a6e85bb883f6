-- The ten newest posts: when, title, author, categories, tags and reading time
SELECT
    date_utc,
    title,
    author_name,
    array_join(category_names, ', ') AS categories,
    array_join(tag_names, ', ') AS tags,
    reading_minutes,
    link
FROM posts_enriched
ORDER BY date_utc DESC, id DESC
LIMIT 10
