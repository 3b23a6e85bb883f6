-- Which tags are used most: the posts tagged with each tag, over all months
SELECT
    term_id AS tag_id,
    term_name AS tag,
    sum(posts) AS posts
FROM taxonomy_usage
WHERE taxonomy = 'tag'
GROUP BY term_id, term_name
ORDER BY posts DESC, tag
LIMIT 10
