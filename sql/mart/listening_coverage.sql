-- mart.listening_coverage
-- Grain: one row per source and channel. Keys: source, channel.
-- Is every listening pipe flowing? Last load, freshness, volume and how much gets rejected.

CREATE OR REPLACE VIEW mart.listening_coverage AS
WITH loads AS (
    SELECT
        source,
        max(finished_at) AS last_load_at,
        count(*) AS load_count,
        sum(read_count) AS records_read,
        sum(quarantined_count) AS records_quarantined
    FROM raw.load_batch
    GROUP BY 1
),

items AS (
    SELECT
        source,
        channel,
        count(*) AS item_count,
        count(*) FILTER (WHERE occurred_at >= now() - interval '7 days') AS items_last_7d,
        max(occurred_at) AS newest_feedback_at
    FROM core.feedback_item
    GROUP BY 1, 2
),

final AS (
    SELECT
        items.source,
        items.channel,
        loads.last_load_at,
        now() - loads.last_load_at AS since_last_load,
        items.newest_feedback_at,
        items.item_count,
        items.items_last_7d,
        loads.load_count,
        loads.records_read,
        loads.records_quarantined,
        round(loads.records_quarantined::numeric / NULLIF(loads.records_read, 0), 4) AS quarantine_rate
    FROM items
    LEFT JOIN loads USING (source)
)

SELECT * FROM final;

COMMENT ON VIEW mart.listening_coverage IS 'Flow of every listening pipe. Grain: source x channel. Load counts are per source (a source feeds one channel in practice).';
COMMENT ON COLUMN mart.listening_coverage.source IS 'Configured source name.';
COMMENT ON COLUMN mart.listening_coverage.channel IS 'Listening channel of the source''s items.';
COMMENT ON COLUMN mart.listening_coverage.last_load_at IS 'When the source last stored something new.';
COMMENT ON COLUMN mart.listening_coverage.since_last_load IS 'Freshness: time since the last load that stored something.';
COMMENT ON COLUMN mart.listening_coverage.newest_feedback_at IS 'Most recent feedback time among the source''s items.';
COMMENT ON COLUMN mart.listening_coverage.item_count IS 'Feedback items from the source.';
COMMENT ON COLUMN mart.listening_coverage.items_last_7d IS 'Items given in the last 7 days.';
COMMENT ON COLUMN mart.listening_coverage.load_count IS 'Loads of the source that stored something.';
COMMENT ON COLUMN mart.listening_coverage.records_read IS 'Records read by those loads.';
COMMENT ON COLUMN mart.listening_coverage.records_quarantined IS 'Records rejected into raw.quarantine by those loads.';
COMMENT ON COLUMN mart.listening_coverage.quarantine_rate IS 'records_quarantined / records_read.';
