"""A generated history of realistic shape, for the app's query benchmark and its tests.

Rows follow the schema a real run writes: runs (several configs, each over several seeds),
iterations, per-skill val/test scores that rise along noisy learning curves (with the odd
forgetting dip), plans and allocations (Skill-Tree runs with subskills), generated examples
with QC verdicts, the student's answers, and LLM calls with tokens and dollars for the LLM
teacher's runs. Everything is made inside DuckDB with ``generate_series``, so a million
examples take seconds.

    python bench/gen_history.py out.duckdb                       # 100 runs x 30 it x 20 skills, 1M examples
    python bench/gen_history.py out.duckdb --runs 4 --iterations 5 --skills 5 --examples 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envs.history.database import History  # noqa: E402

SKILLS = ("add", "sub", "mul", "div", "mod", "compare", "reverse", "sort_digits", "count_char",
          "parity", "max_of", "min_of", "sum_digits", "carry_add", "borrow_sub", "square",
          "double", "half", "successor", "predecessor", "gcd", "lcm", "copy", "rotate")
POLICIES = ("uniform", "weakest", "llm", "skill-tree")
SEEDS_PER_CONFIG = 4


def generate(path: str | Path, *, runs: int = 100, iterations: int = 30, skills: int = 20,
             examples: int = 1_000_000, items_per_skill: int = 20) -> dict[str, int]:
    """Write a generated history to ``path`` (created or appended to); returns row counts."""
    if skills > len(SKILLS):
        raise ValueError(f"at most {len(SKILLS)} skills")
    history = History(path)
    per_iteration = max(1, -(-examples // max(1, runs * iterations)))  # ceil: at least `examples`
    params = {"runs": runs, "its": iterations, "skills": skills, "per_it": per_iteration,
              "items": items_per_skill, "seeds": SEEDS_PER_CONFIG}
    with history.transaction() as con:
        con.execute("CREATE TEMP TABLE g_skill AS SELECT i - 1 AS k, s AS skill FROM"
                    " unnest(?::VARCHAR[]) WITH ORDINALITY AS t(s, i) WHERE i <= ?",
                    [list(SKILLS), skills])
        con.execute("CREATE TEMP TABLE g_pol AS SELECT i - 1 AS p, s AS policy FROM"
                    " unnest(?::VARCHAR[]) WITH ORDINALITY AS t(s, i)", [list(POLICIES)])
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for sql in _STATEMENTS:
            needs = {t for t in ("llm_calls", "llm_cache", "alerts", "forest") if f"INTO {t} " in sql}
            if not needs <= tables:
                continue  # an older schema without these tables
            con.execute(sql.format(**params))
        counts = {t: con.execute(f"SELECT count(*) FROM {t} WHERE run_id LIKE 'gen-%'").fetchone()[0]
                  for t in ("runs", "iterations", "skill_scores", "plans", "allocations",
                            "examples", "answers", "llm_calls", "alerts", "forest") if t in tables}
        for t in ("g_skill", "g_pol", "g_run", "g_acc"):
            con.execute(f"DROP TABLE {t}")
    return counts


_STATEMENTS = [
    # Runs: config c = r // seeds shares everything but the seed with its siblings.
    """
    CREATE TEMP TABLE g_run AS
    SELECT r, printf('gen-%04d', r) AS run_id, (r // {seeds}) % 4 AS p, r % {seeds} AS seed,
           r // {seeds} AS c, 0.15 + 0.02 * ((r // {seeds}) % 5) AS lr_gain
    FROM range({runs}) t(r)
    """,
    """
    INSERT INTO runs (run_id, created_at, updated_at, status, task, level, policy, engine,
                      student, seed, iterations, budget, config, versions, checkpoint_dir,
                      phase, phase_iteration, phase_progress, heartbeat_at, message)
    SELECT run_id, TIMESTAMP '2026-01-01' + to_minutes(r * 90), TIMESTAMP '2026-01-01' + to_minutes(r * 90 + 80),
           CASE WHEN r % 17 = 5 THEN 'stopped' WHEN r % 23 = 7 THEN 'failed' ELSE 'completed' END,
           'arith-v0', CASE WHEN g.policy = 'skill-tree' THEN 'skill-tree' ELSE 'skill-list' END,
           CASE WHEN g.policy = 'skill-tree' THEN 'weakest' ELSE g.policy END,
           CASE WHEN g.policy = 'llm' THEN 'llm' ELSE 'procedural' END, 'tiny-gpt', seed, {its},
           {per_it},
           json_object('task', json_object('id', 'arith-v0', 'options', json_object()),
                       'student', json_object('id', 'tiny-gpt', 'options',
                                              json_object('lr', 0.001 * (1 + c % 3)), 'regime', 'continue'),
                       'teacher', json_object('policy', g.policy, 'engine',
                                              CASE WHEN g.policy = 'llm' THEN 'llm' ELSE 'procedural' END,
                                              'level', 'skill-list', 'budget', {per_it},
                                              'policy_options', json_object(), 'engine_options', json_object()),
                       'iterations', {its}, 'seed', seed, 'checks', ['verify', 'decontaminate'],
                       'checkpoint_dir', 'runs'),
           json_object('python', '3.11.9', 'duckdb', '2.0.0'), 'runs/' || run_id,
           'done', {its}, NULL, TIMESTAMP '2026-01-01' + to_minutes(r * 90 + 80), NULL
    FROM g_run JOIN g_pol g USING (p)
    """,
    # Accuracy: a saturating curve per (run, skill), noise, and a dip now and then (forgetting).
    """
    CREATE TEMP TABLE g_acc AS
    SELECT run_id, r, it, split, skill, k,
           round(least(1.0, greatest(0.0,
               0.1 + 0.8 * (1 - exp(-lr_gain * (1 + (k % 5) * 0.3) * it))
               - CASE WHEN hash(run_id, skill) % 7 = 0 AND it >= 20 AND it < 24 THEN 0.3 ELSE 0 END
               + (hash(run_id, it, skill, split) % 1000) / 1000.0 * 0.1 - 0.05)) * {items}) AS correct
    FROM g_run, range({its} + 1) i(it), (VALUES ('val'), ('test')) s(split), g_skill
    """,
    """
    INSERT INTO skill_scores (run_id, iteration, split, skill, n, correct, accuracy, change)
    SELECT run_id, it, split, skill, {items}, correct::INTEGER, correct / {items},
           correct / {items} - lag(correct / {items}) OVER (PARTITION BY run_id, split, skill ORDER BY it)
    FROM g_acc ORDER BY r, it, split, k
    """,
    """
    INSERT INTO iterations (run_id, iteration, started_at, ended_at, t_evaluate, t_plan, t_generate,
                            t_check, t_train, t_total, examples_generated, examples_kept,
                            examples_used, loss_first, loss_last, reward, val_mean, test_mean,
                            checkpoint, policy_state)
    SELECT run_id, it, TIMESTAMP '2026-01-01' + to_minutes(r * 90) + to_seconds(it * 150),
           TIMESTAMP '2026-01-01' + to_minutes(r * 90) + to_seconds(it * 150 + 140),
           12.0, 0.05, 3.0, 0.5, 120.0, 140.0,
           CASE WHEN it = 0 THEN 0 ELSE {per_it} END, CASE WHEN it = 0 THEN 0 ELSE ({per_it} * 9) // 10 END,
           ({per_it} * 9) // 10 * it, CASE WHEN it = 0 THEN NULL ELSE 2.5 / (1 + it) END,
           CASE WHEN it = 0 THEN NULL ELSE 2.0 / (1 + it) END,
           CASE WHEN it = 0 THEN NULL ELSE 0.01 END,
           avg(correct) FILTER (WHERE split = 'val') / {items},
           avg(correct) FILTER (WHERE split = 'test') / {items},
           'runs/' || run_id || printf('/iter-%03d', it), '{{}}'
    FROM g_acc GROUP BY run_id, r, it ORDER BY r, it
    """,
    """
    INSERT INTO plans (run_id, iteration, reasoning, "values", edited_by, total)
    SELECT run_id, it, 'Weakest skills get more: ' || string_agg(skill, ', ') || '.',
           json_object('weights', json_group_object(skill, 1 - correct / {items})), NULL, {per_it}
    FROM g_acc WHERE split = 'val' AND it < {its} AND k < 3
    GROUP BY run_id, r, it ORDER BY r, it
    """,
    """
    INSERT INTO allocations (run_id, iteration, skill, subskill, count)
    SELECT run_id, it + 1, skill,
           CASE WHEN p = 3 THEN skill || '/' || sub ELSE NULL END,
           CASE WHEN p = 3 THEN {per_it} // {skills} // 3 ELSE {per_it} // {skills} END
    FROM g_acc JOIN g_run USING (run_id, r), range(3) s(sub)
    WHERE split = 'val' AND it < {its} AND (p = 3 OR sub = 0)
    ORDER BY r, it, k
    """,
    """
    INSERT INTO examples (run_id, iteration, seq, skill, subskill, prompt, answer, engine, call_id,
                          kept, reason)
    SELECT run_id, it, seq, skill, CASE WHEN p = 3 THEN skill || '/' || (seq % 3) END,
           skill || ': ' || (hash(run_id, it, seq) % 1000) || ' ' || (hash(seq, it) % 1000) || ' =',
           ((hash(run_id, it, seq) % 1000) + (hash(seq, it) % 1000))::VARCHAR,
           CASE WHEN p = 2 THEN 'llm' ELSE 'procedural' END,
           CASE WHEN p = 2 THEN printf('call-%s-%03d-%02d', run_id, it, seq % {skills}) END,
           hash(run_id, it, seq) % 10 <> 0,
           CASE WHEN hash(run_id, it, seq) % 10 = 0 THEN
               CASE WHEN seq % 2 = 0 THEN 'duplicate of a kept example'
                    ELSE 'wrong answer: verifier expects ''17''' END ELSE '' END
    FROM g_run, range(1, {its} + 1) i(it), range({per_it}) q(seq)
    JOIN g_skill ON g_skill.k = seq % {skills}
    ORDER BY r, it, seq
    """,
    """
    INSERT INTO answers (run_id, iteration, split, item_id, skill, prediction, correct)
    SELECT run_id, it, split, printf('%s-%s-%03d', split, skill, j), skill,
           CASE WHEN j < correct THEN (j * 7)::VARCHAR ELSE (j * 7 + 1 + it % 3)::VARCHAR END,
           j < correct
    FROM g_acc, range({items}) t(j)
    ORDER BY r, it, split, k, j
    """,
    """
    INSERT INTO alerts (run_id, iteration, skill, best, best_iteration, accuracy)
    SELECT run_id, it, skill, best, best_it, acc FROM (
        SELECT run_id, r, k, it, skill, correct / {items} AS acc,
               max(correct / {items}) OVER w AS best,
               arg_max(it, correct) OVER w AS best_it
        FROM g_acc WHERE split = 'val'
        WINDOW w AS (PARTITION BY run_id, skill ORDER BY it ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
    WHERE best - acc >= 0.1 - 1e-9 ORDER BY r, it, k
    """,
    """
    INSERT INTO forest (run_id, iteration, seq, skill, subskill, description, allocation, generated,
                        kept, fresh, added)
    SELECT run_id, it, k * 3 + sub, skill, skill || '/' || sub, 'setting ' || sub || ' of ' || skill,
           {per_it} // {skills} // 3, {per_it} // {skills} // 3 * it, ({per_it} // {skills} // 3 * it * 9) // 10,
           json_array(correct / {items}), 1
    FROM g_acc JOIN g_run USING (run_id, r), range(3) s(sub)
    WHERE split = 'val' AND p = 3 AND it > 0 ORDER BY r, it, k, sub
    """,
    """
    INSERT INTO llm_calls (call_id, run_id, iteration, role, label, model, status, attempt,
                           tokens_in, tokens_out, latency_s, cost_usd, cache_hit, created_at)
    SELECT printf('call-%s-%03d-%02d', run_id, it, k), run_id, it, 'engine', skill,
           'gpt-4o-mini', 'ok', 1, 1800 + hash(run_id, it, k) % 400, 900 + hash(k, it) % 300, 2.5,
           ((1800 + hash(run_id, it, k) % 400) * 0.15 + (900 + hash(k, it) % 300) * 0.6) / 1e6,
           false, TIMESTAMP '2026-01-01' + to_minutes(r * 90) + to_seconds(it * 150)
    FROM g_run, range(1, {its} + 1) i(it), g_skill WHERE p = 2
    ORDER BY r, it, k
    """,
    """
    INSERT INTO llm_cache (cache_key, model, request, content, finish_reason, tokens_in, tokens_out,
                           call_id, created_at)
    SELECT 'key-' || call_id, model,
           json_object('messages', [json_object('role', 'user', 'content',
                       'Write ' || ({per_it} // {skills}) || ' new ' || label || ' problems.')]),
           '{{"examples": [{{"prompt": "' || label || ': 1 2 =", "answer": "3"}}]}}', 'stop',
           tokens_in, tokens_out, call_id, created_at
    FROM llm_calls WHERE run_id LIKE 'gen-%'
    """,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--skills", type=int, default=20)
    parser.add_argument("--examples", type=int, default=1_000_000)
    args = parser.parse_args()
    start = time.perf_counter()
    counts = generate(args.path, runs=args.runs, iterations=args.iterations, skills=args.skills,
                      examples=args.examples)
    print(json.dumps({"path": args.path, "rows": counts,
                      "seconds": round(time.perf_counter() - start, 2)}))


if __name__ == "__main__":
    main()
