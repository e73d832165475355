"""The channel samples as a ``sources.yaml`` the DAGs read, and a warehouse preloaded with them in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from voc.pipeline.sample import generate_all


@dataclass(frozen=True)
class Sample:
    """Generated exports of every channel and the sources file that names them."""

    sources_file: Path
    sources: dict[str, dict]  # name -> the source's entry in the file


def write_sample(out: Path, schedules: dict[str, str] | None = None) -> Sample:
    """Generate every channel's sample under ``out`` and a ``sources.yaml`` beside it (schedules optional)."""
    sources = {}
    for name, kind, folder, mapping in generate_all(out / "exports"):
        entry = {"name": name, "kind": kind, "location": str(folder)}
        if mapping is not None:
            entry["mapping"] = str(mapping)
        if schedules and name in schedules:
            entry["schedule"] = schedules[name]
        sources[name] = entry
    path = out / "sources.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "sources": list(sources.values())}, sort_keys=False),
                    encoding="utf-8")
    return Sample(path, sources)


def load_sample(engine, sample: Sample, names: list[str] | None = None, *, enrich: bool = True) -> None:
    """Load sources of ``sample`` (all by default) straight into the warehouse, and tag them, without Airflow."""
    from voc.pipeline.enrich import enrich_pending
    from voc.pipeline.ingest import run_source
    from voc.pipeline.sources import load_sources

    for config in load_sources(sample.sources_file):
        if names is None or config.name in names:
            run_source(engine, config)
    if enrich:
        enrich_pending(engine)
