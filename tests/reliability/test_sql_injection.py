"""SQL injection: hostile strings through every user-controlled value - source names, column mappings and their
constants, identifiers in the data, CLI arguments - are stored or looked up as data, never run. And a static
check: SQL in the pipeline is built with bound parameters or ``psycopg2.sql``; an f-string or ``%``/``format``
interpolation into SQL is allowed only for the reviewed constants listed here."""

from __future__ import annotations

import ast
import csv
import os
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from tests.helpers import REPO
from tests.reliability.harness import snapshot
from voc.pipeline.cli import app
from voc.pipeline.customers import load_crm_links, resolve_customers
from voc.pipeline.forget import forget
from voc.pipeline.ingest import ingest_files
from voc.pipeline.quarantine import list_quarantine

SUITE = "SQL injection"
INJECTIONS = [
    "x'; DROP TABLE raw.record; --",
    'x"; DROP SCHEMA core CASCADE; --',
    "x') OR ('1'='1",
    "$$; DROP TABLE core.feedback_item; $$",
    "x'; SELECT pg_sleep(3); --",
    "%s %(x)s {} {0}",
    "Robert'); DELETE FROM raw.load_batch; --",
    "x\\'; TRUNCATE mart.complaint_trend_daily; --",
    "x'::text; COMMIT; DROP TABLE raw.quarantine; --",
]
# Loading runs the quality gate (a few tenths of a second a batch): every other string goes through a load and
# the command line, all of them through the CRM links and identity resolution.
LOADED = list(enumerate(INJECTIONS))[::2]


def _tables(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname IN"
                                    " ('raw', 'core', 'mart', 'public') ORDER BY 1").scalars().all()


def _cli(env, *args):
    return subprocess.run([sys.executable, "-m", "voc.pipeline.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_hostile_strings_through_every_user_controlled_value_are_data(engine, db_env, tmp_path, ledger):
    tables = _tables(engine)
    started = time.monotonic()
    cases = 0
    for n, evil in LOADED:
        # a source name, a survey-mapping column name and constant, and identifiers in the data
        survey = tmp_path / f"survey_{n}.csv"
        with survey.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", evil, "when", "customer"])
            writer.writerow([f"r{n}", f"late parcel {evil}", "2026-10-01 10:00:00", evil])
        mapping = tmp_path / f"survey_{n}.yaml"
        mapping.write_text(f"version: 1\nresponse_id: id\noccurred_at: when\ntexts: [{_yaml(evil)}]\n"
                           f"survey_id_value: {_yaml(evil)}\ncustomer: {{customer_id: customer}}\n")
        [report] = ingest_files(engine, "survey", [survey], source=evil, mapping=mapping)
        assert (report.loaded, report.items) == (1, 1), report
        assert list_quarantine(engine, source=evil) == []
        cases += 3
        if n % 4:  # every batch runs the quality gate: a few column mappings are enough
            continue
        # a column mapping (review) whose columns and constants are hostile
        reviews = tmp_path / f"reviews_{n}.csv"
        with reviews.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([evil, "date", "body", "author"])
            writer.writerow([f"rv{n}", "2026-10-01T10:00:00Z", evil, evil])
        [report] = ingest_files(engine, "review", [reviews], source=f"reviews_{n}",
                                mapping={"columns": {"id": evil}, "values": {"product": evil}})
        assert (report.loaded, report.items) == (1, 1), report
        cases += 1
    crm = tmp_path / "crm.csv"
    with crm.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["customer_id", "handle"], *[[evil, evil] for evil in INJECTIONS]])
    load_crm_links(engine, crm, source=INJECTIONS[0])
    resolve_customers(engine)
    cases += 2
    with engine.connect() as conn:
        sources = set(conn.exec_driver_sql("SELECT source FROM core.feedback_item").scalars())
        keys = set(conn.exec_driver_sql("SELECT identifier FROM core.customer_identifier").scalars())
        products = set(conn.exec_driver_sql("SELECT product FROM core.item_context").scalars())
    assert {e for _, e in LOADED} <= sources and set(INJECTIONS[::4]) <= products  # stored verbatim, as data
    assert {f"customer_id:{evil}" for evil in INJECTIONS} <= keys

    # CLI arguments, through the real command-line parser (in process: 45 runs of `voc` would take minutes)
    before = snapshot(engine)
    runner = CliRunner()
    for n, evil in LOADED:
        for args in (["quarantine", "list", "--source", evil], ["quarantine", "replay", "--source", evil],
                     ["forget", "--customer", evil, "--dry-run"], ["forget", "--email", f"{evil}@example.com"],
                     ["ingest", "survey", str(tmp_path / f"survey_{n}.csv"), "--source", evil, "--mapping",
                      str(tmp_path / f"survey_{n}.yaml")]):
            done = runner.invoke(app, args, env={"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"]})
            assert done.exit_code in (0, 2), (args, done.output, done.exception)  # 2: not an e-mail address
            cases += 1
    done = _cli(db_env, "quarantine", "list", "--source", INJECTIONS[0])  # and once as a real process
    assert done.returncode == 0 and "quarantine is empty" in done.stdout, done.stderr
    after = snapshot(engine)
    assert after == before  # none of them changed anything (the ingest re-read a known file)

    # erasing a customer whose key is an injection string removes exactly that customer's items
    with engine.connect() as conn:
        key = conn.exec_driver_sql("SELECT customer_key FROM core.customer_identifier WHERE identifier = %s",
                                   (f"customer_id:{INJECTIONS[0]}",)).scalar_one()
    report = forget(engine, customer=key)
    assert report.found and report.counts["core.feedback_item"] >= 1
    cases += 1
    elapsed = time.monotonic() - started
    ledger.add(SUITE, cases=cases, faults=cases)
    assert _tables(engine) == tables  # nothing dropped
    assert elapsed < 60 + len(INJECTIONS)  # no pg_sleep ran (and the CLI calls are quick)


def _yaml(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_analyst_login_names_are_identifiers_not_sql(engine, db_env, ledger):
    evil = 'voc_evil"; DROP TABLE raw.record; --'
    env = {**db_env, "VOC_TEST_PW": "pw'; DROP TABLE raw.record; --"}
    done = _cli(env, "db", "grant-analyst", evil, "--password-env", "VOC_TEST_PW")
    try:
        assert done.returncode == 0, done.stderr
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (evil,)).scalar_one() == 1
            assert conn.exec_driver_sql("SELECT to_regclass('raw.record') IS NOT NULL").scalar_one()
    finally:
        with engine.begin() as conn:  # roles are server-wide: leave none behind
            conn.exec_driver_sql('DROP ROLE IF EXISTS "voc_evil""; DROP TABLE raw.record; --"')
    ledger.add(SUITE, cases=1, faults=1)


# -- static check ------------------------------------------------------------------------------------------------

# (file, interpolated expression) -> why it is safe. Anything else interpolated into SQL fails the test.
REVIEWED = {
    ("pipeline/publish.py", "name"): "LAYER_TABLES, a constant tuple of table names",
    ("pipeline/extract/data.py", "', '.join(TREND_COLUMNS)"): "a constant tuple of column names",
    ("pipeline/db/views.py", "name"): "layer.view of a .sql file shipped in the package",
    ("pipeline/db/roles.py", "ANALYST_ROLE"): "a constant role name",
    ("pipeline/db/embedded.py", "url.database"): "the embedded server's database name, a constant or a test's name",
    ("pipeline/quality/queries.py", "day.isoformat()"): "a datetime.date rendered as ISO 8601",
    # Great Expectations runs literal SQL (no bound parameters): the quality gate's queries interpolate these.
    ("pipeline/quality/queries.py", "load"): "int(load_id)",
    ("pipeline/quality/queries.py", "REJECTED_FOR.strip()"): "a constant CASE expression",
    **{("pipeline/quality/queries.py", f"_rejected_score({field!r})"): "a constant score name"
       for field in ("nps", "csat", "ces", "rating")},
    ("pipeline/load.py", "', '.join(ITEM_COLUMNS)"): "a constant tuple of column names",
    # the benchmark harness (not the pipeline): generated database names, identifiers quoted by the library
    ("pipeline/bench/run.py", "self.name"): "voc_bench_<random hex>, generated",
    ("pipeline/bench/references.py", "client.fully_qualified_dataset_name()"): "quoted by the dlt SQL client",
    ("pipeline/bench/references.py", "client.make_qualified_table_name(t)"): "quoted by the dlt SQL client",
}
SQL_CALLS = {"execute", "exec_driver_sql", "text", "executemany", "execute_values"}
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "DROP ", "ALTER ", "GRANT ", "TRUNCATE ")


def _interpolations(path) -> list[tuple[int, str]]:
    """(line, expression) of every value interpolated into SQL text in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, direct = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in SQL_CALLS and node.args:
                first = node.args[0]
                direct.add(id(first))
                if isinstance(first, ast.BinOp) and isinstance(first.op, ast.Mod | ast.Add):
                    found.append((node.lineno, ast.unparse(first)))
                elif isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) \
                        and first.func.attr == "format" and not _is_psycopg_sql(first.func.value):
                    found.append((node.lineno, ast.unparse(first)))
    for node in ast.walk(tree):  # an f-string passed to an SQL call, or one that reads as SQL wherever it goes
        if isinstance(node, ast.JoinedStr):
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if id(node) in direct or literal.lstrip().upper().startswith(SQL_WORDS):
                found += [(node.lineno, ast.unparse(v.value)) for v in node.values if isinstance(v, ast.FormattedValue)]
    return found


def _is_psycopg_sql(node) -> bool:
    return isinstance(node, ast.Call) and ast.unparse(node.func) in ("sql.SQL", "psycopg2.sql.SQL")


@pytest.mark.parametrize("package", ["pipeline", "nlp"])
def test_sql_is_built_with_bound_parameters_or_psycopg2_sql(package, ledger):
    files = [p for p in (REPO / package).rglob("*.py") if "migrations" not in p.parts and "__pycache__" not in p.parts]
    unreviewed = []
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        for line, expression in _interpolations(path):
            if (rel, expression) not in REVIEWED:
                unreviewed.append(f"{rel}:{line}: {expression}")
    ledger.add("SQL built with parameters (static)", cases=len(files))
    assert not unreviewed, ("SQL built by string interpolation; use bound parameters or psycopg2.sql "
                            "(or add a reviewed constant to REVIEWED):\n" + "\n".join(unreviewed))


def test_the_static_check_sees_an_f_string_in_sql(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(cur, source):\n    cur.execute(f\"SELECT * FROM raw.record WHERE source = '{source}'\")\n"
                   "    cur.execute(\"DELETE FROM x WHERE y = '%s'\" % source)\n")
    assert sorted(e for _, e in _interpolations(bad)) == ["\"DELETE FROM x WHERE y = '%s'\" % source", "source"]
    assert os.path.exists(REPO / "pipeline" / "load.py")
