-- 020: the times and run of the latest evaluation kept once per rule, not on every flag.
--
-- A flag run that evaluates only the changed torrents (incremental) knows that every
-- other flag of a rule it ran would come out as it was, and a full run would stamp each
-- of them with the run's time and id all the same. Writing those stamps on every flag
-- was most of such a run's cost that grew with the warehouse: at 10,000,000 torrents it
-- rewrote 332,514 flags (the update, its commit and its checkpoint ~0.2 s of a 0.74 s
-- run). The rows are now `flag_rows`, stamped when a run evaluates them; each run records
-- in `flag_rule_stamps` the rules it evaluated, with its id and time; and `flags` is a
-- view with the same columns, in the same order, holding what a full run would have
-- written: a flag's `last_evaluated_at` is the later of its own and its rule's latest
-- evaluation, its `last_matched_at` too while it is active, and its `last_run_id` that
-- evaluation's run when that came later. `flag_rule_stamps` starts empty: until a run
-- writes it, `flags` reads exactly as the rows stand.

ALTER TABLE flags RENAME TO flag_rows;

CREATE TABLE flag_rule_stamps (
    rule_id      VARCHAR NOT NULL,      -- one row per rule a flag run has evaluated
    run_id       VARCHAR NOT NULL,      -- the latest flag run that evaluated it
    evaluated_at TIMESTAMPTZ NOT NULL   -- that run's time (the flags' stamps)
);

CREATE VIEW flags AS
SELECT f.* REPLACE (
    greatest(f.last_evaluated_at, s.evaluated_at) AS last_evaluated_at,
    CASE WHEN f.active THEN greatest(f.last_matched_at, s.evaluated_at)
         ELSE f.last_matched_at END AS last_matched_at,
    CASE WHEN s.evaluated_at > f.last_evaluated_at THEN s.run_id
         ELSE f.last_run_id END AS last_run_id)
FROM flag_rows f LEFT JOIN flag_rule_stamps s ON s.rule_id = f.rule_id;
