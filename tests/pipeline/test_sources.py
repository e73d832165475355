"""sources.yaml: parsing, located errors, credentials from the environment or an Airflow connection, CLI runs."""

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO, count
from voc.pipeline.sources import SourcesError, load_sources, parse_sources, resolve_secrets

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def test_the_example_file_is_valid():
    configs = {c.name: c for c in load_sources(REPO / "sources.example.yaml")}
    assert {c.kind for c in configs.values()} == {"survey", "social", "email", "ticket", "review"}
    assert configs["web_nps"].locations == ((REPO / "drop" / "surveys").resolve(),)
    assert configs["zendesk"].credentials.airflow_conn_id == "zendesk_default"
    assert configs["app_reviews"].mapping["values"] == {"product": "Acme app"}
    assert configs["social_listening_csv"].enabled is False
    assert configs["support_inbox"].origin.endswith("sources.example.yaml:34")


@pytest.mark.parametrize(("text", "message"), [
    ("sources: []", "sources.yaml:1: sources: must be a non-empty list of sources"),
    ("sources:\n  - name: a\n    kind: chat\n    location: x", "sources.yaml:3: sources[0].kind: must be one of"),
    ("sources:\n  - name: Bad Name\n    kind: review\n    location: x", "sources.yaml:2: sources[0].name: must be"),
    ("sources:\n  - name: a\n    kind: review\n    location: x\n  - name: a\n    kind: social\n    location: y",
     "sources.yaml:5: sources[1].name: 'a' is already used by sources[0]"),
    ("sources:\n  - name: z\n    kind: ticket\n    url: ftp://x\n", "sources.yaml:4: sources[0].url: must be a http"),
    ("sources:\n  - name: z\n    kind: ticket\n    url: https://x\n    credentials:\n      token: abc\n",
     "sources.yaml:6: sources[0].credentials.token: secrets never go in this file"),
    ("sources:\n  - name: z\n    kind: review\n    location: x\n    mapping: nope.yaml\n",
     "sources.yaml:5: sources[0].mapping:"),
    ("sources:\n  - name: z\n    kind: review\n    location: x\n    schedule: sometimes\n",
     "sources.yaml:5: sources[0].schedule: must be a cron expression"),
    ("sources:\n  - name: z\n    kind: email\n    location: x\n    options: {colour: red}\n",
     "sources.yaml:5: sources[0].options.colour: is not an option of email sources"),
    ("sources:\n  - name: z\n    kind: review\n", "sources.yaml:2: sources[0]: needs exactly one of `location`"),
    ("sources:\n  - name: z\n    kind: review\n    location: x\n    oversize: cut\n",
     "sources.yaml:5: sources[0].oversize: must be quarantine or truncate, got 'cut'"),
    ("sources:\n  - name: z\n   kind: review\n", "sources.yaml:3: not valid YAML"),
])
def test_mistakes_are_reported_with_file_line_and_key(text, message, tmp_path):
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "sources.yaml", tmp_path)
    assert str(info.value).startswith(message), str(info.value)


def test_credentials_come_from_environment_variables_or_an_airflow_connection(tmp_path):
    [by_env, by_conn] = parse_sources(
        "sources:\n"
        "  - {name: a, kind: email, url: 'imaps://h/INBOX', credentials: {username_env: U, password_env: P}}\n"
        "  - {name: b, kind: ticket, url: 'https://h', credentials: {airflow_conn_id: zendesk_default}}\n")
    secrets = resolve_secrets(by_env, environ={"U": "me", "P": "pw"})
    assert (secrets.username, secrets.password) == ("me", "pw") and "pw" not in repr(secrets)
    with pytest.raises(SourcesError, match="environment variable P is not set"):
        resolve_secrets(by_env, environ={"U": "me"})
    uri = {"AIRFLOW_CONN_ZENDESK_DEFAULT": "https://agent%40acme.example:tok%2Fen@acme.zendesk.com"}
    secrets = resolve_secrets(by_conn, environ=uri)
    assert (secrets.username, secrets.password) == ("agent@acme.example", "tok/en")
    as_json = {"AIRFLOW_CONN_ZENDESK_DEFAULT": json.dumps({"conn_type": "http", "login": "agent",
                                                           "extra": {"token": "t"}})}
    assert resolve_secrets(by_conn, environ=as_json).token == "t"
    assert resolve_secrets(by_conn, lookup=lambda cid: {"login": cid, "password": "x"}).username == "zendesk_default"
    class Connection:  # the shape of airflow.models.Connection, which pipeline/ never imports
        login, password, extra_dejson = "agent", None, {"token": "from-extra"}

    assert resolve_secrets(by_conn, lookup=lambda cid: Connection()).token == "from-extra"
    with pytest.raises(SourcesError, match="AIRFLOW_CONN_ZENDESK_DEFAULT is not set"):
        resolve_secrets(by_conn, environ={})


def _voc(*args, env, check=True):
    result = subprocess.run([*VOC, *args], env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"voc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def test_cli_runs_configured_sources_and_a_rerun_adds_nothing(db_env, engine, tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "r.csv").write_text("review_id,date,rating,body,author\nR1,2026-10-01,2,Broke,bob\n"
                                                "R2,2026-10-02,9,Too many stars,amy\n", encoding="utf-8")
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "p.csv").write_text("id,created_at,text,author_handle\nP1,2026-10-01,Late again,@bob\n",
                                              encoding="utf-8")
    config = tmp_path / "sources.yaml"
    config.write_text("version: 1\nsources:\n  - {name: app_reviews, kind: review, location: reviews}\n"
                      "  - {name: social_csv, kind: social, location: posts}\n", encoding="utf-8")
    first = _voc("ingest", "--config", str(config), env=db_env).stdout
    assert "== app_reviews (review)" in first and "read 2, loaded 1, duplicate 0, quarantined 1" in first
    assert count(engine, "core.feedback_item") == 2
    second = _voc("ingest", "--config", str(config), "--source", "social_csv", "--json", env=db_env).stdout
    assert json.loads(second)["sources"]["social_csv"][0]["skipped"] is True
    assert count(engine, "core.feedback_item") == 2
    bad = _voc("ingest", "--config", str(config), "--source", "nope", env=db_env, check=False)
    assert bad.returncode == 2 and "no source named 'nope'" in bad.stderr


def test_cli_exits_1_when_a_source_cannot_be_read_and_still_runs_the_others(db_env, engine, tmp_path):
    (tmp_path / "r.csv").write_text("review_id,date,rating,body\nR1,2026-10-01,4,Fine\n", encoding="utf-8")
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n"
                      "  - {name: helpdesk, kind: ticket, url: 'http://127.0.0.1:1',"
                      " options: {max_attempts: 2, backoff: 0.01, timeout: 1}}\n"
                      "  - {name: reviews, kind: review, location: r.csv}\n", encoding="utf-8")
    result = _voc("ingest", "--config", str(config), env=db_env, check=False)
    assert result.returncode == 1
    assert "error: source helpdesk:" in result.stderr and "gave up after 2 attempts" in result.stderr
    assert count(engine, "core.feedback_item") == 1


def test_the_oversize_policy_is_per_source_and_reaches_the_loader(db_env, engine, tmp_path):
    """``oversize: truncate`` on one source keeps its 60,000-character post (flagged); the other source, on the
    default policy, quarantines the same post."""
    from voc.pipeline import load, sources

    assert sources.OVERSIZE_POLICIES == load.OVERSIZE_POLICIES  # sources.py keeps its own copy: keep them equal
    post = {"id": "1", "text": "late " * 12_000, "author_id": "9", "created_at": "2026-10-20T10:00:00Z"}
    long_post = {"data": [post]}
    for folder in ("cut", "kept"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "p.jsonl").write_text(json.dumps(long_post) + "\n", encoding="utf-8")
    config = tmp_path / "sources.yaml"
    config.write_text("version: 1\nsources:\n  - {name: cut, kind: social, location: cut, oversize: truncate}\n"
                      "  - {name: kept, kind: social, location: kept}\n", encoding="utf-8")
    assert [c.oversize for c in load_sources(config)] == ["truncate", "quarantine"]
    out = json.loads(_voc("ingest", "--config", str(config), "--json", env=db_env).stdout)["sources"]
    assert (out["cut"][0]["truncated"], out["cut"][0]["quarantined"]) == (1, 0)
    assert (out["kept"][0]["truncated"], out["kept"][0]["quarantined"]) == (0, 1)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT source, length(text), is_truncated FROM mart.customer_story").all() == [
            ("cut", 50_000, True)]
