-- 016: indicators over time (`torrentwatch indicators`, docs/indicators.md) and the
-- provenance of hash lists received in the list-exchange format.
--
-- Each indicator_* view has one row per event, with its time in `event_at` (TIMESTAMPTZ) and
-- the dimensions it is counted by; `torrentwatch indicators` buckets `event_at` into UTC weeks
-- or months and fills periods without events with zero rows. Analysts can group the
-- same views their own way:
--     SELECT date_trunc('month', timezone('UTC', event_at)) AS month, rule_id, count(*)
--     FROM indicator_flags_raised GROUP BY ALL ORDER BY ALL;

-- What a list-exchange file said about itself (issuer, batch, time window, rule and list
-- versions of the issuing warehouse); NULL for text and CSV lists.
ALTER TABLE hash_lists ADD COLUMN provenance JSON;

-- Torrents by their first sighting: what its name claims, and whether a console-game
-- claim is contradicted by its content profile. Contradicted:
-- video and images hold at least 60% of the bytes, disc images and game packages at most
-- 5%, and the name declares no media nature (trailer, soundtrack, ...) -- the content test
-- of disguise.console-release-media-payload, without its word exceptions.
CREATE VIEW indicator_first_seen AS
SELECT t.infohash, t.first_seen AS event_at,
       coalesce(t.claimed_category, '(none)') AS claimed_category,
       coalesce(t.claimed_platform, '(none)') AS claimed_platform,
       coalesce(t.claimed_category = 'game_console', false) AS console_claim,
       coalesce(t.claimed_category = 'game_console' AND t.has_metadata
                AND coalesce(t.share_bytes_video, 0) + coalesce(t.share_bytes_image, 0) >= 0.6
                AND coalesce(t.share_bytes_disc_image, 0)
                    + coalesce(t.share_bytes_game_package, 0) <= 0.05
                AND NOT coalesce(t.video_about_game, false)
                AND t.claimed_nature IS NULL, false) AS console_contradicted
FROM torrents t;

-- Each torrent's first sighting and the source that made it.
CREATE VIEW indicator_first_sightings AS
SELECT infohash, min(seen_at) AS event_at, arg_min(source, seen_at) AS source
FROM observations GROUP BY infohash;

-- Flags by when they were first raised; `level` is the flag's level now. Shadow rules'
-- flags (status experimental, migration 015) are not flags anyone acts on: left out here
-- and in the times below, as they are from review and exports.
CREATE VIEW indicator_flags_raised AS
SELECT infohash, rule_id, rule_version, level, first_flagged_at AS event_at, active
FROM flags WHERE coalesce(status, 'stable') = 'stable';

-- Decisions per rule: one row for each rule whose flag a decision was made on.
CREATE VIEW indicator_decisions AS
SELECT review_id, seq, infohash, decision, decided_at AS event_at,
       unnest(json_keys(flag_evidence)) AS rule_id
FROM torrent_reviews;

-- Hours from a torrent's first sighting to its first flag (event_at: the first flag).
CREATE VIEW indicator_time_to_flag AS
SELECT f.infohash, t.first_seen, min(f.first_flagged_at) AS event_at,
       epoch(min(f.first_flagged_at) - t.first_seen) / 3600.0 AS hours
FROM flags f JOIN torrents t USING (infohash)
WHERE coalesce(f.status, 'stable') = 'stable'
GROUP BY f.infohash, t.first_seen;

-- Hours from a torrent's first flag to its first decision (event_at: the first decision).
CREATE VIEW indicator_time_to_decision AS
WITH flagged AS (
    SELECT infohash, min(first_flagged_at) AS flagged_at FROM flags
    WHERE coalesce(status, 'stable') = 'stable' GROUP BY infohash
), decided AS (
    SELECT infohash, min(decided_at) AS decided_at FROM torrent_reviews GROUP BY infohash
)
SELECT infohash, flagged_at, decided_at AS event_at,
       epoch(decided_at - flagged_at) / 3600.0 AS hours
FROM flagged JOIN decided USING (infohash);

-- Torrents confirmed now (review_status.confirmed), at the decision that confirmed them.
CREATE VIEW indicator_confirmations AS
SELECT infohash, latest_decided_at AS event_at FROM review_status WHERE confirmed;

-- Sightings of confirmed torrents after their confirmation; seeded: a scrape or feed
-- reported seeders > 0 at that sighting.
CREATE VIEW indicator_seen_after_confirmation AS
SELECT c.infohash, c.event_at AS confirmed_at, o.seen_at AS event_at, o.source,
       coalesce(o.seeders, 0) > 0 AS seeded
FROM indicator_confirmations c
JOIN observations o ON o.infohash = c.infohash AND o.seen_at > c.event_at;

-- Each version of each hash list and when it was in force (valid_to 'infinity': still is).
CREATE VIEW indicator_list_versions AS
SELECT name AS list_name, version AS list_version, loaded_at AS valid_from,
       coalesce(lead(loaded_at) OVER (PARTITION BY name ORDER BY version),
                'infinity'::TIMESTAMPTZ) AS valid_to
FROM hash_lists;

-- Sightings of torrents on a hash list, counted against the version in force when the
-- torrent was seen (by v1 or v2 infohash, or by a file's v2 pieces root).
CREATE VIEW indicator_hash_list_hits AS
WITH on_list AS (
    SELECT t.infohash, e.list_name, e.list_version
    FROM hash_list_entries e JOIN torrents t ON e.kind = 'infohash_v1' AND t.infohash_v1 = e.hash
    UNION
    SELECT t.infohash, e.list_name, e.list_version
    FROM hash_list_entries e JOIN torrents t ON e.kind = 'infohash_v2' AND t.infohash_v2 = e.hash
    UNION
    SELECT f.infohash, e.list_name, e.list_version
    FROM hash_list_entries e JOIN files f ON e.kind = 'pieces_root' AND f.pieces_root = e.hash
), in_force AS (
    SELECT l.*, v.valid_from, v.valid_to
    FROM on_list l JOIN indicator_list_versions v USING (list_name, list_version)
)
SELECT o.infohash, l.list_name, l.list_version, o.seen_at AS event_at, o.source
FROM in_force l
JOIN observations o ON o.infohash = l.infohash
WHERE o.seen_at >= l.valid_from AND o.seen_at < l.valid_to;

-- Export batches sent, per target (event_at: when the batch was recorded).
CREATE VIEW indicator_exports AS
SELECT batch_id, target, recorded_at AS event_at, items AS rows
FROM export_batches;

-- Retractions owed: a torrent a target received that an analyst dismissed afterwards
-- (event_at: the first dismissal after the batch). The target should withdraw it.
CREATE VIEW indicator_retractions AS
SELECT i.target, i.infohash, i.batch_id, min(r.decided_at) AS event_at
FROM export_items i
JOIN export_batches b USING (batch_id)
JOIN torrent_reviews r
  ON r.infohash = i.infohash AND r.decision = 'dismiss' AND r.decided_at > b.recorded_at
GROUP BY i.target, i.infohash, i.batch_id;
