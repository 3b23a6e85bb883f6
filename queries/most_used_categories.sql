-- Which categories are used most: the posts filed under each category, over all months
SELECT
    term_id AS category_id,
    term_name AS category,
    sum(posts) AS posts
FROM taxonomy_usage
WHERE taxonomy = 'category'
GROUP BY term_id, term_name
ORDER BY posts DESC, category
LIMIT 10
