"""A real Airflow, started the way users start it: ``make airflow``; then the same DAGs scaled out on Celery.

``make airflow`` runs the api-server, scheduler and dag-processor as separate processes (LocalExecutor),
with the metadata database on the test server. The test signs in through the REST API (JWT from
``/auth/token``), checks that every DAG family is listed without import errors, unpauses
``voc_ingest_reviews`` and ``voc_enrich``, triggers the ingestion through ``/api/v2/dags/{id}/dagRuns``
and waits until the asset it emits has run ``voc_enrich`` to success.

The scale-out run does the same with CeleryExecutor and the Redis broker on loopback; no worker is
started by ``make airflow`` there: the test starts one as a separate process, which names itself
through ``[core] hostname_callable``, so the mapped enrichment claims that carry its name ran on it.
Its warehouse must end up exactly as the LocalExecutor's. Every process is stopped, whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import URL, make_url

from tests.dags.airflow_env import needs_airflow
from tests.dags.sample import write_sample
from tests.helpers import REPO
from voc.pipeline.db import get_engine

pytestmark = [pytest.mark.airflow, needs_airflow]

REDIS_URL = os.environ.get("VOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
PASSWORD = "voc-test-password"
FAMILIES = {"voc_survey_pipeline", "voc_enrich", "voc_complaint_trends_daily", "voc_maintenance"}
STARTUP_SECONDS, RUN_SECONDS = 150, 120
DIGEST_SQL = """
SELECT f.source, f.source_item_key, e.sentiment_label, e.sentiment_compound, e.journey_stage, e.is_complaint,
       e.topics::text, e.taxonomy_version, e.nlp_version
FROM core.feedback_item AS f JOIN core.enrichment AS e USING (item_id)
ORDER BY f.source, f.source_item_key
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable() -> bool:
    url = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Api:
    """The Airflow REST API v2 with a JWT from the simple auth manager."""

    def __init__(self, url: str, user: str, password: str):
        self.url = url
        self.token = self.call("POST", "/auth/token", {"username": user, "password": password},
                               auth=False)["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, *, auth: bool = True):
        request = urllib.request.Request(self.url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                return json.loads(payload) if response.headers.get_content_type() == "application/json" else payload
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:2000]!r}") from None

    def wait_for_run(self, dag_id: str, *, run_id: str | None = None, run_type: str | None = None,
                     timeout: float = RUN_SECONDS) -> dict:
        """Wait until the run (by id, or the first of ``run_type``) is finished; fail loudly if it failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]
            run = next((r for r in runs if r["dag_run_id"] == run_id or (run_type and r["run_type"] == run_type)),
                       None)
            if run and run["state"] in ("success", "failed"):
                if run["state"] == "failed":
                    raise AssertionError(f"{dag_id} run failed: {self.task_instances(dag_id, run['dag_run_id'])}")
                return run
            time.sleep(1)
        raise AssertionError(f"no finished {dag_id} run ({run_id or run_type}) after {timeout:.0f}s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]


def _admin(server: URL):
    params = {"dbname": "postgres", "user": server.username, "password": server.password,
              "host": server.query.get("host", server.host), "port": server.port}
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    conn.autocommit = True
    return conn


@contextmanager
def databases(server: URL, template: str):
    """A fresh Airflow metadata database and a fresh migrated warehouse; both dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    metadata, warehouse = f"airflow_deploy_{suffix}", f"{template.removesuffix('_template')}_deploy_{suffix}"
    admin = _admin(server)
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{metadata}"')
            cur.execute(f'CREATE DATABASE "{warehouse}" TEMPLATE "{template}"')
        yield server.set(database=metadata), server.set(database=warehouse)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{metadata}" WITH (FORCE)')
            cur.execute(f'DROP DATABASE IF EXISTS "{warehouse}" WITH (FORCE)')
        admin.close()


def _stop(proc: subprocess.Popen, grace: float = 60) -> None:
    """SIGTERM the process group (make and the script, which stops its Airflow processes), then SIGKILL it."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _running_members(pgid: int) -> list[int]:
    """Pids of the processes of group ``pgid`` that still run. A zombie does not count: a child killed with its
    group's leader waits, dead, until its new parent reaps it, which on a loaded machine takes a moment."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if int(group) == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _kill_groups(pids: dict[str, int]) -> list[str]:
    """SIGKILL what is left of the process groups the script started; return the names whose group still had
    a running process."""
    alive = [name for name, pid in pids.items() if _running_members(pid)]
    for pid in pids.values():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


@contextmanager
def make_airflow(home: Path, env: dict[str, str], *args: str):
    """Run ``make airflow`` until the block ends; yield the script's ready file (URL, credentials, pids)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    home.mkdir(parents=True)
    ready, log = home / "ready.json", home / "make-airflow.log"
    venv = Path(sys.prefix)
    command = ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed-airflow", "-o",
               f"{venv}/.installed", "airflow",
               f"AIRFLOW_ARGS=--home {home} --port {free_port()} --ready-file {ready} {' '.join(args)}"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    pids: dict[str, int] = {}
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"make airflow did not come up:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        info = json.loads(ready.read_text())
        pids = info["pids"]
        yield info
    finally:
        _stop(proc)
        leftovers = _kill_groups(pids)
        assert not leftovers, f"processes left running after make airflow stopped: {leftovers}"
        assert "stopped every Airflow process" in log.read_text(), log.read_text()[-4000:]


@contextmanager
def celery_worker(home: Path, env: dict[str, str], queue: str, name: str):
    """A Celery worker as its own process, configured from the env file ``make airflow`` wrote."""
    settings = {}
    for line in (home / "airflow.env").read_text().splitlines():
        key, _, value = line.partition("=")
        settings[key] = value.strip("'")
    log = home / "celery-worker.log"
    worker_env = {**env, **settings, "VOC_TEST_WORKER_NAME": name, "PYTHONPATH": str(REPO),
                  "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.dags.worker_identity.hostname"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", "celery", "worker", "--queues", queue, "--concurrency", "2",
             "--celery-hostname", f"{name}@%h", "--skip-serve-logs", "--without-gossip", "--without-mingle"],
            cwd=REPO, env=worker_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the Celery worker did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield log
    finally:
        _stop(proc, grace=30)


@dataclass
class Deployment:
    """What one deployment did: the DAGs it listed, its runs and task instances, and the warehouse it left."""

    dag_ids: set[str]
    import_errors: int
    ui_page: bytes
    ingest_run: dict
    enrich_run: dict
    enrich_tis: list[dict]
    items: int
    digest: list[tuple]
    worker_log: str = ""
    extra: dict = field(default_factory=dict)


def deploy(server: URL, template: str, workdir: Path, *, celery: bool) -> Deployment:
    """Start Airflow, trigger ``voc_ingest_reviews`` through the REST API, wait for the asset-triggered enrich."""
    sample = write_sample(workdir / "sample")
    queue = f"voc_test_{uuid.uuid4().hex[:8]}"
    with databases(server, template) as (metadata, warehouse):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VOC_", "_AIRFLOW"))}
        env.update(
            VOC_HOME=str(workdir / "voc-home"),
            VOC_AIRFLOW_DATABASE_URL=metadata.render_as_string(hide_password=False),
            VOC_DATABASE_URL=warehouse.set(drivername="postgresql").render_as_string(hide_password=False),
            VOC_SOURCES_CONFIG=str(sample.sources_file),
            VOC_AIRFLOW_PASSWORD=PASSWORD,
            VOC_ENRICH_PARTITIONS="2",
            VOC_ENRICH_BATCH_SIZE="50",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        )
        args = []
        if celery:
            env.update(AIRFLOW__CELERY__BROKER_URL=REDIS_URL, AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue)
            args = ["--executor", "CeleryExecutor", "--celery-workers", "0"]
        home = workdir / "airflow-home"
        with make_airflow(home, env, *args) as info:
            worker = celery_worker(home, env, queue, f"voc-test-worker-{queue}") if celery else None
            worker_log = worker.__enter__() if worker else None
            try:
                api = Api(info["url"], info["user"], PASSWORD)
                dags = api.call("GET", "/api/v2/dags?limit=100")["dags"]
                import_errors = api.call("GET", "/api/v2/importErrors")["total_entries"]
                ui_page = api.call("GET", "/", auth=False)
                for dag_id in ("voc_ingest_reviews", "voc_enrich"):
                    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                triggered = api.call("POST", "/api/v2/dags/voc_ingest_reviews/dagRuns", {"logical_date": None})
                ingest_run = api.wait_for_run("voc_ingest_reviews", run_id=triggered["dag_run_id"])
                enrich_run = api.wait_for_run("voc_enrich", run_type="asset_triggered")
                enrich_tis = api.task_instances("voc_enrich", enrich_run["dag_run_id"])
            finally:
                if worker:
                    worker.__exit__(None, None, None)
        engine = get_engine(warehouse)
        try:
            with engine.connect() as conn:
                digest = [tuple(row) for row in conn.exec_driver_sql(DIGEST_SQL)]
                items = conn.exec_driver_sql("SELECT count(*) FROM core.feedback_item").scalar_one()
        finally:
            engine.dispose()
    return Deployment({dag["dag_id"] for dag in dags}, import_errors, ui_page, ingest_run, enrich_run, enrich_tis,
                      items, digest, worker_log.read_text(errors="replace") if worker_log else "")


def celery_unavailable() -> str | None:
    """Why the Celery deployment cannot run here, or None."""
    if find_spec("airflow.providers.celery") is None:
        return "needs apache-airflow-providers-celery (the airflow extra)"
    if not redis_reachable():
        return f"no Redis answering at {REDIS_URL} (set VOC_TEST_REDIS_URL)"
    return None


@pytest.fixture(scope="module")
def deployments(server_url, template_db, tmp_path_factory) -> dict:
    """Both deployments, started side by side: they share nothing but the PostgreSQL and Redis servers.

    Each value is a ``Deployment``, the exception its start raised, or (Celery) why it could not run.
    """
    jobs = {"local": False} | ({} if celery_unavailable() else {"celery": True})
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(deploy, server_url, template_db, tmp_path_factory.mktemp(name), celery=celery)
                   for name, celery in jobs.items()}
    results: dict = {"celery": celery_unavailable()}
    for name, future in futures.items():
        try:
            results[name] = future.result()
        except BaseException as exc:  # re-raised by the test that needs it (skips included)
            results[name] = exc
    return results


def deployment(deployments: dict, name: str) -> Deployment:
    result = deployments[name]
    if isinstance(result, BaseException):
        raise result
    if isinstance(result, str):
        pytest.skip(result)
    return result


def test_make_airflow_lists_every_dag_family_and_runs_ingest_then_enrich_through_the_rest_api(deployments):
    local = deployment(deployments, "local")
    assert FAMILIES <= local.dag_ids
    assert {"voc_ingest_reviews", "voc_ingest_surveys"} <= local.dag_ids
    assert local.import_errors == 0
    assert b"<html" in local.ui_page.lower()
    assert local.ingest_run["state"] == "success" and local.ingest_run["triggered_by"] == "rest_api"
    assert local.enrich_run["state"] == "success"
    claims = [ti for ti in local.enrich_tis if ti["task_id"] == "enrich"]
    assert sorted(ti["map_index"] for ti in claims) == [0, 1]
    assert {(ti["state"], ti["pool"]) for ti in claims} == {("success", "voc_nlp")}
    assert local.items > 0 and len(local.digest) == local.items, "every loaded item is tagged once"


def test_celery_worker_runs_the_mapped_claims_and_leaves_the_warehouse_as_local_executor_does(deployments):
    celery = deployment(deployments, "celery")
    local = deployment(deployments, "local")
    assert celery.enrich_run["state"] == "success"
    worker = next(ti["hostname"] for ti in celery.enrich_tis if ti["task_id"] == "plan")
    assert worker.startswith("voc-test-worker-"), "plan did not run on the test's Celery worker"
    claims = [ti for ti in celery.enrich_tis if ti["task_id"] == "enrich"]
    assert sorted(ti["map_index"] for ti in claims) == [0, 1]
    assert {(ti["state"], ti["hostname"], ti["pool"]) for ti in claims} == {("success", worker, "voc_nlp")}
    assert {ti["hostname"] for ti in celery.enrich_tis} == {worker}
    workload = r"Executing workload in Celery: .*?task_id='(\w+)', dag_id='voc_enrich'.*?map_index=(-?\d+)"
    executed = set(re.findall(workload, celery.worker_log))
    assert {("plan", "-1"), ("enrich", "0"), ("enrich", "1"), ("publish", "-1")} <= executed
    assert celery.digest == local.digest
