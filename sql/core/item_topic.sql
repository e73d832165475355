-- core.item_topic
-- Grain: one row per feedback item and taxonomy topic it mentions; an item with no topic has one
-- row with theme and topic '(none)'. Keys: item_id, theme, topic.
-- The building block of every topic-level mart (trends, stage health).

CREATE OR REPLACE VIEW core.item_topic AS
WITH items AS (
    SELECT * FROM core.feedback_item
),

enrichment AS (
    SELECT * FROM core.enrichment
),

final AS (
    SELECT
        items.item_id,
        items.record_id,
        items.source,
        items.channel,
        items.occurred_at,
        (items.occurred_at AT TIME ZONE 'UTC')::date AS occurred_on,
        items.customer_key,
        items.nps,
        items.csat,
        items.ces,
        COALESCE(topics.theme, '(none)') AS theme,
        COALESCE(topics.topic, '(none)') AS topic,
        COALESCE(enrichment.journey_stage, 'unknown') AS journey_stage,
        -- a complaint item counts as a complaint on the topics it complains about, not on those it praises
        COALESCE(enrichment.is_complaint, false)
            AND (topics.item_id IS NULL OR topics.is_complaint_topic OR topics.topic_sentiment <= -0.05)
            AS is_complaint,
        enrichment.sentiment_label = 'negative' AS is_negative,
        COALESCE(topics.topic_sentiment, enrichment.sentiment_compound) AS sentiment,
        enrichment.taxonomy_version
    FROM items
    JOIN enrichment ON enrichment.item_id = items.item_id
    -- expanded per joined row (LATERAL), so a filter on occurred_at reaches the index instead of every item
    LEFT JOIN LATERAL (
        SELECT
            enrichment.item_id,
            topic ->> 'theme' AS theme,
            topic ->> 'topic' AS topic,
            COALESCE((topic ->> 'complaint')::boolean, false) AS is_complaint_topic,
            (topic -> 'sentiment' ->> 'score')::real AS topic_sentiment
        FROM jsonb_array_elements(enrichment.topics) AS topic
    ) AS topics ON true
)

SELECT * FROM final;

COMMENT ON VIEW core.item_topic IS
    'One row per enriched feedback item and topic it mentions (theme/topic ''(none)'' when it mentions none).';
