-- 004: analysts' decisions on flagged torrents (`torrentwatch review`). Append-only:
-- the latest decision per torrent stands, every earlier one stays as history.

CREATE TABLE reviews (
    review_id      VARCHAR PRIMARY KEY,
    seq            BIGINT NOT NULL UNIQUE,   -- order of recording: the highest per torrent stands
    infohash       VARCHAR NOT NULL,         -- torrents.infohash
    decision       VARCHAR NOT NULL,         -- confirm | dismiss | escalate
    rationale      VARCHAR NOT NULL,         -- a stable rationale code (docs/review.md)
    note           VARCHAR,                  -- the analyst's free text
    analyst        VARCHAR NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    flag_evidence  JSON NOT NULL             -- {rule_id: evidence} of the active flags decided on
);
