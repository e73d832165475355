"""The warehouse tables the voc DAGs announce as Airflow Assets (data-aware scheduling between DAGs).

``voc_ingest_<source>`` updates ``FEEDBACK_ITEMS`` (its events carry the source and item count);
``voc_enrich`` is scheduled on it and updates ``CUSTOMER_STORY``; ``voc_complaint_trends_daily`` updates
``COMPLAINT_TRENDS``. The URIs name the table, not a server: one installation has one warehouse.
"""

from __future__ import annotations

from airflow.sdk import Asset

FEEDBACK_ITEMS = Asset(name="voc_feedback_items", uri="postgres://warehouse:5432/voc/core/feedback_item")
CUSTOMER_STORY = Asset(name="voc_customer_story", uri="postgres://warehouse:5432/voc/mart/customer_story")
COMPLAINT_TRENDS = Asset(name="voc_complaint_trends",
                         uri="postgres://warehouse:5432/voc/mart/complaint_trend_daily")
