-- 009: when two torrents rows turn out to be one hybrid torrent (a v1-magnet row and a
-- btmh-magnet row, joined by a sighting that names both hashes), the row first seen
-- stays and the other is merged into it. Keys stay stable, so anything that still
-- names the merged key (an append-only review, an export, an analyst's note) can be
-- followed here to the row that holds the torrent now.

CREATE TABLE torrent_merges (
    merged_infohash VARCHAR NOT NULL,     -- the key of the row merged away
    infohash        VARCHAR NOT NULL,     -- torrents.infohash of the row that holds it now
    merged_at       TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR               -- runs.run_id of the load that merged them
);
