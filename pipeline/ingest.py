"""Ingest inputs of a source kind: find the files, read them with the connector, load each one."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from voc.pipeline.connectors import survey
from voc.pipeline.connectors.mapping import SurveyMapping, load_survey_mapping
from voc.pipeline.load import LoadReport, file_sha256, load_records


def find_files(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Expand folders into the files with the given suffixes (sorted); files are kept as given."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def ingest_surveys(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    source: str = "surveys",
    mapping: SurveyMapping | str | Path | None = None,
) -> list[LoadReport]:
    """Load survey exports (files or folders of .csv/.json/.jsonl) into raw and core; one report per file."""
    if not isinstance(mapping, SurveyMapping):
        mapping = load_survey_mapping(mapping)
    reports = []
    for path in find_files(paths, survey.SUFFIXES):
        reports.append(load_records(
            engine,
            source=source,
            kind="survey",
            location=str(path.resolve()),
            content_sha256=file_sha256(path),
            records=survey.read_survey_file(path),
            to_items=partial(survey.to_items, mapping=mapping, source=source),
        ))
    return reports
