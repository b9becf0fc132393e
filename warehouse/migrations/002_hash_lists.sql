-- 002: known-hash lists (hotline lists of infohashes and v2 file pieces roots).
-- Every import is a new version of its list; no version and no entry is ever
-- deleted, so what a list said at any time stays answerable.

CREATE TABLE hash_lists (
    name            VARCHAR NOT NULL,
    version         INTEGER NOT NULL,      -- 1, 2, ... per name
    source          VARCHAR,               -- provenance the operator gave (--source)
    file_path       VARCHAR NOT NULL,      -- the file imported
    sha256          VARCHAR NOT NULL,      -- of the file's bytes
    format          VARCHAR NOT NULL,      -- text | csv
    loaded_at       TIMESTAMPTZ NOT NULL,
    lines           BIGINT NOT NULL,       -- physical lines of the file
    entries         BIGINT NOT NULL,       -- distinct (kind, hash) stored
    duplicates      BIGINT NOT NULL,       -- entries that repeated an earlier line
    rejected_lines  BIGINT NOT NULL,
    run_id          VARCHAR,
    PRIMARY KEY (name, version)
);

CREATE TABLE hash_list_entries (
    list_name    VARCHAR NOT NULL,
    list_version INTEGER NOT NULL,
    kind         VARCHAR NOT NULL,         -- infohash_v1 | infohash_v2 | pieces_root
    hash         VARCHAR NOT NULL,         -- lowercase hex
    label        VARCHAR,
    line_number  BIGINT NOT NULL
);

CREATE TABLE hash_list_rejects (
    list_name    VARCHAR NOT NULL,
    list_version INTEGER NOT NULL,
    line_number  BIGINT NOT NULL,
    line_text    VARCHAR NOT NULL,         -- display-safe, cut to 200 characters
    line_sha256  VARCHAR NOT NULL,         -- of the whole line's bytes
    reason       VARCHAR NOT NULL,         -- stable code (parsers/reasons.py)
    detail       VARCHAR NOT NULL
);

-- The entries of the latest version of each list: what matching uses.
CREATE VIEW hash_list_latest_entries AS
SELECT e.*
FROM hash_list_entries e
JOIN (SELECT name, max(version) AS version FROM hash_lists GROUP BY name) l
  ON e.list_name = l.name AND e.list_version = l.version;

-- Torrents (by v1 or v2 infohash) and files (by pieces root) on the latest version of a list.
CREATE VIEW torrent_hash_list_matches AS
SELECT t.infohash, e.list_name, e.list_version, e.kind, e.hash, e.label, e.line_number,
       NULL::INTEGER AS file_index, NULL::VARCHAR AS path
FROM torrents t JOIN hash_list_latest_entries e
  ON e.kind = 'infohash_v1' AND t.infohash_v1 = e.hash
UNION ALL
SELECT t.infohash, e.list_name, e.list_version, e.kind, e.hash, e.label, e.line_number,
       NULL::INTEGER, NULL::VARCHAR
FROM torrents t JOIN hash_list_latest_entries e
  ON e.kind = 'infohash_v2' AND t.infohash_v2 = e.hash
UNION ALL
SELECT f.infohash, e.list_name, e.list_version, e.kind, e.hash, e.label, e.line_number,
       f.file_index, f.path
FROM files f JOIN hash_list_latest_entries e
  ON e.kind = 'pieces_root' AND f.pieces_root = e.hash;
