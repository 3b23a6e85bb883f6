-- Who publishes the most: each author's posts and words over all months, with their first and last post
SELECT
    author_id,
    author_name,
    sum(posts) AS posts,
    sum(words) AS words,
    min(first_post_utc) AS first_post_utc,
    max(last_post_utc) AS last_post_utc
FROM publishing_activity
GROUP BY author_id, author_name
ORDER BY posts DESC, words DESC, author_name
LIMIT 10
