"""COPY + merge: what arrives through COPY text format is what ``execute_values`` parameters would store,
and ``update`` turns the merge into an upsert. The encoder's escaping of single values is checked against the
one-mapping reference in test_load_fast_paths.py."""

from psycopg2.extras import Json, execute_values

from voc.pipeline.copy_merge import copy_merge

AWKWARD = ['plain', 'with "quotes"', "back\\slash", "tab\there", "new\nline", "comma, {brace}", "NULL", "", "é 😡"]
TABLE = "CREATE TABLE {} (id int PRIMARY KEY, label text, tags text[], doc jsonb, score real, flag boolean," \
        " touched_at timestamptz)"


def _rows():
    return [(n, text, [text, None, "x"], {"text": text, "n": [n, 0.1, None]}, n / 7, n % 2 == 0)
            for n, text in enumerate(AWKWARD)]


def test_copy_merge_stores_what_parameters_store_and_updates_on_conflict(engine):
    raw_conn = engine.raw_connection()
    try:
        with raw_conn.cursor() as cur:
            cur.execute(TABLE.format("via_copy") + "; " + TABLE.format("via_params"))
            columns = ("id", "label", "tags", "doc", "score", "flag")
            copy_merge(cur, "via_copy", columns, [(n, t, a, Json(d).dumps(d), s, f) for n, t, a, d, s, f in _rows()],
                       conflict=("id",))
            execute_values(cur, "INSERT INTO via_params (id, label, tags, doc, score, flag) VALUES %s",
                           [(n, t, a, Json(d), s, f) for n, t, a, d, s, f in _rows()],
                           template="(%s, %s, %s::text[], %s, %s, %s)")
            cur.execute("SELECT id, label, tags, doc, score, flag FROM via_copy"
                        " EXCEPT SELECT id, label, tags, doc, score, flag FROM via_params")
            assert cur.fetchall() == []
            cur.execute("SELECT count(*), count(*) FILTER (WHERE tags[2] IS NULL) FROM via_copy")
            assert cur.fetchone() == (len(AWKWARD), len(AWKWARD))

            # without ``update`` a conflicting row is left alone; with it the row is replaced and stamped
            # (``update_now`` only on conflict: a new row keeps the column's default, here null)
            copy_merge(cur, "via_copy", ("id", "label"), [(0, "ignored")], conflict=("id",))
            copy_merge(cur, "via_copy", ("id", "label", "tags"), [(1, "replaced", ["a"]), (99, "new", [])],
                       conflict=("id",), update=("label", "tags"), update_now=("touched_at",))
            cur.execute("SELECT id, label, tags, touched_at IS NOT NULL FROM via_copy WHERE id IN (0, 1, 99)"
                        " ORDER BY id")
            assert cur.fetchall() == [(0, "plain", ["plain", None, "x"], False), (1, "replaced", ["a"], True),
                                      (99, "new", [], False)]
        raw_conn.rollback()
    finally:
        raw_conn.close()
