-- 018: `flags` without its PRIMARY KEY (infohash, rule_id).
--
-- The key cost every flag run that raised a flag a full rewrite of its index when the
-- warehouse checkpointed: 0.14 s at 33,000 flags (growing with the flags), most of an
-- incremental run's fixed cost. Nothing reads through it (DuckDB joins by hash), and a
-- lake warehouse never had it. One row per (torrent, rule) is kept by the only writer of
-- `flags`, the flag stage: it inserts only pairs not yet there, in one transaction held
-- in the flag lane, and refuses a run whose matches repeat a pair (`flag.duplicate_match`).
-- DuckDB cannot drop a constraint: the table is rebuilt with the same columns, NOT NULLs
-- and defaults, and the views reading it bind to the new one by name.

CREATE TABLE flags_unkeyed (
    infohash          VARCHAR NOT NULL,
    rule_id           VARCHAR NOT NULL,
    rule_version      INTEGER NOT NULL,
    level             VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    evidence          JSON NOT NULL,
    first_flagged_at  TIMESTAMPTZ NOT NULL,
    last_evaluated_at TIMESTAMPTZ NOT NULL,
    last_matched_at   TIMESTAMPTZ NOT NULL,
    active            BOOLEAN NOT NULL,
    first_run_id      VARCHAR,
    last_run_id       VARCHAR,
    status            VARCHAR DEFAULT 'stable'
);
INSERT INTO flags_unkeyed BY NAME SELECT * FROM flags ORDER BY infohash, rule_id;
DROP TABLE flags;
ALTER TABLE flags_unkeyed RENAME TO flags;
