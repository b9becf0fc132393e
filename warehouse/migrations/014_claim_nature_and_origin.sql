-- 014: what a name declares its payload to be, and where a claim comes from.
--
-- claimed_nature: the declared nature of a (mostly game-related) release's media
-- payload, an id of `natures` in parsers/data/release_tags.yaml (textures,
-- soundtrack, gameplay_video, player_video, artbook, manual, saves, trailer, mod);
-- NULL when the name declares none. video_about_game stays: it is true for the
-- natures marked about_game there.
-- claim_origin: 'name' when the name's words claim the category, 'content' when a
-- name claiming nothing claims video through its bytes (film or tv, see
-- `from_content` in release_tags.yaml), NULL without a claim.
--
-- Rows stored before 014 are brought forward set-wise: their nature from the tags
-- the old vocabulary wrote (its video- and music-about-a-game words), their origin,
-- and their claim from content with the thresholds of release_tags.yaml version 2.
-- Newer vocabulary (texture packs, non-Latin episode markers, ...) reaches old rows
-- only when they are loaded again.

ALTER TABLE torrents ADD COLUMN claimed_nature VARCHAR;
ALTER TABLE torrents ADD COLUMN claim_origin VARCHAR;

UPDATE torrents SET claimed_nature = CASE
        WHEN list_has_any(release_tags, ['trailer', 'trailers']) THEN 'trailer'
        WHEN list_has_any(release_tags, ['gameplay', 'longplay', 'walkthrough', 'speedrun',
                                         'speed run', 'lets play', 'playthrough',
                                         'cutscenes']) THEN 'gameplay_video'
        WHEN list_has_any(release_tags, ['soundtrack', 'ost', 'original soundtrack'])
            THEN 'soundtrack'
    END
WHERE video_about_game;

UPDATE torrents SET claim_origin = 'name' WHERE claimed_category IS NOT NULL;

UPDATE torrents SET
    claimed_category = CASE
        WHEN count_video >= 3 AND largest_file_size < 0.5 * total_size THEN 'tv'
        ELSE 'film'
    END,
    claim_origin = 'content'
WHERE claimed_category IS NULL AND share_bytes_video >= 0.9;
