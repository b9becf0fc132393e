-- 007: how many times a tracker says a torrent was downloaded to completion (scrape
-- 'completed' / 'downloaded'), beside seeders and leechers. NULL when the source gave none.

ALTER TABLE observations ADD COLUMN completed INTEGER;
