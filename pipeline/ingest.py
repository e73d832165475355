"""Ingest a source: find its files (or call its API / mailbox), read them with the connector, load each input.

Files are loaded one per transaction with their fingerprint; API pages and IMAP batches one per
transaction with the cursor or UID that follows them. Every input is a batch the quality gate judges
before its items reach core; when the gate holds any, the run still loads the other inputs, then raises
``BatchesHeld`` (so the CLI exits non-zero and the Airflow task fails). A run first judges the source's
batches left pending by a run that stopped. ``run_source`` runs one configured source of
``sources.yaml``; the Airflow DAGs call it from their tasks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine

from voc.pipeline.connectors import email, reviews, social, survey, tickets
from voc.pipeline.connectors.base import SourceRecord
from voc.pipeline.connectors.columns import load_column_mapping
from voc.pipeline.connectors.mapping import SurveyMapping, load_survey_mapping
from voc.pipeline.load import LoadReport, file_sha256, load_records, read_state
from voc.pipeline.quality.errors import BatchesHeld, HeldBatch
from voc.pipeline.quality.gate import QualityGate
from voc.pipeline.sources import ConnectionLookup, SourceConfig, SourcesError, resolve_secrets

KINDS = ("survey", "social", "email", "ticket", "review")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileConnector:
    """How one kind reads files and turns a record into items."""

    suffixes: tuple[str, ...]
    read: Callable[[Path], Iterator[SourceRecord]]
    items: Callable[[str, object], Callable[[SourceRecord], list[dict]]]  # (source, mapping) -> to_items


def _survey_items(source: str, mapping) -> Callable[[SourceRecord], list[dict]]:
    if not isinstance(mapping, SurveyMapping):
        mapping = load_survey_mapping(mapping)
    return partial(survey.to_items, mapping=mapping, source=source)


def _column_items(module, kind: str):
    def factory(source: str, mapping) -> Callable[[SourceRecord], list[dict]]:
        return partial(module.to_items, mapping=load_column_mapping(kind, mapping), source=source)
    return factory


def _email_items(source: str, options) -> Callable[[SourceRecord], list[dict]]:
    return partial(email.to_items, source=source, options=options or email.DEFAULT_OPTIONS)


CONNECTORS: dict[str, FileConnector] = {
    "survey": FileConnector(survey.SUFFIXES, survey.read_survey_file, _survey_items),
    "social": FileConnector(social.SUFFIXES, social.read_social_file, _column_items(social, "social")),
    "email": FileConnector(email.SUFFIXES, email.read_email_file, _email_items),
    "ticket": FileConnector(tickets.SUFFIXES, tickets.read_ticket_file, _column_items(tickets, "ticket")),
    "review": FileConnector(reviews.SUFFIXES, reviews.read_review_file, _column_items(reviews, "review")),
}
DEFAULT_SOURCE = {"survey": "surveys", "social": "social", "email": "email", "ticket": "tickets",
                  "review": "reviews"}


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


class _GatedRun:
    """One quality gate for a run of a source's inputs; collects the held batches and raises at the end."""

    def __init__(self, engine: Engine, source: str, oversize: str = "quarantine"):
        self.gate = QualityGate(engine)
        self.oversize = oversize  # every load of the run: load.OVERSIZE_POLICIES
        self.reports: list[LoadReport] = []
        self.held: list[HeldBatch] = [v.held() for v in self.gate.finish_pending(source) if v.status == "held"]

    def load(self, **kwargs) -> None:
        try:
            self.reports.append(load_records(gate=self.gate, oversize=self.oversize, **kwargs))
        except BatchesHeld as exc:
            self.reports += exc.reports
            self.held += exc.held

    def finish(self) -> list[LoadReport]:
        if self.held:
            raise BatchesHeld(self.held, self.reports)
        return self.reports


def to_items_for(kind: str, source: str, mapping=None) -> Callable[[SourceRecord], list[dict]]:
    """Return the record-to-items function of a kind, with its mapping (or e-mail options) applied."""
    return CONNECTORS[kind].items(source, mapping)


def ingest_files(
    engine: Engine,
    kind: str,
    paths: Iterable[str | Path],
    *,
    source: str | None = None,
    mapping=None,
    skip_unchanged: bool = False,
    oversize: str = "quarantine",
) -> list[LoadReport]:
    """Load files of one kind (files or folders) into raw and core; one report per file.

    Each file's fingerprint is stored in ``raw.source_state`` (``file:<path>``) with its rows; with
    ``skip_unchanged`` a file whose fingerprint is already stored is not read again. Raises
    ``BatchesHeld`` after the last file if the quality gate held any (``.reports`` has every report).
    ``oversize``: quarantine records over the size limits (default) or keep them with their text truncated.
    """
    if kind not in CONNECTORS:
        raise ValueError(f"unknown source kind {kind!r} (use {', '.join(KINDS)})")
    connector = CONNECTORS[kind]
    source = source or DEFAULT_SOURCE[kind]
    to_items = connector.items(source, mapping)  # a bad mapping fails before any file is read
    files = find_files(paths, connector.suffixes)
    known = read_state(engine, source, "file:") if skip_unchanged else {}
    run = _GatedRun(engine, source, oversize)
    try:
        for path in files:
            location = str(path.resolve())
            digest = file_sha256(path)
            key = f"file:{location}"
            if skip_unchanged and (known.get(key) or {}).get("sha256") == digest:
                run.reports.append(LoadReport(source=source, location=location, skipped=True))
                continue
            run.load(
                engine=engine, source=source, kind=kind, location=location, content_sha256=digest,
                records=connector.read(path), to_items=to_items,
                state={key: {"sha256": digest, "size": path.stat().st_size}}, whole_input=True,
            )
    finally:
        run.gate.close()
    return run.finish()


def ingest_surveys(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    source: str = "surveys",
    mapping: SurveyMapping | str | Path | None = None,
) -> list[LoadReport]:
    """Load survey exports (files or folders of .csv/.json/.jsonl) into raw and core; one report per file."""
    return ingest_files(engine, "survey", paths, source=source, mapping=mapping)


def ingest_imap(engine: Engine, source: str, settings: email.ImapSettings,
                options: email.EmailOptions | None = None, oversize: str = "quarantine") -> list[LoadReport]:
    """Load the messages of a mailbox newer than the stored UID; each batch is stored with its UID mark."""
    to_items = _email_items(source, options)
    state = read_state(engine, source, settings.state_key).get(settings.state_key)
    reader = email.ImapReader(settings, state)
    run = _GatedRun(engine, source, oversize)
    try:
        for batch in reader.batches():
            digest = hashlib.sha256("".join(r.hash for r in batch.records).encode()).hexdigest()
            run.load(
                engine=engine, source=source, kind="email", location=reader.location(batch.state["last_uid"]),
                content_sha256=digest, records=batch.records, to_items=to_items,
                state={settings.state_key: batch.state},
            )
    finally:
        run.gate.close()
    return run.finish()


CURSOR_KEY = "cursor"


def ingest_ticket_api(engine: Engine, source: str, settings: tickets.TicketApiSettings, mapping=None,
                      api: tickets.TicketApi | None = None, oversize: str = "quarantine") -> list[LoadReport]:
    """Load ticket export pages from the stored cursor to the end; each page is stored with the cursor after it."""
    to_items = _column_items(tickets, "ticket")(source, mapping)
    stored = read_state(engine, source, CURSOR_KEY).get(CURSOR_KEY) or {}
    client = api or tickets.TicketApi(settings)
    run = _GatedRun(engine, source, oversize)
    try:
        for page in client.pages(stored.get("after_cursor")):
            digest = hashlib.sha256("".join(r.hash for r in page.records).encode()).hexdigest()
            run.load(
                engine=engine, source=source, kind="ticket", location=tickets.page_url(settings.base_url,
                                                                                      page.after_cursor),
                content_sha256=digest, records=page.records, to_items=to_items,
                state={CURSOR_KEY: {"after_cursor": page.after_cursor, "end_of_stream": page.end_of_stream}},
            )
    finally:
        run.gate.close()
        if api is None:
            client.close()
    return run.finish()


def run_source(engine: Engine, config: SourceConfig, *, lookup: ConnectionLookup | None = None,
               skip_unchanged: bool = True) -> list[LoadReport]:
    """Run one configured source: its files, its ticket API or its IMAP mailbox. Return one report per input."""
    if config.locations:
        mapping = config.mapping
        if config.kind == "email":
            mapping = email_options(config.options)
        return ingest_files(engine, config.kind, config.locations, source=config.name, mapping=mapping,
                            skip_unchanged=skip_unchanged, oversize=config.oversize)
    secrets = resolve_secrets(config, lookup)
    if config.kind == "ticket":
        opts = config.options
        settings = tickets.TicketApiSettings(
            base_url=config.url, username=secrets.username, token=secrets.token or secrets.password,
            bearer=secrets.bearer, **{k: opts[k] for k in ("start_time", "timeout", "max_attempts", "backoff",
                                                           "max_backoff") if k in opts})
        return ingest_ticket_api(engine, config.name, settings, config.mapping, oversize=config.oversize)
    if config.kind == "email":
        parts = urlsplit(config.url)
        if not secrets.username or not secrets.password:
            raise SourcesError(f"{config.origin}: source {config.name!r}: IMAP needs a username and a password")
        opts = config.options
        settings = email.ImapSettings(
            host=parts.hostname, port=parts.port, ssl=parts.scheme == "imaps", username=secrets.username,
            password=secrets.password, mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
            **{k: opts[k] for k in ("batch_size", "timeout", "retries") if k in opts})
        return ingest_imap(engine, config.name, settings, email_options(opts), oversize=config.oversize)
    raise SourcesError(f"{config.origin}: source {config.name!r}: a {config.kind} source reads files")


def email_options(options: dict) -> email.EmailOptions:
    kwargs = {}
    if options.get("ignore_senders"):
        kwargs["ignore_senders"] = tuple(options["ignore_senders"])
    if options.get("languages"):
        kwargs["languages"] = tuple(options["languages"])
    return email.EmailOptions(**kwargs)
