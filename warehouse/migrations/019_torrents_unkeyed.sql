-- 019: `torrents` without its PRIMARY KEY (infohash).
--
-- Like `flags` (018), and for a larger reason: the key's index lives in the writer's
-- memory and grows with the warehouse, about 77 bytes a torrent (765 MB at 10,000,000
-- torrents), so a bulk load under the writer's fixed 512 MB (WRITER_MEMORY) stopped
-- with "Out of Memory" once a warehouse passed several million torrents, and every
-- load's checkpoint rewrote the index whole. Nothing reads through it (DuckDB joins by
-- hash), and a lake warehouse never had it. One row per torrent is kept by the only
-- writer of new torrents, warehouse.load: a batch's torrents are matched to the stored
-- ones by infohash, v1 and v2 hash and only the unmatched are inserted, under the load
-- lane, and a batch naming one infohash twice is refused (`warehouse.duplicate_torrent`).
-- DuckDB cannot drop a constraint: the table is rebuilt with the same columns, order,
-- NOT NULLs and defaults, and the views bind to it by name.

CREATE TABLE torrents_unkeyed (
    "infohash"                   VARCHAR NOT NULL,
    "infohash_v1"                VARCHAR,
    "infohash_v2"                VARCHAR,
    "has_metadata"               BOOLEAN NOT NULL,
    "name"                       VARCHAR,
    "name_raw"                   BLOB,
    "name_norm"                  VARCHAR,
    "name_skeleton"              VARCHAR,
    "name_tokens"                VARCHAR[],
    "skeleton_tokens"            VARCHAR[],
    "name_has_bidi"              BOOLEAN,
    "name_has_zero_width"        BOOLEAN,
    "name_has_trailing_dot_space" BOOLEAN,
    "name_has_control"           BOOLEAN,
    "total_size"                 BIGINT,
    "file_count"                 INTEGER,
    "piece_length"               INTEGER,
    "private"                    BOOLEAN,
    "created_by"                 VARCHAR,
    "creation_date"              TIMESTAMP WITH TIME ZONE,
    "comment"                    VARCHAR,
    "source"                     VARCHAR,
    "trackers"                   VARCHAR[],
    "web_seeds"                  VARCHAR[],
    "metadata_size"              INTEGER,
    "claimed_platform"           VARCHAR,
    "claimed_category"           VARCHAR,
    "release_tags"               VARCHAR[],
    "video_about_game"           BOOLEAN,
    "count_video"                INTEGER,
    "count_image"                INTEGER,
    "count_audio"                INTEGER,
    "count_archive"              INTEGER,
    "count_disc_image"           INTEGER,
    "count_game_package"         INTEGER,
    "count_executable"           INTEGER,
    "count_document"             INTEGER,
    "count_subtitle"             INTEGER,
    "count_text"                 INTEGER,
    "count_other"                INTEGER,
    "share_bytes_video"          DOUBLE,
    "share_bytes_image"          DOUBLE,
    "share_bytes_audio"          DOUBLE,
    "share_bytes_archive"        DOUBLE,
    "share_bytes_disc_image"     DOUBLE,
    "share_bytes_game_package"   DOUBLE,
    "share_bytes_executable"     DOUBLE,
    "share_bytes_document"       DOUBLE,
    "share_bytes_subtitle"       DOUBLE,
    "share_bytes_text"           DOUBLE,
    "share_bytes_other"          DOUBLE,
    "dominant_kind"              VARCHAR,
    "largest_file_size"          BIGINT,
    "first_seen"                 TIMESTAMP WITH TIME ZONE NOT NULL,
    "last_seen"                  TIMESTAMP WITH TIME ZONE NOT NULL,
    "first_run_id"               VARCHAR,
    "last_run_id"                VARCHAR,
    "name_alt_raw"               BLOB,
    "claimed_nature"             VARCHAR,
    "claim_origin"               VARCHAR
);
-- The rows in their order: DuckDB keeps insertion order in INSERT … SELECT.
INSERT INTO torrents_unkeyed BY NAME SELECT * FROM torrents;
DROP TABLE torrents;
ALTER TABLE torrents_unkeyed RENAME TO torrents;
