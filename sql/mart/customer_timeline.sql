-- mart.customer_timeline
-- Grain: one row per feedback item of an identified customer. Keys: customer_key, item_id.
-- The customer's story in one query: every channel, in time order.

CREATE OR REPLACE VIEW mart.customer_timeline AS
WITH story AS (
    SELECT * FROM mart.customer_story WHERE customer_key IS NOT NULL
),

final AS (
    SELECT
        customer_key,
        row_number() OVER (PARTITION BY customer_key ORDER BY occurred_at, item_id) AS item_seq,
        occurred_at,
        occurred_at - lag(occurred_at) OVER (PARTITION BY customer_key ORDER BY occurred_at, item_id)
            AS since_previous,
        item_id,
        source,
        channel,
        is_aided,
        question,
        text,
        nps,
        csat,
        ces,
        rating,
        sentiment_label,
        sentiment_compound,
        is_complaint,
        intents,
        topics,
        journey_stage
    FROM story
)

SELECT * FROM final;

COMMENT ON VIEW mart.customer_timeline IS 'Each identified customer''s feedback across all channels in time order. Grain: customer_key x item_id.';
COMMENT ON COLUMN mart.customer_timeline.customer_key IS 'The resolved customer (one key across channels; see core.customer_key_merge for retired keys).';
COMMENT ON COLUMN mart.customer_timeline.item_seq IS '1 for the customer''s first feedback, 2 for the next, ...';
COMMENT ON COLUMN mart.customer_timeline.occurred_at IS 'When the customer gave the feedback.';
COMMENT ON COLUMN mart.customer_timeline.since_previous IS 'Time since the customer''s previous feedback on any channel; null for the first.';
COMMENT ON COLUMN mart.customer_timeline.item_id IS 'The feedback item (join mart.customer_story for more).';
COMMENT ON COLUMN mart.customer_timeline.source IS 'Configured source the item came from.';
COMMENT ON COLUMN mart.customer_timeline.channel IS 'Listening channel: survey, social, email, ticket, review or chat.';
COMMENT ON COLUMN mart.customer_timeline.is_aided IS 'True for solicited feedback.';
COMMENT ON COLUMN mart.customer_timeline.question IS 'Survey question or field the text answers.';
COMMENT ON COLUMN mart.customer_timeline.text IS 'What the customer wrote (redacted).';
COMMENT ON COLUMN mart.customer_timeline.nps IS 'NPS 0-10 where given.';
COMMENT ON COLUMN mart.customer_timeline.csat IS 'CSAT 1-5 where given.';
COMMENT ON COLUMN mart.customer_timeline.ces IS 'CES 1-7 where given.';
COMMENT ON COLUMN mart.customer_timeline.rating IS 'Star rating 1-5 where given.';
COMMENT ON COLUMN mart.customer_timeline.sentiment_label IS 'negative, neutral or positive.';
COMMENT ON COLUMN mart.customer_timeline.sentiment_compound IS 'Sentiment score -1..1.';
COMMENT ON COLUMN mart.customer_timeline.is_complaint IS 'True when the item complains.';
COMMENT ON COLUMN mart.customer_timeline.intents IS 'Intent flags: complaint, praise, question, suggestion, churn_risk.';
COMMENT ON COLUMN mart.customer_timeline.topics IS 'Taxonomy topics with sentiment and evidence (JSON).';
COMMENT ON COLUMN mart.customer_timeline.journey_stage IS 'Customer-journey stage of the item.';
