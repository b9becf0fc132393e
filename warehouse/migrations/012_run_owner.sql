-- 012: which process a run belongs to (its pid and host), so that a later writer can
-- tell a run whose process died (kill -9, OOM killer, power loss) from one still going
-- in this process, and mark it `abandoned` instead of leaving it `running` forever.
-- NULL for runs recorded before this migration.

ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;
