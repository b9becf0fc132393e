-- 015: a placeholder for the migration number reserved for issue 15, so that 017 applies
-- on this branch (migrations are numbered 1..n without gaps). It does nothing; when
-- issue 15's own 015_*.sql is merged, delete this file.
SELECT 1;
