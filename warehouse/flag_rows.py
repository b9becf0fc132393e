"""What the ``flags`` view shows of a row of ``flag_rows`` (migration 020), as SQL for the
writers of those rows: the flag stage and torrent merges.

A row not written since its rule's latest evaluation reads, through the view, with that
evaluation's time as its ``last_evaluated_at`` (and, while active, ``last_matched_at``).
A writer that changes such a row writes those values in first, so the view keeps showing
what a full run would have written. The expressions name the table ``flag_rows``
unaliased, as an ``UPDATE flag_rows`` sees it.
"""

from __future__ import annotations

# The row's rule's latest evaluation (NULL before any run stamped it).
RULE_STAMP = "(SELECT s.evaluated_at FROM flag_rule_stamps s WHERE s.rule_id = flag_rows.rule_id)"

# ``last_evaluated_at`` and ``last_matched_at`` as the view shows them.
SHOWN_EVALUATED_AT = f"greatest(flag_rows.last_evaluated_at, {RULE_STAMP})"
SHOWN_MATCHED_AT = (
    f"CASE WHEN flag_rows.active THEN greatest(flag_rows.last_matched_at, {RULE_STAMP})"
    " ELSE flag_rows.last_matched_at END"
)
