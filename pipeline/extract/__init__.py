"""The CX team's daily extract: a day's complaint-trend rows as CSV and a self-contained HTML report.

``write_extract(engine, day, out)`` writes ``<out>/complaint_trends/<day>/`` with
``complaint_trends_<day>.csv`` and ``report.html``; re-running a day replaces both.
"""

from voc.pipeline.extract.report import ExtractResult, write_extract

__all__ = ["ExtractResult", "write_extract"]
