"""psycopg2 (Debian's python3-psycopg2, libpq underneath) against a Keel node: the workflow a
Python application runs. Each step prints one JSON line {"step": ..., "ok": ..., ...}; the
vitest file test/clients/psycopg2.test.ts runs this script and checks every step.

Usage: psycopg2_workflow.py <port> <user> <password> <database>
"""
import json
import sys
import threading

import psycopg2
import psycopg2.errors
import psycopg2.extras


def report(step, ok, **details):
    print(json.dumps({"step": step, "ok": bool(ok), **details}, default=str), flush=True)


def main():
    port, user, password, database = sys.argv[1:5]
    dsn = dict(host="127.0.0.1", port=int(port), user=user, password=password, dbname=database,
               connect_timeout=10, application_name="psycopg2-workflow")
    conn = psycopg2.connect(**dsn)
    report("connect", conn.server_version >= 160000, server_version=conn.server_version)

    with conn.cursor() as cur:
        cur.execute("CREATE TABLE notes (id serial PRIMARY KEY, title text NOT NULL UNIQUE, "
                    "score numeric(5,1), created timestamptz DEFAULT now(), tags text[])")
        cur.executemany("INSERT INTO notes (title, score, tags) VALUES (%s, %s, %s)",
                        [("alpha", 1.5, ["a"]), ("beta", 2.0, ["b", "c"]), ("gamma", None, [])])
        conn.commit()
        cur.execute("SELECT title, score, tags FROM notes WHERE score > %(min)s ORDER BY id", {"min": 1})
        rows = cur.fetchall()
        report("parameters", [(r[0], str(r[1]), r[2]) for r in rows] == [("alpha", "1.5", ["a"]), ("beta", "2.0", ["b", "c"])],
               rows=rows)
        cur.execute("SELECT created FROM notes LIMIT 1")
        report("types", cur.fetchone()[0].tzinfo is not None)

    with conn.cursor() as cur:
        cur.execute("UPDATE notes SET score = 0")
        conn.rollback()
        cur.execute("SELECT count(*) FROM notes WHERE score = 0")
        report("rollback", cur.fetchone()[0] == 0)
        try:
            cur.execute("INSERT INTO notes (title) VALUES ('alpha')")
            report("error", False)
        except psycopg2.errors.UniqueViolation as error:
            conn.rollback()
            report("error", error.pgcode == "23505" and error.diag.constraint_name == "notes_title_key",
                   pgcode=error.pgcode)

    with conn.cursor() as cur:
        cur.execute("INSERT INTO notes (title, score) SELECT 'n' || g::text, g % 100 FROM generate_series(1, 10000) AS g")
        conn.commit()
        cur.execute("SELECT id, title FROM notes ORDER BY id")
        total = 0
        while True:
            batch = cur.fetchmany(1000)
            if not batch:
                break
            total += len(batch)
        report("large_result", total == 10003, rows=total)

    with conn.cursor(name="big_scan") as cur:
        cur.itersize = 1000
        cur.execute("SELECT id FROM notes ORDER BY id")
        streamed = sum(1 for _ in cur)
    conn.commit()
    report("named_cursor", streamed == 10003, rows=streamed)

    with conn.cursor() as cur:
        import io
        cur.copy_expert("COPY notes (title, score) FROM STDIN WITH (FORMAT csv)", io.StringIO("copied one,1\ncopied two,2\n"))
        out = io.StringIO()
        cur.copy_expert("COPY (SELECT title FROM notes WHERE title LIKE 'copied%' ORDER BY title) TO STDOUT", out)
        conn.commit()
        report("copy", out.getvalue() == "copied one\ncopied two\n", output=out.getvalue())

    holder = psycopg2.connect(**dsn)
    with holder.cursor() as cur:
        cur.execute("SELECT * FROM notes WHERE id = 1 FOR UPDATE")
    waiter = psycopg2.connect(**dsn)
    probe = psycopg2.connect(**dsn)
    probe.autocommit = True
    outcome = {}

    def wait_for_lock():
        try:
            with waiter.cursor() as cur:
                cur.execute("UPDATE notes SET score = 1 WHERE id = 1 /* psycopg2-cancel */")
            outcome["result"] = "finished"
        except psycopg2.errors.QueryCanceled as error:
            outcome["result"] = error.pgcode

    # A daemon thread, so a failed step cannot keep the process alive; the waiter also gives up
    # by itself after statement_timeout.
    with waiter.cursor() as cur:
        cur.execute("SET statement_timeout = '20s'")
    thread = threading.Thread(target=wait_for_lock, daemon=True)
    thread.start()
    with probe.cursor() as cur:
        for _ in range(400):
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND position('psycopg2-cancel' in query) > 0 "
                        "AND pid <> pg_backend_pid()")
            if cur.fetchone()[0] == 1:
                break
            threading.Event().wait(0.05)
    waiter.cancel()
    thread.join(30)
    holder.rollback()
    report("cancel", outcome.get("result") == "57014", outcome=outcome)
    for c in (holder, waiter, probe, conn):
        c.close()


if __name__ == "__main__":
    main()
