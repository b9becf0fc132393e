-- 016: a placeholder for the migration number reserved for issue 16, so that 017 applies
-- on this branch (migrations are numbered 1..n without gaps). It does nothing; when
-- issue 16's own 016_*.sql is merged, delete this file.
SELECT 1;
