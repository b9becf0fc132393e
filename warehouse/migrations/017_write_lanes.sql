-- 017: write lanes. On a lake warehouse (docs/lake.md) many processes write at once and
-- DuckLake keeps no keys, so nothing would stop two loaders adding the same torrent or two
-- analysts' decisions taking the same seq. Each kind of write that must see every
-- earlier one of its kind bumps its lane's one row inside its transaction; DuckLake then
-- refuses the later of two overlapping commits (both changed the same table), and the
-- writer runs its transaction again on the newer snapshot (warehouse.lanes). One table
-- per lane: DuckLake detects conflicts per table, and a load should not wait for a
-- decision. On a DuckDB file the writer lock already orders the writes; the bump is free.
CREATE TABLE lane_load (commits BIGINT NOT NULL, last_run_id VARCHAR);
INSERT INTO lane_load VALUES (0, NULL);
CREATE TABLE lane_review (commits BIGINT NOT NULL, last_run_id VARCHAR);
INSERT INTO lane_review VALUES (0, NULL);
CREATE TABLE lane_export (commits BIGINT NOT NULL, last_run_id VARCHAR);
INSERT INTO lane_export VALUES (0, NULL);
CREATE TABLE lane_hashlist (commits BIGINT NOT NULL, last_run_id VARCHAR);
INSERT INTO lane_hashlist VALUES (0, NULL);
CREATE TABLE lane_flag (commits BIGINT NOT NULL, last_run_id VARCHAR);
INSERT INTO lane_flag VALUES (0, NULL);
