"""``voc bench``: one run, one process tree, one fresh database: the product's stages, then the references.

Order: generate the files; ingest, enrich and refresh the marts (the product, timed per stage, with
peak memory of the process tree); measure the database; then the three references (ceiling, textbook,
dlt) on the same texts and files. Ratios and targets are computed from figures of this run only, so
they hold on a noisy machine where absolute rates do not.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from voc.pipeline.bench import references, stages
from voc.pipeline.bench.memory import PeakSampler
from voc.pipeline.bench.sample import generate

TARGETS = {  # on the 2-core development machine at 1,000,000 items (issue 8)
    "end_to_end_items_per_s": 5_000,
    "enrichment_share_of_ceiling": 0.60,
    "ingest_times_dlt": 2.0,
    "peak_rss_bytes": 1 << 30,
}
PRODUCT_PHASES = ["ingest", "enrich", "mart"]


@dataclass
class BenchOptions:
    items: int
    work_dir: Path
    seed: int = 42
    workers: int = 0  # 0: every core
    batch_size: int = 2_000
    reference_items: int = 100_000  # texts the ceiling runs over (an even sample of the items)
    textbook_items: int = 2_000
    dlt: bool = True
    keep_database: bool = False
    database_url: str | None = None  # a server to create the fresh database on; None: the embedded one


def machine() -> dict:
    """What the figures were measured on."""
    import psutil

    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu_model": model, "ram_bytes": psutil.virtual_memory().total,
            "python": platform.python_version(), "platform": platform.platform()}


class BenchDatabase:
    """A fresh database for one run on the configured server (or an embedded one under ``work_dir/pg``);
    ``drop`` removes it. Also used by the scripts in benchmarks/."""

    def __init__(self, server: str | None, work_dir: Path) -> None:
        from voc.pipeline.config import normalise_url
        from voc.pipeline.db import embedded

        self.home: Path | None = None
        if server:
            self.server_url = make_url(normalise_url(server))
            self.kind = "VOC_DATABASE_URL"
        else:
            self.home = work_dir / "pg"
            (work_dir / "pg").mkdir(parents=True, exist_ok=True)
            self.server_url = embedded.server_url(database="postgres", home=work_dir / "pg")
            self.kind = "embedded"
        self.name = f"voc_bench_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url: URL = self.server_url.set(database=self.name)

    def _admin(self, sql: str) -> None:
        import psycopg2

        url = self.server_url
        params = {"dbname": url.database or "postgres", "user": url.username, "password": url.password,
                  "host": url.query.get("host", url.host), "port": url.port}
        conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def libpq_dsn(self) -> str:
        """A ``postgresql://`` URL that libpq and dlt accept (the socket directory as the ``host`` parameter)."""
        url = self.url.set(drivername="postgresql")
        if "host" in url.query and not url.host:
            url = url.set(host="localhost")  # dlt wants a host; libpq's host= parameter overrides it
        if url.password is None:
            url = url.set(password="")  # dlt insists on a password field, even an empty one
        return url.render_as_string(hide_password=False)

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def stop_server(self) -> None:
        """Stop the benchmark's own embedded server (not one named by a URL): it holds memory for nothing."""
        if self.home is not None:
            from voc.pipeline.db import embedded

            embedded.stop(self.home)


def _server_pid(engine) -> int | None:
    import psutil

    with engine.connect() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    try:
        return psutil.Process(backend).ppid()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None  # a remote server: its memory is not ours to see


def _rate(count: float | None, seconds: float | None) -> float | None:
    return count / seconds if count and seconds else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def run(options: BenchOptions, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> dict:
    """Run the benchmark; return the result document (``voc bench --json`` writes it)."""
    from voc.pipeline.db import get_engine
    from voc.pipeline.db.migrate import upgrade

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = options.workers or cores
    work = options.work_dir
    files_dir = work / "files"
    if files_dir.exists():
        shutil.rmtree(files_dir)
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"items_requested": options.items, "seed": options.seed, "workers": workers,
                    "machine": machine(), "targets": {}, "stages": {}, "references": {}, "ratios": {}}

    db = BenchDatabase(options.database_url, work)
    engine = get_engine(db.url)
    try:
        upgrade(engine)
        result["database"] = {"server": db.kind, "name": db.name}
        with PeakSampler(postgres_pid=_server_pid(engine)) as memory:
            memory.phase("generate")
            log(f"generating about {options.items:,} items into {files_dir}")
            start = time.perf_counter()
            files = generate(files_dir, options.items, seed=options.seed)
            result["stages"]["generate"] = {"seconds": time.perf_counter() - start,
                                            "bytes": sum(p.stat().st_size for _, _, p in files)}

            memory.phase("ingest")
            log(f"ingest: {len(files)} files, {workers} processes")
            ingest = stages.ingest(db.url_string, files, workers)
            ingest["records_per_s"] = _rate(ingest["records"], ingest["seconds"])
            ingest["items_per_s"] = _rate(ingest["items"], ingest["seconds"])
            result["stages"]["ingest"] = ingest
            log(f"ingest: {ingest['records']:,} records, {ingest['items']:,} items in {ingest['seconds']:.1f} s")

            memory.phase("enrich")
            log(f"enrich: {workers} processes")
            enrich = stages.enrich(db.url_string, workers, options.batch_size)
            enrich["items_per_s"] = _rate(enrich["items"], enrich["seconds"])
            enrich["working_items_per_s"] = _rate(enrich["items"], enrich["working_seconds"])
            result["stages"]["enrich"] = enrich
            log(f"enrich: {enrich['items']:,} items in {enrich['seconds']:.1f} s")

            memory.phase("mart")
            mart = stages.mart(engine)
            mart["items_per_s"] = _rate(enrich["items"], mart["seconds"])
            result["stages"]["mart"] = mart
            log(f"mart: publish and {mart['days']} trend days in {mart['seconds']:.1f} s")

            memory.phase("measure")
            with engine.connect() as conn:
                result["database"]["size_bytes"] = conn.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar_one()
            seconds = sum(result["stages"][s]["seconds"] for s in PRODUCT_PHASES)
            items = mart["layer_counts"].get("core.feedback_item", ingest["items"])
            result["end_to_end"] = {"items": items, "seconds": seconds, "items_per_s": _rate(items, seconds),
                                    "stages": PRODUCT_PHASES}

            memory.phase("references")
            texts = work / "texts.jsonl"
            sampled = references.export_texts(engine, texts, options.reference_items)
            log(f"ceiling: tokenizer + VADER over {sampled['sampled']:,} texts, {workers} processes")
            ceiling = references.ceiling(texts, workers)
            ceiling["sampling"] = sampled
            result["references"]["ceiling"] = ceiling
            log(f"pipeline NLP without the database over the same texts, {workers} processes")
            result["references"]["pipeline_nlp"] = references.pipeline_nlp(texts, workers)
            log(f"textbook: nlp(text) + INSERT per item on {options.textbook_items:,} items")
            result["references"]["textbook"] = references.textbook(engine, texts, options.textbook_items)
            if options.dlt and references.dlt_available():
                log("dlt: loading the same files")
                result["references"]["dlt"] = references.run_dlt(db.libpq_dsn(), files, work)
            else:
                result["references"]["dlt"] = {"skipped": "dlt is not installed (pip install -e '.[bench]')"
                                               if options.dlt else "--no-dlt"}
            texts.unlink(missing_ok=True)
        result["memory"] = {"peaks": memory.peaks, "product_peak_rss_bytes": memory.peak(PRODUCT_PHASES),
                            "product_peak_postgres_pss_bytes": memory.peak(PRODUCT_PHASES, "postgres_pss_bytes")}
    finally:
        engine.dispose()
        if not options.keep_database:
            db.drop()
            result.setdefault("database", {})["dropped"] = True
            db.stop_server()
    _judge(result)
    return result


def _judge(result: dict) -> None:
    """Fill ``ratios`` and ``targets`` (PASS/FAIL each) from the run's figures."""
    stages_, refs = result["stages"], result["references"]
    enrich_rate = stages_["enrich"]["items_per_s"]
    dlt_rate = refs.get("dlt", {}).get("records_per_s")
    result["ratios"] = {
        "enrichment_to_ceiling": _ratio(enrich_rate, refs["ceiling"]["items_per_s"]),
        "pipeline_nlp_to_ceiling": _ratio(refs["pipeline_nlp"]["items_per_s"], refs["ceiling"]["items_per_s"]),
        "enrichment_to_pipeline_nlp": _ratio(enrich_rate, refs["pipeline_nlp"]["items_per_s"]),
        # on the references' own basis: their timers start once the process and its tagger are ready
        "enrichment_working_to_pipeline_nlp": _ratio(stages_["enrich"].get("working_items_per_s"),
                                                     refs["pipeline_nlp"]["items_per_s"]),
        "enrichment_to_textbook": _ratio(enrich_rate, refs["textbook"]["items_per_s"]),
        "end_to_end_to_textbook": _ratio(result["end_to_end"]["items_per_s"], refs["textbook"]["items_per_s"]),
        "ingest_to_dlt": _ratio(stages_["ingest"]["records_per_s"], dlt_rate),
    }
    measured = {
        "end_to_end_items_per_s": result["end_to_end"]["items_per_s"],
        "enrichment_share_of_ceiling": result["ratios"]["enrichment_to_ceiling"],
        "ingest_times_dlt": result["ratios"]["ingest_to_dlt"],
        "peak_rss_bytes": result["memory"]["product_peak_rss_bytes"],
    }
    for name, target in TARGETS.items():
        value = measured[name]
        if value is None:
            verdict = "n/a"
        elif name == "peak_rss_bytes":
            verdict = "PASS" if value < target else "FAIL"
        else:
            verdict = "PASS" if value >= target else "FAIL"
        result["targets"][name] = {"target": target, "measured": value, "result": verdict,
                                   "at_items": result["items_requested"]}


def summary(result: dict) -> str:
    """The human-readable table ``voc bench`` prints."""
    s, r = result["stages"], result["references"]
    mib = 1 << 20

    def fmt(v, spec=",.0f"):
        return "-" if v is None else format(v, spec)

    lines = [f"voc bench: {result['items_requested']:,} items requested, {result['workers']} workers, "
             f"{result['machine']['cpus']} CPUs ({result['machine']['cpu_model']})", "",
             f"{'stage':<10} {'items':>10} {'seconds':>9} {'items/s':>9}"]
    for name in ("ingest", "enrich", "mart"):
        lines.append(f"{name:<10} {fmt(s[name].get('items', s['enrich']['items'])):>10} {s[name]['seconds']:>9.1f} "
                     f"{fmt(s[name]['items_per_s']):>9}")
    e2e = result["end_to_end"]
    lines.append(f"{'end-to-end':<10} {fmt(e2e['items']):>10} {e2e['seconds']:>9.1f} {fmt(e2e['items_per_s']):>9}")
    memory = result["memory"]
    lines += ["", f"ingest records/s {fmt(s['ingest']['records_per_s'])}; dlt records/s "
              f"{fmt(r.get('dlt', {}).get('records_per_s'))}",
              f"ceiling (tokenizer+VADER, {r['ceiling']['workers']} processes) items/s "
              f"{fmt(r['ceiling']['items_per_s'])}; textbook (nlp(text)+INSERT, 1 process, extrapolated) items/s "
              f"{fmt(r['textbook']['items_per_s'])}",
              f"peak RSS of the process tree (product stages) {fmt(memory['product_peak_rss_bytes'] / mib)} MiB; "
              f"PostgreSQL PSS {fmt((memory['product_peak_postgres_pss_bytes'] or 0) / mib)} MiB; "
              f"database {fmt(result['database'].get('size_bytes', 0) / mib)} MiB", ""]
    for name, value in result["ratios"].items():
        lines.append(f"ratio {name:<34} {fmt(value, '.3f')}")
    lines.append("")
    for name, t in result["targets"].items():
        if name == "peak_rss_bytes":
            shown, goal = fmt((t["measured"] or 0) / mib) + " MiB", f"< {t['target'] / mib:,.0f} MiB"
        elif name == "end_to_end_items_per_s":
            shown, goal = fmt(t["measured"]), f">= {t['target']:,}"
        else:
            shown, goal = fmt(t["measured"], ".3f"), f">= {t['target']}"
        lines.append(f"target {name:<28} {goal:>14}  measured {shown:>12}  {t['result']}")
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
