"""Matching a batch's torrents to stored rows by either hash, set-wise.

A hybrid torrent has a v1 and a v2 infohash, and the warehouse may know it by either:
a ``btmh`` magnet first gives a row keyed by the v2 hash, and its ``.torrent`` later
brings both. Rows are matched by key, by ``infohash_v1`` and by ``infohash_v2``; a
stored row keeps its key, and the batch's rows, files and sightings are re-keyed to
it before the ordinary upsert (``warehouse/load.py``) runs. Everything here is a few
SQL statements over the whole batch; nothing loops over torrents.

The rule (docs/data-dictionary.md, "One torrent, one row"):

* A row keeps the key it was created with (``torrents.infohash``): files,
  observations, flags and append-only reviews refer to it.
* A row with metadata has settled hashes (NULL means "this torrent has none"); a row
  without metadata has unknown hashes where NULL, which a sighting may fill in.
* A sighting that contradicts a stored row (a different hash where one is known or
  settled) is a ``magnet.hash_conflict`` reject, and its sighting is kept under the
  row its v1 hash (or key) names, else under a new row of its own v1 hash. A batch
  row with metadata is never contradicted by a row without: metadata settles it.
* A sighting whose hashes name two stored rows (a v1-magnet row and a btmh-magnet
  row of one hybrid torrent) joins them: the row first seen stays, the other's
  observations, files and flags move to it, and ``torrent_merges`` records the merge.
  A rule that flagged both rows keeps the survivor's flag active; the other flag stays
  under the merged key, inactive, with its evidence (flags are never deleted). Reviews
  stay under the key they were recorded against; ``torrent_merges`` leads from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.flag_rows import SHOWN_MATCHED_AT

_HIT = """
    SELECT b.infohash AS batch_key, t.infohash AS row_key, {via} AS via,
           t.infohash_v1 AS row_v1, t.infohash_v2 AS row_v2, t.has_metadata AS row_settled,
           t.first_seen AS row_first_seen, b.infohash_v1 AS v1, b.infohash_v2 AS v2,
           b.has_metadata AS brings_metadata
    FROM batch_torrents b JOIN torrents t ON {on}"""

# A batch row holding a v1 hash is keyed by it, so by v1 hash only stored rows keyed
# otherwise (by their v2 hash) need looking up; by v2 hash only when the batch holds any.
_BY_KEY = _HIT.format(via=0, on="t.infohash = b.infohash")
_BY_V1 = _HIT.format(via=1, on="t.infohash_v1 = b.infohash_v1 AND t.infohash_v1 <> t.infohash")
_BY_V2 = _HIT.format(via=2, on="t.infohash_v2 = b.infohash_v2")


def match_sql(with_v2: bool) -> str:
    """Each batch row's stored rows, by key (via 0), v1 (1) or v2 hash (2), and whether
    the batch row contradicts the stored one (pure: returns SQL)."""
    hits = " UNION ALL ".join([_BY_KEY, _BY_V1, *([_BY_V2] if with_v2 else [])])
    return f"""
CREATE OR REPLACE TEMP TABLE batch_match AS
WITH hits AS ({hits}
), matched AS (
    SELECT batch_key, row_key, min(via) AS via,
           any_value(row_v1) AS row_v1, any_value(row_v2) AS row_v2,
           any_value(row_settled) AS row_settled, any_value(row_first_seen) AS row_first_seen,
           any_value(v1) AS v1, any_value(v2) AS v2, any_value(brings_metadata) AS brings_metadata
    FROM hits GROUP BY batch_key, row_key
)
SELECT *,
    CASE WHEN brings_metadata AND NOT row_settled THEN false
         ELSE (v1 IS NOT NULL AND v1 IS DISTINCT FROM row_v1
               AND (row_v1 IS NOT NULL OR row_settled))
           OR (v2 IS NOT NULL AND v2 IS DISTINCT FROM row_v2
               AND (row_v2 IS NOT NULL OR row_settled))
    END AS contradicts
FROM matched
"""


# Matches that need more than the ordinary upsert: another row, or a contradiction.
# (A hash the batch's own row lacks is filled by the upsert, FILL_HASHES_SQL.)
ANYTHING_TO_DO_SQL = """
SELECT count(*) FROM batch_match WHERE contradicts OR row_key <> batch_key
"""


# One decision per matched batch row: conflict or not, and the row it goes to.
RESOLVE_SQL = """
CREATE OR REPLACE TEMP TABLE batch_resolved AS
SELECT batch_key,
       bool_or(contradicts) OR count(*) FILTER (WHERE row_settled) > 1 AS conflict,
       arg_min(row_key, (row_first_seen, row_key)) AS first_row,
       arg_min(row_key, (via, row_key)) FILTER (WHERE via < 2) AS v1_row,
       any_value(v1) AS v1, any_value(v2) AS v2,
       count(*) AS rows_matched
FROM batch_match
GROUP BY batch_key
"""

# Stored rows that turn out to be one torrent with an earlier row.
MERGES_SQL = """
CREATE OR REPLACE TEMP TABLE batch_merges AS
SELECT m.row_key AS gone, min(r.first_row) AS survivor
FROM batch_match m JOIN batch_resolved r USING (batch_key)
WHERE NOT r.conflict AND m.row_key <> r.first_row
GROUP BY m.row_key
"""

# A survivor that is itself merged away: follow it (one step; repeated until none).
FOLLOW_MERGES_SQL = """
UPDATE batch_merges SET survivor = later.survivor
FROM batch_merges later WHERE batch_merges.survivor = later.gone
"""


def adopt_metadata_sql(columns: list[str]) -> str:
    """A survivor without metadata takes a merged row's metadata (pure: returns SQL)."""
    sets = ", ".join(f"{col} = g.{col}" for col in columns if col != "infohash")
    return (
        f"UPDATE torrents SET {sets}\n"
        "FROM (SELECT t.*, m.survivor FROM batch_merges m\n"
        "      JOIN torrents t ON t.infohash = m.gone WHERE t.has_metadata) g\n"
        "WHERE torrents.infohash = g.survivor AND NOT torrents.has_metadata"
    )


MERGE_STATEMENTS = (
    # The survivor's window and hashes cover the rows it absorbs.
    """
    UPDATE torrents SET
        first_seen = least(torrents.first_seen, g.first_seen),
        last_seen = greatest(torrents.last_seen, g.last_seen),
        infohash_v1 = coalesce(torrents.infohash_v1, g.v1),
        infohash_v2 = coalesce(torrents.infohash_v2, g.v2)
    FROM (SELECT m.survivor, min(t.first_seen) AS first_seen, max(t.last_seen) AS last_seen,
                 max(t.infohash_v1) AS v1, max(t.infohash_v2) AS v2
          FROM batch_merges m JOIN torrents t ON t.infohash = m.gone GROUP BY m.survivor) g
    WHERE torrents.infohash = g.survivor
    """,
    "UPDATE files SET infohash = m.survivor FROM batch_merges m WHERE files.infohash = m.gone",
    """
    UPDATE observations SET infohash = m.survivor
    FROM batch_merges m WHERE observations.infohash = m.gone
    """,
    # A rule that flagged both rows keeps one flag: the survivor's, raised at the earlier time.
    """
    UPDATE flag_rows SET
        first_flagged_at = least(flag_rows.first_flagged_at, g.first_flagged_at),
        active = flag_rows.active OR g.active
    FROM (SELECT m.survivor, f.rule_id, f.first_flagged_at, f.active
          FROM batch_merges m JOIN flag_rows f ON f.infohash = m.gone) g
    WHERE flag_rows.infohash = g.survivor AND flag_rows.rule_id = g.rule_id
    """,
    # The other stays, with its evidence, under the merged key and no longer active:
    # flags are never deleted (torrent_merges leads from that key to the survivor). Its
    # last match as the `flags` view shows it is written in first: the view adds its
    # rule's latest evaluation to an active flag's only (warehouse.flag_rows).
    f"""
    UPDATE flag_rows SET active = false, last_matched_at = {SHOWN_MATCHED_AT}
    FROM batch_merges m
    WHERE flag_rows.infohash = m.gone AND EXISTS (
        SELECT 1 FROM flag_rows kept
        WHERE kept.infohash = m.survivor AND kept.rule_id = flag_rows.rule_id)
    """,
    """
    UPDATE flag_rows SET infohash = m.survivor
    FROM batch_merges m WHERE flag_rows.infohash = m.gone AND NOT EXISTS (
        SELECT 1 FROM flag_rows kept
        WHERE kept.infohash = m.survivor AND kept.rule_id = flag_rows.rule_id)
    """,
    # A row merged away now may hold keys merged into it before: they follow it, so
    # torrent_merges always names the row that holds a key now (one step, no chains).
    """
    UPDATE torrent_merges SET infohash = m.survivor
    FROM batch_merges m WHERE torrent_merges.infohash = m.gone
    """,
    """
    INSERT INTO torrent_merges (merged_infohash, infohash, merged_at, run_id)
    SELECT gone, survivor, now(), $run_id FROM batch_merges
    """,
    "DELETE FROM torrents WHERE infohash IN (SELECT gone FROM batch_merges)",
)

# Where each matched batch row goes; conflicting ones under their v1 row, or their own.
TARGETS_SQL = """
CREATE OR REPLACE TEMP TABLE batch_targets AS
SELECT r.batch_key, r.conflict,
       CASE WHEN r.conflict THEN coalesce(mv.survivor, r.v1_row, r.v1, r.batch_key)
            ELSE coalesce(m.survivor, r.first_row) END AS target,
       r.conflict AND r.v1_row IS NOT NULL AS drop_v1
FROM batch_resolved r
LEFT JOIN batch_merges m ON m.gone = r.first_row
LEFT JOIN batch_merges mv ON mv.gone = r.v1_row
"""

# Does the batch need re-keying (a row goes elsewhere, or its hashes must not be paired)?
REKEY_NEEDED_SQL = (
    "SELECT count(*) FROM batch_targets WHERE conflict OR target IS DISTINCT FROM batch_key"
)

# The batch's rows re-keyed to their targets: one per target (a row with metadata first).
REKEYED_TORRENTS_SQL = """
SELECT * EXCLUDE (batch_key, conflict, target, drop_v1, rank) FROM (
    SELECT b.* REPLACE (
               coalesce(k.target, b.infohash) AS infohash,
               CASE WHEN k.drop_v1 THEN NULL ELSE b.infohash_v1 END AS infohash_v1,
               CASE WHEN k.conflict THEN NULL ELSE b.infohash_v2 END AS infohash_v2,
               min(b.first_seen) OVER w AS first_seen,
               max(b.last_seen) OVER w AS last_seen),
           k.*,
           row_number() OVER (PARTITION BY coalesce(k.target, b.infohash)
                              ORDER BY b.has_metadata DESC, b.infohash) AS rank
    FROM batch_torrents b LEFT JOIN batch_targets k ON k.batch_key = b.infohash
    WINDOW w AS (PARTITION BY coalesce(k.target, b.infohash))
) WHERE rank = 1
"""

# Files only of the batch rows kept above (the files of one torrent, once).
REKEYED_FILES_SQL = """
SELECT f.* REPLACE (coalesce(k.target, f.infohash) AS infohash)
FROM batch_files f LEFT JOIN batch_targets k ON k.batch_key = f.infohash
WHERE f.infohash IN (SELECT batch_key FROM batch_kept)
"""

REKEYED_OBSERVATIONS_SQL = """
SELECT o.* REPLACE (coalesce(k.target, o.infohash) AS infohash)
FROM batch_observations o LEFT JOIN batch_targets k ON k.batch_key = o.infohash
"""

# Which batch row stands for each target (its files are the ones loaded).
KEPT_SQL = """
CREATE OR REPLACE TEMP TABLE batch_kept AS
SELECT arg_min(b.infohash, (NOT b.has_metadata, b.infohash)) AS batch_key
FROM batch_torrents b LEFT JOIN batch_targets k ON k.batch_key = b.infohash
GROUP BY coalesce(k.target, b.infohash)
"""

# A sighting whose hash pairing contradicts a stored torrent: filed, and kept.
CONFLICT_REJECTS_SQL = """
INSERT INTO rejects (source, source_ref, sha256, reason, detail, seen_at, run_id)
SELECT o.source, o.source_ref, NULL, 'magnet.hash_conflict',
       printf('%s: the sighting pairs v1 %s with v2 %s, but the stored torrent %s has v1 %s '
              'and v2 %s%s; the sighting is kept under %s and its other hash is not paired',
              o.source_ref, coalesce(r.v1, 'none'), coalesce(r.v2, 'none'), m.row_key,
              coalesce(m.row_v1, 'none'), coalesce(m.row_v2, 'none'),
              CASE WHEN m.row_settled THEN ' (from its metadata)' ELSE '' END, k.target),
       o.seen_at, $run_id
FROM batch_observations o
JOIN batch_targets k ON k.batch_key = o.infohash AND k.conflict
JOIN batch_resolved r ON r.batch_key = o.infohash
JOIN (SELECT * FROM batch_match
      QUALIFY row_number() OVER (PARTITION BY batch_key ORDER BY contradicts DESC, via) = 1) m
  ON m.batch_key = o.infohash
"""

# Hashes a stored row did not know, learned from a sighting that agrees with it.
FILL_HASHES_SQL = """
UPDATE torrents SET
    infohash_v1 = coalesce(torrents.infohash_v1, b.infohash_v1),
    infohash_v2 = coalesce(torrents.infohash_v2, b.infohash_v2)
FROM batch_torrents b
WHERE torrents.infohash = b.infohash
  AND ((torrents.infohash_v1 IS NULL AND b.infohash_v1 IS NOT NULL)
       OR (torrents.infohash_v2 IS NULL AND b.infohash_v2 IS NOT NULL))
"""

CLEANUP_SQL = (
    "DROP TABLE IF EXISTS batch_match; DROP TABLE IF EXISTS batch_resolved; "
    "DROP TABLE IF EXISTS batch_merges; DROP TABLE IF EXISTS batch_targets; "
    "DROP TABLE IF EXISTS batch_kept"
)


@dataclass(frozen=True, slots=True)
class Matched:
    """What matching did: the re-keyed batch queries to register in place of
    ``batch_torrents``, ``batch_files`` and ``batch_observations`` (None when every
    batch row keeps its key, the usual case), and the conflicts it filed."""

    rekeyed: dict[str, str] | None = None
    conflicts: int = 0


def match_stored(con, columns: list[str], run_id: str) -> Matched:
    """Match the registered batch to stored rows by either hash; merge stored rows
    that are one torrent; file conflicts as ``magnet.hash_conflict`` rejects."""
    with_v2 = con.execute(
        "SELECT count(*) FROM batch_torrents WHERE infohash_v2 IS NOT NULL"
    ).fetchone()[0]
    con.execute(match_sql(bool(with_v2)))
    if not con.execute(ANYTHING_TO_DO_SQL).fetchone()[0]:
        return Matched()
    con.execute(RESOLVE_SQL)
    con.execute(MERGES_SQL)
    if con.execute("SELECT count(*) FROM batch_merges").fetchone()[0]:
        _merge_rows(con, columns, run_id)
    con.execute(TARGETS_SQL)
    if not con.execute(REKEY_NEEDED_SQL).fetchone()[0]:
        return Matched()
    conflicts = con.execute(CONFLICT_REJECTS_SQL, {"run_id": run_id}).fetchone()[0]
    con.execute(KEPT_SQL)
    rekeyed = {
        "batch_torrents": REKEYED_TORRENTS_SQL,
        "batch_files": REKEYED_FILES_SQL,
        "batch_observations": REKEYED_OBSERVATIONS_SQL,
    }
    return Matched(rekeyed, conflicts)


def _merge_rows(con, columns: list[str], run_id: str) -> None:
    for _ in range(64):  # chains of merges are as long as the rows they join
        if not con.execute(FOLLOW_MERGES_SQL).fetchone()[0]:
            break
    con.execute(adopt_metadata_sql(columns))
    for statement in MERGE_STATEMENTS:
        con.execute(statement, {"run_id": run_id} if "$run_id" in statement else None)
