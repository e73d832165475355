-- mart.customer_story
-- Grain: one row per feedback item from any listening channel. Key: item_id.
-- The unified story table: what each customer said, where, when, how they scored it and how it reads.

CREATE OR REPLACE VIEW mart.customer_story AS
WITH items AS (
    SELECT * FROM core.feedback_item
),

enrichment AS (
    SELECT * FROM core.enrichment
),

final AS (
    SELECT
        items.item_id,
        items.customer_key,
        items.source,
        items.channel,
        items.is_aided,
        items.occurred_at,
        items.survey_id,
        items.survey_type,
        items.question,
        items.text,
        items.nps,
        items.csat,
        items.ces,
        items.rating,
        items.language,
        enrichment.sentiment_compound,
        enrichment.sentiment_label,
        COALESCE(enrichment.topics, '[]'::jsonb) AS topics,
        COALESCE(enrichment.is_complaint, false) AS is_complaint,
        COALESCE(enrichment.intents, '{}') AS intents,
        COALESCE(enrichment.journey_stage, 'unknown') AS journey_stage,
        enrichment.stage_reason,
        enrichment.language AS detected_language,
        enrichment.taxonomy_version,
        enrichment.nlp_version,
        enrichment.item_id IS NOT NULL AS is_enriched,
        enrichment.enriched_at,
        items.loaded_at,
        items.is_truncated
    FROM items
    LEFT JOIN enrichment ON enrichment.item_id = items.item_id
)

SELECT * FROM final;

COMMENT ON VIEW mart.customer_story IS
    'One row per feedback item from any channel (grain: item_id). The unified customer story: text is PII-redacted.';
COMMENT ON COLUMN mart.customer_story.item_id IS 'Stable id of the feedback item (UUIDv5 of source and the item''s natural key).';
COMMENT ON COLUMN mart.customer_story.customer_key IS 'The customer the item belongs to (from the identifiers found in the source); null when anonymous.';
COMMENT ON COLUMN mart.customer_story.source IS 'Configured source name the item was loaded from.';
COMMENT ON COLUMN mart.customer_story.channel IS 'Listening channel: survey, social, email, ticket, review or chat.';
COMMENT ON COLUMN mart.customer_story.is_aided IS 'True for solicited feedback (surveys, ticket satisfaction ratings); false for unaided.';
COMMENT ON COLUMN mart.customer_story.occurred_at IS 'When the customer gave the feedback (timezone-aware).';
COMMENT ON COLUMN mart.customer_story.survey_id IS 'Survey identifier for survey items; null otherwise.';
COMMENT ON COLUMN mart.customer_story.survey_type IS 'Survey type (nps, csat, ces, ...) for survey items; null otherwise.';
COMMENT ON COLUMN mart.customer_story.question IS 'The open-text question or field the text answers; null for score-only responses.';
COMMENT ON COLUMN mart.customer_story.text IS 'What the customer wrote, with e-mail addresses and phone numbers redacted; null for score-only responses.';
COMMENT ON COLUMN mart.customer_story.nps IS 'Net Promoter score 0-10 where given.';
COMMENT ON COLUMN mart.customer_story.csat IS 'Customer satisfaction score 1-5 where given.';
COMMENT ON COLUMN mart.customer_story.ces IS 'Customer effort score 1-7 where given.';
COMMENT ON COLUMN mart.customer_story.rating IS 'Star rating 1-5 where given (reviews, ticket ratings).';
COMMENT ON COLUMN mart.customer_story.language IS 'Language code of the text as given by the source or detected; null when unknown.';
COMMENT ON COLUMN mart.customer_story.sentiment_compound IS 'Sentiment of the text, -1 (negative) to +1 (positive): VADER clause scores weighted with feedback rules (complaints without sentiment words, negation, contrast); null until enriched, for score-only items and for languages it cannot score.';
COMMENT ON COLUMN mart.customer_story.sentiment_label IS 'negative, neutral or positive; null until enriched.';
COMMENT ON COLUMN mart.customer_story.topics IS 'Taxonomy topics found in the text: [{theme, topic, complaint, sentiment: {label, score}, evidence: [{start, end, text, rule}]}].';
COMMENT ON COLUMN mart.customer_story.is_complaint IS 'True when the item complains (a complaint topic or a complaint intent); false until enriched.';
COMMENT ON COLUMN mart.customer_story.intents IS 'Intent flags found in the text: complaint, praise, question, suggestion, churn_risk.';
COMMENT ON COLUMN mart.customer_story.stage_reason IS 'Why the journey stage was chosen (a topic, the survey, the channel, or the default).';
COMMENT ON COLUMN mart.customer_story.detected_language IS 'Language detected by the NLP pipeline; sentiment is null for languages it cannot score.';
COMMENT ON COLUMN mart.customer_story.taxonomy_version IS 'Taxonomy (name@version+content hash) that tagged the item.';
COMMENT ON COLUMN mart.customer_story.nlp_version IS 'Version of the NLP pipeline that tagged the item; voc enrich --reprocess re-tags items of other versions.';
COMMENT ON COLUMN mart.customer_story.journey_stage IS 'Customer-journey stage of the item; ''unknown'' when nothing decides.';
COMMENT ON COLUMN mart.customer_story.is_enriched IS 'True once the NLP pipeline has tagged the item.';
COMMENT ON COLUMN mart.customer_story.enriched_at IS 'When the item was last tagged.';
COMMENT ON COLUMN mart.customer_story.loaded_at IS 'When the item was loaded into core.';
COMMENT ON COLUMN mart.customer_story.is_truncated IS 'True when the source sent a text over 50,000 characters and it was cut to that length (oversize policy truncate); the full record is kept in raw.';
