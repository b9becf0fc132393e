-- 008: how far into a magnetico export (a landed item, or a file given to `import
-- magnetico`) the committed blocks reach.
-- Such an item is loaded block by block, one transaction each, in file order; each block
-- moves `through` in its own transaction, so a load that dies part-way resumes after the
-- last committed record instead of loading the earlier blocks (and their sightings) again.

CREATE TABLE load_progress (
    landing_key VARCHAR PRIMARY KEY,   -- the landing key, or file:<path>:<size>:<mtime ns>
    through     BIGINT NOT NULL,       -- last record number committed (line, or torrents.id)
    run_id      VARCHAR NOT NULL,      -- runs.run_id of the load that committed it
    updated_at  TIMESTAMPTZ NOT NULL
);
