-- How many posts were published each month, and how many words they held
SELECT
    year,
    month,
    count(*) AS posts,
    sum(word_count) AS words
FROM posts_enriched
GROUP BY year, month
ORDER BY year, month
