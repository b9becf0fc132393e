-- 010: the bytes of a torrent's other name keys. A torrent may name itself twice
-- ('name' and 'name.utf-8', 'path' and 'path.utf-8', a hybrid's v1 'files' beside its
-- file tree); libtorrent reads one (kept in name_raw / path_raw when it rewrote it)
-- and other clients show the other. A disguise in either key is evidence: kept here,
-- and the has_* marks are read from every key. NULL when the torrent has no other
-- reading that differs.

ALTER TABLE torrents ADD COLUMN name_alt_raw BLOB;
ALTER TABLE files ADD COLUMN path_alt_raw BLOB[];
