-- 006: the landing-zone items a load committed, written in the same transaction as the
-- rows they became. The landing zone's own journal marks them too, but after the commit;
-- a crash between the two would load a batch twice (its sightings doubled). With this
-- table the next load sees the batch is in and only repairs the journal.

CREATE TABLE landed_items (
    landing_key VARCHAR PRIMARY KEY,   -- the landing zone's key of the item
    run_id      VARCHAR NOT NULL,      -- runs.run_id of the load (command 'monitor')
    loaded_at   TIMESTAMPTZ NOT NULL
);
