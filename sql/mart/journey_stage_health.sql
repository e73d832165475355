-- mart.journey_stage_health
-- Grain: one row per customer-journey stage (including 'unknown'). Key: journey_stage.
-- How each stage of the journey is going: volume, scores, negativity and what people talk about.

CREATE OR REPLACE VIEW mart.journey_stage_health AS
WITH story AS (
    SELECT * FROM mart.customer_story WHERE is_enriched
),

item_topics AS (
    SELECT * FROM core.item_topic WHERE topic <> '(none)'
),

topic_counts AS (
    SELECT journey_stage, topic, count(*) AS mentions, count(*) FILTER (WHERE is_complaint) AS complaints
    FROM item_topics
    GROUP BY 1, 2
),

top_topics AS (
    SELECT
        journey_stage,
        jsonb_agg(jsonb_build_object('topic', topic, 'mentions', mentions, 'complaints', complaints)
                  ORDER BY mentions DESC, topic) FILTER (WHERE rank <= 5) AS top_topics
    FROM (
        SELECT *, row_number() OVER (PARTITION BY journey_stage ORDER BY mentions DESC, topic) AS rank
        FROM topic_counts
    ) AS ranked
    GROUP BY 1
),

stages AS (
    SELECT
        journey_stage,
        count(*) AS item_count,
        count(*) FILTER (WHERE is_complaint) AS complaint_count,
        avg(CASE WHEN sentiment_label = 'negative' THEN 1.0 WHEN sentiment_label IS NOT NULL THEN 0.0 END)
            AS negative_share,
        avg(sentiment_compound) AS mean_sentiment,
        100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / NULLIF(count(nps), 0)
            AS nps,
        count(nps) AS nps_answers,
        avg(csat) AS mean_csat,
        avg(ces) AS mean_ces,
        min(occurred_at) AS first_feedback_at,
        max(occurred_at) AS last_feedback_at
    FROM story
    GROUP BY 1
),

final AS (
    SELECT stages.*, COALESCE(top_topics.top_topics, '[]'::jsonb) AS top_topics
    FROM stages
    LEFT JOIN top_topics USING (journey_stage)
)

SELECT * FROM final;

COMMENT ON VIEW mart.journey_stage_health IS 'Health of each customer-journey stage over all enriched feedback. Grain: journey_stage.';
COMMENT ON COLUMN mart.journey_stage_health.journey_stage IS 'Stage id from the taxonomy; ''unknown'' when nothing decided.';
COMMENT ON COLUMN mart.journey_stage_health.item_count IS 'Enriched feedback items at this stage.';
COMMENT ON COLUMN mart.journey_stage_health.complaint_count IS 'Items at this stage that complain.';
COMMENT ON COLUMN mart.journey_stage_health.negative_share IS 'Share (0-1) of scored items whose sentiment is negative.';
COMMENT ON COLUMN mart.journey_stage_health.mean_sentiment IS 'Mean sentiment (-1..1).';
COMMENT ON COLUMN mart.journey_stage_health.nps IS 'NPS (-100..100) over items with an NPS answer; a response with several texts counts once per text.';
COMMENT ON COLUMN mart.journey_stage_health.nps_answers IS 'Items carrying an NPS answer.';
COMMENT ON COLUMN mart.journey_stage_health.mean_csat IS 'Mean CSAT (1-5) where given.';
COMMENT ON COLUMN mart.journey_stage_health.mean_ces IS 'Mean CES (1-7) where given.';
COMMENT ON COLUMN mart.journey_stage_health.first_feedback_at IS 'Earliest feedback at this stage.';
COMMENT ON COLUMN mart.journey_stage_health.last_feedback_at IS 'Latest feedback at this stage.';
COMMENT ON COLUMN mart.journey_stage_health.top_topics IS 'Up to five most mentioned topics: [{topic, mentions, complaints}].';
