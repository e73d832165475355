"""voc.pipeline: ingestion, loading, enrichment runs and publishing of Voice-of-the-Customer feedback.

Nothing in this package imports Airflow; the DAGs under ``dags/`` call its functions.
"""

__version__ = "0.1.0"
