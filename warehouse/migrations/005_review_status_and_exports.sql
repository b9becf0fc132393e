-- 005: where each flagged torrent stands in review, and what each hotline export target
-- received (`torrentwatch review`, `torrentwatch export`; docs/review.md, docs/exports.md).
-- Append-only like `reviews`: policy changes, batches, items and written files are never
-- updated or deleted.

-- The two-person rule: the latest row (highest version) stands; none means 1.
CREATE TABLE review_policy (
    version              INTEGER PRIMARY KEY,    -- 1, 2, ...
    required_confirmers  INTEGER NOT NULL CHECK (required_confirmers IN (1, 2)),
    set_by               VARCHAR NOT NULL,       -- analyst id
    set_at               TIMESTAMPTZ NOT NULL
);

-- One row per torrent with active flags: the evidence an analyst decides on, in one
-- canonical text ({rule_id: evidence}, rules in id order), and its SHA-256. The same
-- expression fills reviews.flag_evidence, so equal text means unchanged evidence.
CREATE VIEW flagged_torrents AS
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
WHERE active
GROUP BY infohash;

-- Per torrent that has active flags or a decision: the latest decision, how many
-- different analysts confirmed it on the same evidence in a row, and the status.
CREATE VIEW review_status AS
WITH r AS (
    SELECT *, sha256(flag_evidence::VARCHAR) AS evidence_sha256 FROM reviews
), per_torrent AS (
    SELECT infohash, max(seq) AS last_seq, count(*) AS decisions,
           max(seq) FILTER (WHERE decision <> 'confirm') AS last_other_seq
    FROM r GROUP BY infohash
), latest AS (
    SELECT r.*, p.decisions, p.last_other_seq
    FROM r JOIN per_torrent p ON r.infohash = p.infohash AND r.seq = p.last_seq
), confirmers AS (
    SELECT l.infohash, count(DISTINCT r.analyst) AS confirmers
    FROM latest l JOIN r ON r.infohash = l.infohash AND r.decision = 'confirm'
        AND r.seq > coalesce(l.last_other_seq, 0) AND r.evidence_sha256 = l.evidence_sha256
    WHERE l.decision = 'confirm'
    GROUP BY l.infohash
), policy AS (
    SELECT coalesce(max_by(required_confirmers, version), 1) AS required FROM review_policy
)
SELECT coalesce(f.infohash, l.infohash) AS infohash,
       f.infohash IS NOT NULL AS has_active_flags,
       f.rule_ids, f.levels, f.level_rank, f.top_score,
       f.evidence_sha256 AS current_evidence_sha256,
       l.review_id AS latest_review_id, l.seq AS latest_seq, l.decision AS latest_decision,
       l.rationale AS latest_rationale, l.analyst AS latest_analyst,
       l.decided_at AS latest_decided_at, l.evidence_sha256 AS decided_evidence_sha256,
       coalesce(l.decisions, 0) AS decisions,
       coalesce(c.confirmers, 0) AS confirmers,
       p.required AS required_confirmers,
       (f.infohash IS NOT NULL AND l.infohash IS NOT NULL
        AND f.evidence_sha256 <> l.evidence_sha256) AS evidence_changed,
       coalesce(l.decision = 'confirm' AND c.confirmers >= p.required, false) AS confirmed,
       CASE
           WHEN l.infohash IS NULL THEN 'unreviewed'
           WHEN f.infohash IS NOT NULL AND f.evidence_sha256 <> l.evidence_sha256 THEN 'changed'
           WHEN l.decision = 'confirm' AND c.confirmers >= p.required THEN 'confirmed'
           WHEN l.decision = 'confirm' THEN 'awaiting_confirmation'
           WHEN l.decision = 'dismiss' THEN 'dismissed'
           ELSE 'escalated'
       END AS status
FROM flagged_torrents f
FULL OUTER JOIN latest l ON f.infohash = l.infohash
LEFT JOIN confirmers c ON c.infohash = coalesce(f.infohash, l.infohash)
CROSS JOIN policy p;

-- What needs an analyst: torrents with active flags that are unreviewed, whose evidence
-- changed since the latest decision, that wait for a second confirmation, or escalated.
-- A dismissed torrent stays out until its evidence changes.
CREATE VIEW review_queue AS
SELECT s.infohash, s.status, s.level_rank,
       ['informational', 'low', 'medium', 'high', 'critical'][s.level_rank] AS top_level,
       s.top_score, s.rule_ids, s.levels, t.name, t.total_size, t.file_count,
       s.latest_decision, s.latest_analyst, s.latest_decided_at, s.confirmers,
       s.required_confirmers
FROM review_status s JOIN torrents t USING (infohash)
WHERE s.has_active_flags
  AND s.status IN ('unreviewed', 'changed', 'awaiting_confirmation', 'escalated');

-- One row per export batch: a set of items sent to one target. The batch id is derived
-- from the items' content, so the same items give the same id and the same files.
CREATE TABLE export_batches (
    batch_id        VARCHAR PRIMARY KEY,
    target          VARCHAR NOT NULL,
    schema_version  VARCHAR NOT NULL,
    items           INTEGER NOT NULL,
    meta            JSON NOT NULL,          -- the manifest's data-derived fields
    recorded_at     TIMESTAMPTZ NOT NULL,   -- wall clock; never written into export files
    run_id          VARCHAR
);

-- What each target received: one row per item of a batch, with the row as exported
-- (so a re-run of the batch writes the same bytes). (target, infohash, evidence_sha256,
-- review_status) is sent once: a target gets a torrent again only on new evidence or
-- when an escalated torrent it received is confirmed.
CREATE TABLE export_items (
    batch_id         VARCHAR NOT NULL,
    target           VARCHAR NOT NULL,
    position         INTEGER NOT NULL,      -- row order in the batch's files, from 1
    infohash         VARCHAR NOT NULL,
    review_id        VARCHAR NOT NULL,      -- the decision that made it exportable
    evidence_sha256  VARCHAR NOT NULL,      -- of reviews.flag_evidence of that decision
    review_status    VARCHAR NOT NULL,      -- confirmed | escalated
    item             JSON NOT NULL,
    PRIMARY KEY (target, infohash, evidence_sha256, review_status)
);

-- Every file written for a batch (a re-run or another format adds a row).
CREATE TABLE exports (
    batch_id         VARCHAR NOT NULL,
    target           VARCHAR NOT NULL,
    format           VARCHAR NOT NULL,      -- csv | jsonl | parquet
    file_name        VARCHAR NOT NULL,
    file_sha256      VARCHAR NOT NULL,
    bytes            BIGINT NOT NULL,
    rows             INTEGER NOT NULL,
    manifest_name    VARCHAR NOT NULL,
    manifest_sha256  VARCHAR NOT NULL,
    out_dir          VARCHAR NOT NULL,      -- absolute folder written to
    written_at       TIMESTAMPTZ NOT NULL,
    run_id           VARCHAR
);
