-- mart.customer_health
-- Grain: one row per identified customer. Key: customer_key.
-- Behavioural indicators of a relationship growing or being lost, for deciding whom to invest in.

CREATE OR REPLACE VIEW mart.customer_health AS
WITH timeline AS (
    SELECT * FROM mart.customer_timeline
),

complaints AS (
    SELECT customer_key, occurred_at FROM timeline WHERE is_complaint
),

repeated AS (  -- a complaint followed by another within 30 days
    SELECT DISTINCT a.customer_key
    FROM complaints AS a
    JOIN complaints AS b
        ON b.customer_key = a.customer_key AND b.occurred_at > a.occurred_at
       AND b.occurred_at <= a.occurred_at + interval '30 days'
),

detractor_after_complaint AS (
    SELECT DISTINCT t.customer_key
    FROM timeline AS t
    JOIN complaints AS c ON c.customer_key = t.customer_key AND t.occurred_at > c.occurred_at
    WHERE t.nps <= 6
),

recovered AS (  -- positive feedback or a good score after the latest complaint
    SELECT DISTINCT t.customer_key
    FROM timeline AS t
    JOIN (SELECT customer_key, max(occurred_at) AS last_complaint_at FROM complaints GROUP BY 1) AS c
        ON c.customer_key = t.customer_key AND t.occurred_at > c.last_complaint_at
    WHERE t.sentiment_label = 'positive' OR t.nps >= 9 OR t.csat >= 4 OR t.rating >= 4
),

summary AS (
    SELECT
        customer_key,
        count(*) AS item_count,
        count(DISTINCT channel) AS channel_count,
        array_agg(DISTINCT channel ORDER BY channel) AS channels,
        min(occurred_at) AS first_feedback_at,
        max(occurred_at) AS last_feedback_at,
        count(*) FILTER (WHERE is_complaint) AS complaint_count,
        count(*) FILTER (WHERE is_complaint AND occurred_at > (SELECT max(occurred_at) FROM timeline) - interval '30 days')
            AS complaints_last_30d,
        bool_or('churn_risk' = ANY(intents)) AS has_churn_risk_intent,
        avg(sentiment_compound) AS mean_sentiment,
        (array_agg(nps ORDER BY occurred_at DESC) FILTER (WHERE nps IS NOT NULL))[1] AS latest_nps
    FROM timeline
    GROUP BY customer_key
),

final AS (
    SELECT
        summary.*,
        repeated.customer_key IS NOT NULL AS has_repeated_complaints_30d,
        detractor_after_complaint.customer_key IS NOT NULL AS is_detractor_after_complaint,
        recovered.customer_key IS NOT NULL AS has_recovered,
        CASE
            WHEN summary.has_churn_risk_intent
                 OR (detractor_after_complaint.customer_key IS NOT NULL AND recovered.customer_key IS NULL)
                THEN 'at_risk'
            WHEN repeated.customer_key IS NOT NULL AND recovered.customer_key IS NULL THEN 'declining'
            WHEN recovered.customer_key IS NOT NULL OR summary.latest_nps >= 9 THEN 'growing'
            ELSE 'stable'
        END AS relationship_signal
    FROM summary
    LEFT JOIN repeated USING (customer_key)
    LEFT JOIN detractor_after_complaint USING (customer_key)
    LEFT JOIN recovered USING (customer_key)
)

SELECT * FROM final;

COMMENT ON VIEW mart.customer_health IS 'Relationship indicators per identified customer. Grain: customer_key.';
COMMENT ON COLUMN mart.customer_health.customer_key IS 'The resolved customer.';
COMMENT ON COLUMN mart.customer_health.item_count IS 'Feedback items from the customer on any channel.';
COMMENT ON COLUMN mart.customer_health.channel_count IS 'Distinct channels the customer used.';
COMMENT ON COLUMN mart.customer_health.channels IS 'The channels the customer used.';
COMMENT ON COLUMN mart.customer_health.first_feedback_at IS 'First feedback seen from the customer.';
COMMENT ON COLUMN mart.customer_health.last_feedback_at IS 'Latest feedback seen from the customer.';
COMMENT ON COLUMN mart.customer_health.complaint_count IS 'Complaint items from the customer.';
COMMENT ON COLUMN mart.customer_health.complaints_last_30d IS 'Complaints in the 30 days before the newest feedback in the warehouse.';
COMMENT ON COLUMN mart.customer_health.has_churn_risk_intent IS 'True when any item signals cancelling, closing the account or switching.';
COMMENT ON COLUMN mart.customer_health.mean_sentiment IS 'Mean sentiment (-1..1) over the customer''s items.';
COMMENT ON COLUMN mart.customer_health.latest_nps IS 'The customer''s most recent NPS answer.';
COMMENT ON COLUMN mart.customer_health.has_repeated_complaints_30d IS 'True when a complaint was followed by another within 30 days.';
COMMENT ON COLUMN mart.customer_health.is_detractor_after_complaint IS 'True when an NPS of 0-6 came after a complaint.';
COMMENT ON COLUMN mart.customer_health.has_recovered IS 'True when positive feedback or a good score came after the latest complaint.';
COMMENT ON COLUMN mart.customer_health.relationship_signal IS 'at_risk (churn intent, or detractor after an unrecovered complaint), declining (repeated complaints, not recovered), growing (recovered or promoter), else stable.';
