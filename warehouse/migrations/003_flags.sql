-- 003: flags raised by rules (`torrentwatch flag`). One row per (torrent, rule); a flag
-- is never deleted: when its rule stops matching (or is switched off) it stays with
-- active = false, so what was raised, and why, stays answerable. Each flag run is a row
-- in `runs` (command 'flag').

CREATE TABLE flags (
    infohash          VARCHAR NOT NULL,     -- torrents.infohash
    rule_id           VARCHAR NOT NULL,
    rule_version      INTEGER NOT NULL,     -- the version that last matched
    level             VARCHAR NOT NULL,     -- informational | low | medium | high | critical
    score             DOUBLE NOT NULL,      -- 1.0 until fuzzy terms bring graded scores
    evidence          JSON NOT NULL,        -- why it fired (docs/rules.md)
    first_flagged_at  TIMESTAMPTZ NOT NULL,
    last_evaluated_at TIMESTAMPTZ NOT NULL,
    last_matched_at   TIMESTAMPTZ NOT NULL,
    active            BOOLEAN NOT NULL,     -- the rule matched at the latest evaluation
    first_run_id      VARCHAR,              -- runs.run_id of the run that raised it
    last_run_id       VARCHAR,              -- the latest run that evaluated it
    PRIMARY KEY (infohash, rule_id)
);
