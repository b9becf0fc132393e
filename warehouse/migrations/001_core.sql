-- 001: the core tables analysts query. Column names are a public interface:
-- add columns in later migrations, never rename or repurpose these.

CREATE TABLE runs (
    run_id           VARCHAR PRIMARY KEY,
    command          VARCHAR NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    status           VARCHAR NOT NULL,          -- running | completed | failed
    items_read       BIGINT DEFAULT 0,
    torrents_new     BIGINT DEFAULT 0,
    torrents_updated BIGINT DEFAULT 0,
    rejected         BIGINT DEFAULT 0,
    detail           JSON
);

CREATE TABLE torrents (
    infohash                    VARCHAR PRIMARY KEY, -- v1 hex if the torrent has one, else v2 hex
    infohash_v1                 VARCHAR,
    infohash_v2                 VARCHAR,
    has_metadata                BOOLEAN NOT NULL,    -- false: known only from a magnet link
    name                        VARCHAR,
    name_raw                    BLOB,                -- the torrent's own bytes when not valid UTF-8
    name_norm                   VARCHAR,
    name_skeleton               VARCHAR,
    name_tokens                 VARCHAR[],
    skeleton_tokens             VARCHAR[],
    name_has_bidi               BOOLEAN,
    name_has_zero_width         BOOLEAN,
    name_has_trailing_dot_space BOOLEAN,
    name_has_control            BOOLEAN,
    total_size                  BIGINT,
    file_count                  INTEGER,             -- pad files left out
    piece_length                INTEGER,
    private                     BOOLEAN,
    created_by                  VARCHAR,
    creation_date               TIMESTAMPTZ,
    comment                     VARCHAR,
    source                      VARCHAR,             -- the info dict's 'source' key
    trackers                    VARCHAR[],
    web_seeds                   VARCHAR[],
    metadata_size               INTEGER,
    claimed_platform            VARCHAR,
    claimed_category            VARCHAR,
    release_tags                VARCHAR[],
    video_about_game            BOOLEAN,
    count_video                 INTEGER,
    count_image                 INTEGER,
    count_audio                 INTEGER,
    count_archive               INTEGER,
    count_disc_image            INTEGER,
    count_game_package          INTEGER,
    count_executable            INTEGER,
    count_document              INTEGER,
    count_subtitle              INTEGER,
    count_text                  INTEGER,
    count_other                 INTEGER,
    share_bytes_video           DOUBLE,
    share_bytes_image           DOUBLE,
    share_bytes_audio           DOUBLE,
    share_bytes_archive         DOUBLE,
    share_bytes_disc_image      DOUBLE,
    share_bytes_game_package    DOUBLE,
    share_bytes_executable      DOUBLE,
    share_bytes_document        DOUBLE,
    share_bytes_subtitle        DOUBLE,
    share_bytes_text            DOUBLE,
    share_bytes_other           DOUBLE,
    dominant_kind               VARCHAR,
    largest_file_size           BIGINT,
    first_seen                  TIMESTAMPTZ NOT NULL,
    last_seen                   TIMESTAMPTZ NOT NULL,
    first_run_id                VARCHAR,
    last_run_id                 VARCHAR
);

CREATE TABLE files (
    infohash               VARCHAR NOT NULL,
    file_index             INTEGER NOT NULL,    -- libtorrent's order, pad files included
    path                   VARCHAR NOT NULL,    -- display-safe, '/'-joined
    path_raw               BLOB,                -- the torrent's own bytes when they differ
    path_norm              VARCHAR,
    ext                    VARCHAR,             -- last element of exts, '' when none
    exts                   VARCHAR[],           -- the whole chain: movie.avi.exe -> [avi, exe]
    kind                   VARCHAR,
    size                   BIGINT NOT NULL,
    is_pad                 BOOLEAN NOT NULL,
    is_symlink             BOOLEAN NOT NULL,
    symlink_target         VARCHAR,
    is_executable          BOOLEAN,
    is_hidden              BOOLEAN,
    pieces_root            VARCHAR,             -- BEP 52 merkle root (hex), v2 only
    has_bidi               BOOLEAN,
    has_zero_width         BOOLEAN,
    has_trailing_dot_space BOOLEAN,
    has_control            BOOLEAN
);

CREATE TABLE observations (
    infohash   VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    source_ref VARCHAR NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    title      VARCHAR,
    category   VARCHAR,
    seeders    INTEGER,
    leechers   INTEGER,
    run_id     VARCHAR
);

CREATE TABLE rejects (
    source     VARCHAR NOT NULL,
    source_ref VARCHAR NOT NULL,
    sha256     VARCHAR,              -- NULL when the input could not be read
    reason     VARCHAR NOT NULL,
    detail     VARCHAR NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR
);
