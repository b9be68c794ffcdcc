"""Numbered schema migrations for the DuckDB history (after simonw/llm).

Each migration runs once, in order, inside the transaction that records it in
``_migrations``; a history file from an older version opens in a newer one. Add new
migrations with the next free number; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(number: int, name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if any(n == number for n, _, _ in MIGRATIONS):
            raise RuntimeError(f"migration number {number} ({name!r}) is used twice")
        MIGRATIONS.append((number, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn

    return register


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every pending migration; returns the numbers applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations"
        " (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT number FROM _migrations").fetchall()}
    applied = []
    for number, name, fn in MIGRATIONS:
        if number in done:
            continue
        fn(con)
        con.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [number, name])
        applied.append(number)
    return applied


def newer(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Migrations recorded in the file that this version does not know: the file was written
    by a newer Curriculab, which this one must not write into."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "_migrations" not in tables:
        return []
    known = {number for number, _, _ in MIGRATIONS}
    return sorted(row[0] for row in con.execute("SELECT number FROM _migrations").fetchall()
                  if row[0] not in known)


def foreign(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables of a DuckDB file that is not a history (no ``_migrations``): migrating it would
    write this project's tables into someone else's database."""
    tables = sorted(r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall())
    return [] if "_migrations" in tables else tables


def pending(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the file lacks a migration this version knows (read-only check)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "_migrations" not in tables:
        return True
    done = {row[0] for row in con.execute("SELECT number FROM _migrations").fetchall()}
    return any(number not in done for number, _, _ in MIGRATIONS)


@migration(1, "runs, iterations, scores, plans, examples, answers")
def _m001_core(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            created_at TIMESTAMP DEFAULT now(),
            updated_at TIMESTAMP DEFAULT now(),
            status VARCHAR,            -- running | completed | failed | stopped
            task VARCHAR, level VARCHAR, policy VARCHAR, engine VARCHAR, student VARCHAR,
            seed INTEGER, iterations INTEGER, budget INTEGER,
            config JSON, versions JSON,
            checkpoint_dir VARCHAR,
            phase VARCHAR, phase_iteration INTEGER, phase_progress DOUBLE,
            heartbeat_at TIMESTAMP,
            message VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE iterations (
            run_id VARCHAR, iteration INTEGER,
            started_at TIMESTAMP, ended_at TIMESTAMP,
            t_evaluate DOUBLE, t_plan DOUBLE, t_generate DOUBLE, t_check DOUBLE,
            t_train DOUBLE, t_total DOUBLE,
            examples_generated INTEGER, examples_kept INTEGER, examples_used INTEGER,
            loss_first DOUBLE, loss_last DOUBLE,
            reward DOUBLE, val_mean DOUBLE, test_mean DOUBLE,
            checkpoint VARCHAR, policy_state JSON
        )
        """
    )
    con.execute(
        """
        CREATE TABLE skill_scores (
            run_id VARCHAR, iteration INTEGER, split VARCHAR, skill VARCHAR,
            n INTEGER, correct INTEGER, accuracy DOUBLE, change DOUBLE
        )
        """
    )
    con.execute(
        """
        CREATE TABLE plans (
            run_id VARCHAR, iteration INTEGER, reasoning VARCHAR, "values" JSON,
            edited_by VARCHAR, total INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE allocations (
            run_id VARCHAR, iteration INTEGER, skill VARCHAR, subskill VARCHAR, count INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE examples (
            run_id VARCHAR, iteration INTEGER, seq INTEGER,
            skill VARCHAR, subskill VARCHAR, prompt VARCHAR, answer VARCHAR,
            engine VARCHAR, call_id VARCHAR, kept BOOLEAN, reason VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE answers (
            run_id VARCHAR, iteration INTEGER, split VARCHAR, item_id VARCHAR,
            skill VARCHAR, prediction VARCHAR, correct BOOLEAN
        )
        """
    )
    # No secondary indexes: rows arrive clustered by run and iteration, so DuckDB's zone maps
    # already prune; ART indexes would only slow the per-iteration bulk inserts.


@migration(2, "llm calls and cache, generation rejects and teacher checks, skill discovery")
def _m002_llm(con: duckdb.DuckDBPyConnection) -> None:
    # Every attempt at an LLM call, cache hits and failures included (status ok|cached|error).
    con.execute(
        """
        CREATE TABLE llm_calls (
            call_id VARCHAR, run_id VARCHAR, iteration INTEGER, role VARCHAR, label VARCHAR,
            model VARCHAR, cache_key VARCHAR, mode VARCHAR, attempt INTEGER, status VARCHAR,
            error_kind VARCHAR, error VARCHAR, tokens_in INTEGER, tokens_out INTEGER,
            latency_s DOUBLE, cost_usd DOUBLE, cache_hit BOOLEAN, created_at TIMESTAMP
        )
        """
    )
    # Completed calls only (failures are never cached), keyed by model, messages, schema, params;
    # the raw content is kept apart from any parsing so a parser change reuses it.
    con.execute(
        """
        CREATE TABLE llm_cache (
            cache_key VARCHAR PRIMARY KEY, model VARCHAR, request JSON, content VARCHAR,
            finish_reason VARCHAR, tokens_in INTEGER, tokens_out INTEGER, call_id VARCHAR,
            created_at TIMESTAMP
        )
        """
    )
    con.execute(
        """
        CREATE TABLE llm_rejects (
            run_id VARCHAR, iteration INTEGER, call_id VARCHAR, skill VARCHAR, subskill VARCHAR,
            prompt VARCHAR, answer VARCHAR, reason VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE teacher_checks (
            run_id VARCHAR, iteration INTEGER, skill VARCHAR, subskill VARCHAR, method VARCHAR,
            requested INTEGER, delivered INTEGER, checked INTEGER, wrong INTEGER, calls INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE discovery_runs (
            discovery_id VARCHAR PRIMARY KEY, source VARCHAR, model VARCHAR, status VARCHAR,
            stage VARCHAR, n_items INTEGER, message VARCHAR,
            created_at TIMESTAMP DEFAULT now(), updated_at TIMESTAMP DEFAULT now()
        )
        """
    )
    con.execute("CREATE TABLE discovery_labels (discovery_id VARCHAR, item_id VARCHAR,"
                " label VARCHAR, reason VARCHAR)")
    con.execute("CREATE TABLE discovery_categories (discovery_id VARCHAR, category VARCHAR,"
                " description VARCHAR, labels JSON)")
    con.execute("CREATE TABLE discovery_assignments (discovery_id VARCHAR, item_id VARCHAR,"
                " category VARCHAR, method VARCHAR)")


@migration(3, "controls: requests to a running run from another process")
def _m003_controls(con: duckdb.DuckDBPyConnection) -> None:
    # The app asks a run in another process to stop by writing a row here; the run's process
    # polls for it. handled_at is set once the run has acted on the request.
    con.execute(
        """
        CREATE TABLE controls (
            run_id VARCHAR, action VARCHAR, requested_at TIMESTAMP, requested_by VARCHAR,
            handled_at TIMESTAMP
        )
        """
    )


@migration(4, "quality-check yields, forgetting alerts, the skill-tree forest, known examples")
def _m004_levels(con: duckdb.DuckDBPyConnection) -> None:
    # Per iteration, skill and subskill (NULL: the skill as a whole): examples generated and
    # kept by the quality checks, and how many of them the student was asked about before
    # training (judged) and already answered right (known).
    con.execute(
        """
        CREATE TABLE yields (
            run_id VARCHAR, iteration INTEGER, skill VARCHAR, subskill VARCHAR,
            generated INTEGER, kept INTEGER, judged INTEGER, known INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE alerts (
            run_id VARCHAR, iteration INTEGER, skill VARCHAR, best DOUBLE,
            best_iteration INTEGER, accuracy DOUBLE
        )
        """
    )
    # The Skill-Tree forest after each iteration; a resumed run rebuilds it from here.
    con.execute(
        """
        CREATE TABLE forest (
            run_id VARCHAR, iteration INTEGER, seq INTEGER, skill VARCHAR, subskill VARCHAR,
            description VARCHAR, allocation INTEGER, generated INTEGER, kept INTEGER,
            fresh JSON, added INTEGER
        )
        """
    )
    con.execute("ALTER TABLE examples ADD COLUMN known BOOLEAN")


@migration(7, "llm capabilities per endpoint and model; endpoint, feature and raw output of calls")
def _m007_llm_capabilities(con: duckdb.DuckDBPyConnection) -> None:
    # What an endpoint (base URL without credentials) and model were found to support: a
    # structured-output mode, a request parameter, its slots; learnt once, by a probe or a
    # refusal, and read by every later call and run.
    con.execute(
        """
        CREATE TABLE llm_capabilities (
            base_url VARCHAR, model VARCHAR, feature VARCHAR, supported BOOLEAN,
            value VARCHAR, detail VARCHAR, learnt_at TIMESTAMP,
            PRIMARY KEY (base_url, model, feature)
        )
        """
    )
    # Each attempt names its endpoint, the feature a refusal was about, and (for output that
    # could not be used) the raw text, bounded; cache entries name their endpoint too.
    for column in ("base_url VARCHAR", "feature VARCHAR", "raw VARCHAR"):
        con.execute(f"ALTER TABLE llm_calls ADD COLUMN {column}")
    con.execute("ALTER TABLE llm_cache ADD COLUMN base_url VARCHAR")


@migration(8, "sweeps and their cells: axis values, run, status and error of each")
def _m008_sweeps(con: duckdb.DuckDBPyConnection) -> None:
    # A sweep is a set of runs made from one spec; its id is a hash of the cells' configs, so
    # running the same spec again finds it. Membership lives here, not in the runs table.
    con.execute(
        """
        CREATE TABLE sweeps (
            sweep_id VARCHAR, name VARCHAR, spec JSON, cells INTEGER, executor VARCHAR,
            status VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP
        )
        """
    )
    # One row per cell: its axis values and config, the run it became, where it stands
    # (pending | running | completed | failed), attempts so far, the iteration the latest
    # attempt resumed after (NULL: from the start) and the last error, kept across retries.
    con.execute(
        """
        CREATE TABLE sweep_cells (
            sweep_id VARCHAR, cell VARCHAR, seq INTEGER, run_id VARCHAR, axes JSON,
            config JSON, status VARCHAR, attempts INTEGER, resumed_after INTEGER,
            error VARCHAR, worker VARCHAR, seconds DOUBLE, updated_at TIMESTAMP
        )
        """
    )


# Per-iteration tables and the columns that name one row: a run's iteration is recorded once,
# so writing it again (two processes on one run) fails as a whole instead of doubling rows.
# A NULL subskill (the skill as a whole) counts as one value.
ITERATION_KEYS = {
    "iterations": ("run_id", "iteration"),
    "plans": ("run_id", "iteration"),
    "skill_scores": ("run_id", "iteration", "split", "skill"),
    "answers": ("run_id", "iteration", "split", "item_id"),
    "examples": ("run_id", "iteration", "seq"),
    "allocations": ("run_id", "iteration", "skill", "subskill"),
    "yields": ("run_id", "iteration", "skill", "subskill"),
    "alerts": ("run_id", "iteration", "skill"),
    "forest": ("run_id", "iteration", "seq"),
}


@migration(5, "keys: one row per run, iteration and item in every per-iteration table; run owners")
def _m005_keys(con: duckdb.DuckDBPyConnection) -> None:
    # The host and process id running a run: on the same host, a dead process frees the
    # run at once, without waiting for its heartbeat to go stale.
    con.execute("ALTER TABLE runs ADD COLUMN host VARCHAR")
    con.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")
    # A history written before the keys may hold an iteration twice (a run resumed while its
    # first process still ran): the copy written first stays, row by row in insertion order.
    # (Rewritten rather than deleted from: DuckDB builds an index in the transaction of a
    # DELETE from the rows before it.)
    for table, key in ITERATION_KEYS.items():
        columns = ", ".join(f'"{c}"' for c in key)
        doubled = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {columns}"
                              f" HAVING count(*) > 1)").fetchone()[0]
        if doubled:
            con.execute(f"""
                CREATE OR REPLACE TABLE {table} AS SELECT * EXCLUDE (k, r) FROM (
                    SELECT *, rowid AS r,
                           row_number() OVER (PARTITION BY {columns} ORDER BY rowid) AS k
                    FROM {table}) WHERE k = 1 ORDER BY r""")
        indexed = ", ".join(f"coalesce(\"{c}\", '')" if c == "subskill" else f'"{c}"' for c in key)
        con.execute(f"CREATE UNIQUE INDEX {table}_key ON {table} ({indexed})")


@migration(6, "run names, tags, notes and command line; progress within a phase")
def _m006_labels(con: duckdb.DuckDBPyConnection) -> None:
    # A readable name (made when the run starts, editable), tags to find runs by, free notes,
    # the command line that started the run, and the live phase's work so far as JSON
    # ({"unit", "done", "total", "loss"}) for watchers. A run from before keeps its id as name.
    for column, kind in (("name", "VARCHAR"), ("tags", "JSON"), ("notes", "VARCHAR"),
                         ("command", "VARCHAR"), ("phase_detail", "JSON")):
        con.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
    con.execute("UPDATE runs SET name = run_id, tags = '[]'")


# After migration 9 only the iterations table keeps its key. Every other per-iteration table
# is written in the one transaction that inserts the iteration's row (``RunLog.record_iteration``)
# or replaced together with the whole run (a sweep's merge), so the iteration's key refuses a
# second writer of an iteration as a whole; keys on the per-item tables cost a quarter of each
# iteration's write and two thirds of the file.
STILL_KEYED = ("iterations",)


@migration(9, "keys on iterations only: an iteration's rows land with its key or not at all")
def _m009_iteration_keys_only(con: duckdb.DuckDBPyConnection) -> None:
    for table in ITERATION_KEYS:
        if table not in STILL_KEYED:
            con.execute(f"DROP INDEX IF EXISTS {table}_key")
