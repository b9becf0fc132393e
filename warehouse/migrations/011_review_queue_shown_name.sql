-- 011: the review queue shows a torrent's name as a client shows it. `torrents.name` is
-- libtorrent's cleaned copy, which drops bidi controls such as U+202E; the analyst
-- deciding on a flag must see the hidden character the disguise relies on (the CLI and
-- workbench make it visible as <U+202E> when they print). `name_raw` holds the bytes of
-- the key libtorrent read where they differ from `name`; bytes that are not UTF-8 fall
-- back to `name` (libtorrent's readable rewrite of them).
CREATE OR REPLACE VIEW review_queue AS
SELECT s.infohash, s.status, s.level_rank,
       ['informational', 'low', 'medium', 'high', 'critical'][s.level_rank] AS top_level,
       s.top_score, s.rule_ids, s.levels,
       coalesce(try(decode(t.name_raw)), t.name) AS name, t.total_size, t.file_count,
       s.latest_decision, s.latest_analyst, s.latest_decided_at, s.confirmers,
       s.required_confirmers
FROM review_status s JOIN torrents t USING (infohash)
WHERE s.has_active_flags
  AND s.status IN ('unreviewed', 'changed', 'awaiting_confirmation', 'escalated');
