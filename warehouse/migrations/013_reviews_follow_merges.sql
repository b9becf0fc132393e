-- 013: decisions follow a torrent into the row it was merged into. When a sighting shows
-- two rows are one hybrid torrent (009), the row first seen stays and the other's key
-- goes; `reviews` is append-only, so its rows keep the key they were recorded against,
-- and `torrent_reviews` reads each decision under the key that holds the torrent now
-- (`recorded_infohash` keeps the original). The review views read decisions through it,
-- so a decision made before a merge still counts, and still shows in the history.
CREATE VIEW torrent_reviews AS
SELECT r.* REPLACE (coalesce(m.infohash, r.infohash) AS infohash),
       r.infohash AS recorded_infohash
FROM reviews r
LEFT JOIN torrent_merges m ON m.merged_infohash = r.infohash;

CREATE OR REPLACE VIEW review_status AS
WITH r AS (
    SELECT *, sha256(flag_evidence::VARCHAR) AS evidence_sha256 FROM torrent_reviews
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
