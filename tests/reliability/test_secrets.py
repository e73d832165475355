"""Secrets never appear in logs, errors, the CLI's output or the load log: a warehouse DSN with a password that
cannot connect (or cannot even be parsed), a ticket API refusing a token, an IMAP login refused, a source URL
carrying credentials, an Airflow connection URI. Every log record (DEBUG and up), every exception message and
every text column of the warehouse is searched for the secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.pipeline.connectors.imap_server import USER, Dovecot
from tests.pipeline.connectors.ticket_server import TicketApiServer
from tests.reliability.test_erasure import scan_database
from voc.pipeline.cli import app
from voc.pipeline.connectors.email import ImapError, ImapReader, ImapSettings
from voc.pipeline.connectors.tickets import TicketApiError, TicketApiSettings
from voc.pipeline.db import get_engine
from voc.pipeline.ingest import ingest_ticket_api, run_source
from voc.pipeline.sources import SourcesError, parse_sources

SUITE = "secrets never logged"
SECRET = "S3cr3t-Pw-7f9c"
UNREACHABLE = [
    f"postgresql://voc_user:{SECRET}@127.0.0.1:1/voc",  # nothing listens: connection refused
    f"postgresql://voc_user:{SECRET}@no-such-host.invalid/voc",  # name does not resolve
]
MALFORMED = [
    f"postgresql://voc_user:{SECRET}@127.0.0.1:notaport/voc",  # unparsable port
    f"mysql://voc_user:{SECRET}@127.0.0.1/voc",  # not PostgreSQL
    f"postgresql://voc_user:{SECRET}@[::1/voc",  # broken IPv6 literal
]
DSNS = UNREACHABLE + MALFORMED
@pytest.fixture
def everything_logged(caplog):
    """Every log record of every logger at DEBUG, for the test to search. The HTTP loggers too, even when an
    earlier test's library (Airflow's logging setup) gave them a level of their own."""
    from voc.pipeline.connectors.http_logs import HTTP_LOGGERS

    caplog.set_level(logging.DEBUG)
    for name in HTTP_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _leaks(*texts: str) -> int:
    return sum(text.count(SECRET) for text in texts if text)


def _voc(dsn: str, tmp_path, every_command: bool = False) -> list[subprocess.CompletedProcess]:
    """Run ``voc ingest`` (and, with ``every_command``, ``publish`` and ``forget``) against the warehouse ``dsn``."""
    survey = tmp_path / "s.csv"
    survey.write_text("response_id,submitted_at,comment\nA,2026-10-01,late\n")
    env = {**os.environ, "VOC_DATABASE_URL": dsn}
    commands = (["ingest", "survey", str(survey)], ["publish"], ["forget", "--email", "ann@example.com"])
    return [subprocess.run([sys.executable, "-m", "voc.pipeline.cli", *args], env=env, capture_output=True,
                           text=True, timeout=60) for args in commands[:None if every_command else 1]]


@pytest.mark.parametrize("dsn", DSNS)
def test_a_warehouse_password_never_reaches_the_cli_output(dsn, tmp_path, ledger):
    """One DSN through real ``voc`` processes (ingest, publish, forget); the others through the same command line
    in this process (starting Python 15 times would take most of this suite's time)."""
    if dsn == DSNS[0]:
        runs = _voc(dsn, tmp_path, every_command=True)
        outputs, codes = [t for r in runs for t in (r.stdout, r.stderr)], [r.returncode for r in runs]
    else:
        survey = tmp_path / "s.csv"
        survey.write_text("response_id,submitted_at,comment\nA,2026-10-01,late\n")
        done = CliRunner().invoke(app, ["ingest", "survey", str(survey)], env={"VOC_DATABASE_URL": dsn})
        outputs, codes = [done.output, repr(done.exception), str(done.exception)], [done.exit_code]
    leaks = _leaks(*outputs)
    ledger.add(SUITE, cases=len(codes), faults=len(codes), leaks=leaks)
    assert leaks == 0, outputs
    assert all(code in (1, 2) for code in codes), outputs  # failed, and said so
    if dsn == DSNS[0]:
        assert all(r.stderr.startswith("error: cannot reach the warehouse") for r in runs), runs


def test_a_malformed_warehouse_url_gets_a_clean_error(tmp_path, ledger):
    """Was a known bug: a VOC_DATABASE_URL that cannot be parsed (bad port, other scheme, broken IPv6) ended
    ``voc publish``/``voc forget`` in a traceback. Now every command says so on one line and exits 2: one URL
    through real ``voc`` processes (main's catch: ``voc db url`` resolves the URL itself), the others in process."""
    runs = _voc(MALFORMED[0], tmp_path, every_command=True)
    runs.append(subprocess.run([sys.executable, "-m", "voc.pipeline.cli", "db", "url"], capture_output=True,
                               text=True, timeout=60, env={**os.environ, "VOC_DATABASE_URL": MALFORMED[0]}))
    outputs, exceptions = [(r.returncode, r.stdout + r.stderr) for r in runs], []
    for dsn in MALFORMED[1:]:
        for args in (["publish"], ["forget", "--email", "ann@example.com"]):
            done = CliRunner().invoke(app, args, env={"VOC_DATABASE_URL": dsn})
            outputs.append((done.exit_code, done.output))
            exceptions.append(repr(done.exception))
    leaks = _leaks(*(text for _, text in outputs), *exceptions)
    ledger.add(SUITE, cases=len(outputs), faults=len(outputs), leaks=leaks)
    assert leaks == 0 and all(e == "SystemExit(2)" for e in exceptions), exceptions
    for code, text in outputs:
        assert code == 2 and text.startswith("error: the warehouse URL ") and "Traceback" not in text, text
        assert len(text.split("error: ")[1].strip().splitlines()) == 1 and SECRET not in text, text


@pytest.mark.parametrize("dsn", DSNS)
def test_a_warehouse_password_never_reaches_logs_or_exceptions(dsn, everything_logged, ledger):
    messages = []
    try:
        engine = get_engine(dsn)
        messages.append(repr(engine))
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - every failure is searched
        messages += [str(exc), repr(exc)]
    leaks = _leaks(*messages, everything_logged.text)
    ledger.add(SUITE, cases=1, faults=1, leaks=leaks)
    assert leaks == 0, messages


@pytest.fixture
def api():
    server = TicketApiServer(tickets=3, page_size=3)
    yield server
    server.stop()


def test_a_ticket_api_token_never_reaches_logs_errors_or_the_load_log(engine, api, everything_logged, ledger,
                                                                      monkeypatch):
    settings = TicketApiSettings(base_url=api.url, username="agent@acme.example", token=SECRET, timeout=0.3,
                                 backoff=0.01, max_backoff=0.02, max_attempts=3)
    api.fail("/api/v2/tickets/2/comments.json", "500", times=99)
    with pytest.raises(TicketApiError) as failed:
        ingest_ticket_api(engine, "zendesk", settings)
    messages = [str(failed.value), repr(settings)]
    # the token from an Airflow connection URI
    host = api.url.removeprefix("http://")
    monkeypatch.setenv("AIRFLOW_CONN_ZENDESK", f"http://agent%40acme.example:{SECRET}@{host}")
    [config] = parse_sources(f"version: 1\nsources:\n  - name: zendesk_conn\n    kind: ticket\n    url: {api.url}\n"
                             f"    credentials: {{airflow_conn_id: zendesk}}\n")
    api.faults.clear()
    reports = run_source(engine, config)
    messages += [str(r) for r in reports] + [repr(config)]
    stored = scan_database(engine, __import__("re").compile(SECRET))
    leaks = _leaks(*messages, everything_logged.text) + len(stored)
    ledger.add(SUITE, cases=2, faults=2, leaks=leaks)
    assert not stored, stored  # raw.load_batch.location (the load log), source state, payloads
    assert leaks == 0, [m for m in messages if SECRET in m] or everything_logged.text


@pytest.mark.parametrize("url", [f"https://agent:{SECRET}@acme.zendesk.example", f"https://{SECRET}@acme.example",
                                 f"imaps://ann:{SECRET}@mail.example/INBOX", f"https://agent:{SECRET}@acme.example:x"])
def test_credentials_inside_a_source_url_are_refused_without_repeating_them(url, tmp_path):
    """Was a known bug: sources.yaml accepted them, httpx logged them with every request URL and the comments
    pages were refused as 'not on' the base URL, repeating the secret."""
    kind = "email" if url.startswith("imaps") else "ticket"
    with pytest.raises(SourcesError) as refused:
        parse_sources(f"version: 1\nsources:\n  - name: zendesk\n    kind: {kind}\n    url: {url}\n",
                      base=tmp_path)
    message = str(refused.value)
    assert SECRET not in message and message.startswith("sources.yaml:5: sources[0].url: must not"), message
    assert "credentials" in message and "airflow_conn_id" in message, message
    with pytest.raises(TicketApiError) as refused:
        TicketApiSettings(base_url=f"https://agent:{SECRET}@acme.example", username="u", token="t")
    assert SECRET not in str(refused.value)


def test_httpx_and_httpcore_never_log_url_credentials_or_auth_headers(api, everything_logged, ledger):
    """The second line behind the config check: a client built by hand with credentials in its URL, a real HTTP
    server, every httpx/httpcore record at DEBUG (request URLs, response headers) searched for the secret."""
    import httpx

    import voc.pipeline.connectors.tickets  # noqa: F401 - installs the log filter, as every ticket API run does

    host = api.url.removeprefix("http://")
    with httpx.Client(base_url=f"http://agent:{SECRET}@{host}") as client:
        client.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0},
                   headers={"Cookie": f"session={SECRET}"})
    http_records = [r for r in everything_logged.records if r.name.startswith(("httpx", "httpcore"))]
    leaks = _leaks(everything_logged.text, *(r.getMessage() for r in http_records))
    ledger.add(SUITE, cases=1, faults=1, leaks=leaks)
    assert http_records and any("***@" in r.getMessage() for r in http_records), everything_logged.text
    assert leaks == 0, everything_logged.text


def test_an_imap_password_never_reaches_logs_or_errors(everything_logged, ledger):
    server = Dovecot()
    try:
        settings = ImapSettings(host="127.0.0.1", port=server.port, ssl=False, username=USER, password=SECRET,
                                timeout=5, retries=1, backoff=0.01)
        with pytest.raises(ImapError) as refused:
            list(ImapReader(settings).batches())
        messages = [str(refused.value), repr(settings), server.log()]
    finally:
        server.stop()
    leaks = _leaks(*messages, everything_logged.text)
    ledger.add(SUITE, cases=1, faults=1, leaks=leaks)
    assert "login refused" in messages[0] and leaks == 0, messages
