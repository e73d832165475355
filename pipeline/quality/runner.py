"""Run an expectation suite on a SQL query with Great Expectations and return what every check saw.

One ephemeral Data Context per run of the gates (configured here, no YAML). Validation results are
kept as JSON under ``<Data Docs folder>/.gx/validations`` so that the Data Docs site, updated by an
``UpdateDataDocsAction`` after every validation, lists the runs before this one too (the latest
``INDEX_LIMIT`` on its front page; every run has its own page, and every result is in PostgreSQL).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from voc.pipeline.quality.gx import gx

SITE = "voc_data_docs"
INDEX_LIMIT = 100  # validation runs listed on the Data Docs front page (each is read when the index is built)


@dataclass
class CheckResult:
    """One expectation's verdict in one validation run."""

    check_name: str
    expectation: str
    column_name: str | None
    kwargs: dict
    severity: str  # error | warning
    success: bool
    observed_value: object = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample_unexpected: list | None = None
    note: str | None = None
    meta: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """Say what failed in one line, e.g. ``scores within scales: nps 5 of 20 rows (25.0%) outside 0..10``."""
        k = self.kwargs
        if self.unexpected_count is not None and self.element_count is not None:
            text = (f"{self.check_name}: {self.column_name} {self.unexpected_count} of {self.element_count} rows "
                    f"({self.unexpected_percent or 0:.1f}%) {_broke(self.expectation, k)}")
            sample = sorted({str(v) for v in self.sample_unexpected or []})[:3]
            if sample:
                text += ", e.g. " + " | ".join(sample)
            if k.get("mostly") not in (None, 1, 1.0):
                text += f" (at most {1 - k['mostly']:.0%} allowed)"
            return text
        subject = f"{self.check_name}: {self.column_name}" if self.column_name else f"{self.check_name}:"
        limits = " and ".join(part for part in (
            f">= {_num(k['min_value'])}" if k.get("min_value") is not None else "",
            f"<= {_num(k['max_value'])}" if k.get("max_value") is not None else "") if part)
        text = f"{subject} {self.observed_value}" + (f", expected {limits}" if limits else "")
        baseline = self.meta.get("baseline_median")
        if baseline is not None:
            text += f" (median of the last {self.meta.get('baseline_inputs')} inputs: {_num(baseline)})"
        return text


def _num(value):
    """12.0 -> 12: thresholds read as they were written."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _broke(expectation: str, k: dict) -> str:
    """How the unexpected rows broke an expectation, in words."""
    if expectation.endswith("values_to_be_between"):
        low, high = k.get("min_value"), k.get("max_value")
        if low is not None and high is not None:
            return f"outside {_num(low)}..{_num(high)}"
        return f"below {_num(low)}" if low is not None else f"above {_num(high)}"
    return {
        "expect_column_values_to_not_be_in_set": f"in {k.get('value_set')}",
        "expect_column_values_to_be_in_set": f"not in {k.get('value_set')}",
        "expect_column_values_to_be_unique": "not unique in the batch",
        "expect_column_values_to_be_null": "not null",
        "expect_column_values_to_not_be_null": "null",
        "expect_column_values_to_not_match_regex": "matching the pattern",
        "expect_compound_columns_to_be_unique": "repeating a cell",
        "expect_column_pair_values_a_to_be_greater_than_b": f"with {k.get('column_A')} below {k.get('column_B')}",
    }.get(expectation, "unexpected")


@dataclass
class ValidationRun:
    """The checks of one suite on one subject, and where its Data Docs page is."""

    suite: str
    results: list[CheckResult]
    data_docs_page: str | None
    seconds: float

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success]


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _json_safe(value):
    return json.loads(json.dumps(value, default=_plain))


def _context_config(docs_dir: Path | None):
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    memory = {"class_name": "InMemoryStoreBackend"}

    def files(sub: str) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir / ".gx" / sub)}

    stores = {
        # suites are rebuilt by every run (several processes may run at once): only results are kept on disk
        "expectations_store": {"class_name": "ExpectationsStore", "store_backend": memory},
        "validation_results_store": {"class_name": "ValidationResultsStore",
                                     "store_backend": files("validations") if docs_dir else memory},
        "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": memory},
        "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": memory},
    }
    sites = {}
    if docs_dir:
        sites[SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": INDEX_LIMIT},
        }
    return DataContextConfig(
        stores=stores, expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store", checkpoint_store_name="checkpoint_store",
        data_docs_sites=sites, analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
    )


class Runner:
    """A Great Expectations context on the warehouse; ``docs_dir`` None keeps everything in memory (no Data Docs)."""

    def __init__(self, engine: Engine, docs_dir: Path | None):
        self.docs_dir = docs_dir
        if docs_dir:
            docs_dir.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(project_config=_context_config(docs_dir), mode="ephemeral")
        # add_postgres() rejects the embedded server's socket URL; the generic SQL source takes any URL.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="You are using a generic SQLDatasource")
            self.source = self.context.data_sources.add_sql(
                name="warehouse", connection_string=engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        """Close the connections Great Expectations opened, now rather than when the garbage collector runs: the
        execution engine's pool, and the data source's own engine (``add_sql`` connects once with it to test the
        connection, and it keeps that connection idle in its pool)."""
        self.source.get_execution_engine().close()
        self.source.get_engine().dispose()

    def validate(self, suite, *, query: str, asset: str, run_name: str) -> ValidationRun:
        """Validate ``query``'s rows against ``suite``; store the result and update the Data Docs."""
        from great_expectations.checkpoint import UpdateDataDocsAction
        from great_expectations.core.run_identifier import RunIdentifier

        started = time.perf_counter()
        name = f"{suite.name}:{asset}"
        # Great Expectations applies the checkpoint's result format to every expectation: a suite that looks
        # for personal data shows no failing values at all, in the results or the Data Docs.
        private = any((e.meta or {}).get("private") for e in suite.expectations)
        result_format = {"result_format": "BASIC", "partial_unexpected_count": 0 if private else 20}
        data_asset = self.source.add_query_asset(name=asset, query=query)
        try:
            batch = data_asset.add_batch_definition_whole_table("rows")
            suite = self.context.suites.add_or_update(suite)
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
            actions = [UpdateDataDocsAction(name="update_data_docs", site_names=[SITE])] if self.docs_dir else []
            checkpoint = self.context.checkpoints.add(gx.Checkpoint(
                name=name, validation_definitions=[definition], actions=actions,
                result_format=result_format))
            outcome = checkpoint.run(run_id=RunIdentifier(run_name=run_name))
        finally:  # this context validates many subjects: leave nothing that names this one behind
            if name in {c.name for c in self.context.checkpoints.all()}:
                self.context.checkpoints.delete(name)
            if name in {v.name for v in self.context.validation_definitions.all()}:
                self.context.validation_definitions.delete(name)
            self.source.delete_asset(asset)
        [(key, result)] = outcome.run_results.items()
        broken = [r for r in result.results if _exception(r)]
        if broken:  # the check itself failed (SQL, configuration): not a verdict on the data
            raise RuntimeError(f"quality check {broken[0].expectation_config.type} of suite {suite.name} could not "
                               f"run on {asset}: {_exception(broken[0])}")
        page = "validations/" + "/".join(str(part) for part in key.to_tuple()) + ".html" if self.docs_dir else None
        checks = [_check(r) for r in result.results]
        return ValidationRun(suite=suite.name, results=checks, data_docs_page=page,
                             seconds=time.perf_counter() - started)


def _exception(result) -> str | None:
    """The message of an exception a check raised (Great Expectations nests them per metric), or None."""
    info = result.exception_info or {}
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in found:
        if entry.get("raised_exception") or entry.get("exception_message"):
            return str(entry.get("exception_message") or "unknown error").splitlines()[0][:500]
    return None


def _check(result) -> CheckResult:
    config = result.expectation_config
    meta = dict(config.meta or {})
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    found = result.result or {}
    private = meta.get("private", False)
    return CheckResult(
        check_name=meta.get("check", config.type),
        expectation=config.type,
        column_name=kwargs.get("column") or kwargs.get("column_A"),
        kwargs=_json_safe(kwargs),
        severity="error" if str(getattr(config.severity, "value", config.severity)) == "critical" else "warning",
        success=bool(result.success),
        observed_value=_json_safe(found.get("observed_value")),
        element_count=found.get("element_count"),
        unexpected_count=found.get("unexpected_count"),
        unexpected_percent=found.get("unexpected_percent"),
        sample_unexpected=None if private else _json_safe(found.get("partial_unexpected_list")),
        meta=_json_safe(meta),
    )
