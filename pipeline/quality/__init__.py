"""Data-quality gates with Great Expectations: no bad batch reaches the analysts, every failure is explained.

Every loaded batch is staged in raw and validated in PostgreSQL by its source kind's suite
(``suites.batch_suite``) before it is published to core; an error-level failure holds it in raw with
the reason (``raw.load_batch.status``/``held_reason``), a warning is recorded and the batch published.
Every check's result is stored in ``raw.quality_result`` and rendered in the Data Docs site
(``settings.data_docs_dir()``). ``check_core_items`` checks core after enrichment, ``check_trend_day``
one day of complaint trends. Nothing here imports Airflow; Great Expectations is imported on first use.
"""

from voc.pipeline.quality.errors import BatchesHeld, HeldBatch, QualityGateError
from voc.pipeline.quality.gate import QualityGate, Verdict, check_core_items, check_trend_day, release

__all__ = ["BatchesHeld", "HeldBatch", "QualityGate", "QualityGateError", "Verdict", "check_core_items",
           "check_trend_day", "release"]
