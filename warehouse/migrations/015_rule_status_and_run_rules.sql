-- 015: shadow rules and what each flag run evaluated.
--
-- `flags.status` is the status of the rule that last matched: 'stable' (the default, and
-- every flag raised before this migration) or 'experimental' (a shadow rule: evaluated
-- and stored by every flag run, never in the review queue, review status or exports).
-- `flagged_torrents` (005), which `review_status`, `review_queue`, `review decide` and
-- the exports read, now counts stable flags only; `experimental_flags` lists the active
-- shadow flags for whoever asks (`review queue --include-experimental`, the workbench).
--
-- `flag_run_rules`: one row per rule a flag run evaluated, with a fingerprint of its
-- compiled SQL (condition, evidence, score) and whether the run evaluated every rule in
-- force (`full_run`; false for `flag --rule`). `rules diff` reads the latest fingerprint
-- of each rule to know which rules a candidate pack changed.

ALTER TABLE flags ADD COLUMN status VARCHAR DEFAULT 'stable';

CREATE TABLE flag_run_rules (
    run_id       VARCHAR NOT NULL,   -- runs.run_id of the flag run
    rule_id      VARCHAR NOT NULL,
    rule_version INTEGER NOT NULL,
    level        VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,   -- stable | experimental
    fingerprint  VARCHAR NOT NULL,   -- sha256 of the rule's compiled SQL and status
    full_run     BOOLEAN NOT NULL,   -- the run evaluated every rule in force
    evaluated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, rule_id)
);

CREATE OR REPLACE VIEW flagged_torrents AS
SELECT infohash,
       list(rule_id ORDER BY rule_id) AS rule_ids,
       list(level ORDER BY rule_id) AS levels,
       max(list_position(['informational', 'low', 'medium', 'high', 'critical'], level))
           AS level_rank,
       max(score) AS top_score,
       ('{' || string_agg(to_json(rule_id)::VARCHAR || ':' || evidence::VARCHAR, ','
                          ORDER BY rule_id) || '}')::JSON AS evidence,
       sha256('{' || string_agg(to_json(rule_id)::VARCHAR || ':' || evidence::VARCHAR, ','
                                ORDER BY rule_id) || '}') AS evidence_sha256
FROM flags
WHERE active AND coalesce(status, 'stable') = 'stable'
GROUP BY infohash;

CREATE VIEW experimental_flags AS
SELECT f.infohash, f.rule_id, f.rule_version, f.level, f.score, f.evidence,
       f.first_flagged_at, f.last_matched_at,
       coalesce(try(decode(t.name_raw)), t.name) AS name, t.total_size, t.file_count
FROM flags f JOIN torrents t USING (infohash)
WHERE f.active AND f.status = 'experimental';
