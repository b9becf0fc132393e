"""The fixed vocabulary of review decisions: decisions, rationale codes, analyst ids.

Codes are stable (exports and hotlines' own systems key on them): add new ones, never
rename or repurpose one. docs/review.md lists them; a test keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.errors import ReviewInvalid

DECISIONS = ("confirm", "dismiss", "escalate")

# A code that needs the analyst's words: the note is required with it.
NEEDS_NOTE = "other"

ANALYST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

# A note is a few sentences, not a document: longer ones are refused, not cut.
NOTE_MAX = 4000


@dataclass(frozen=True, slots=True)
class Rationale:
    code: str
    decisions: tuple[str, ...]
    meaning: str


RATIONALES: dict[str, Rationale] = {
    r.code: r
    for r in (
        Rationale(
            "disguised-payload",
            ("confirm",),
            "the files are not what the name claims (a 'game' of videos and images)",
        ),
        Rationale(
            "disguised-executable",
            ("confirm",),
            "an executable or shortcut disguised as media or a document",
        ),
        Rationale(
            "deceptive-name",
            ("confirm",),
            "hidden or reordering characters in a name meant to mislead",
        ),
        Rationale(
            "known-list",
            ("confirm",),
            "on a hotline's known-hash list, and the listing was checked",
        ),
        Rationale(
            "honest-release",
            ("dismiss",),
            "the content matches the claim (trailer beside the game, a PC game's installer)",
        ),
        Rationale(
            "rule-misfire",
            ("dismiss",),
            "the rule matched for a reason that does not apply to this torrent",
        ),
        Rationale("duplicate", ("dismiss",), "already decided under another infohash"),
        Rationale(
            "insufficient-evidence",
            ("dismiss",),
            "the metadata does not support the flag; nothing to act on",
        ),
        Rationale("out-of-scope", ("dismiss",), "not a matter for this team or its hotlines"),
        Rationale("needs-specialist", ("escalate",), "needs an analyst with specialist knowledge"),
        Rationale("needs-second-opinion", ("escalate",), "the analyst wants another view"),
        Rationale("legal-review", ("escalate",), "needs a decision by legal or a supervisor"),
        Rationale(NEEDS_NOTE, DECISIONS, "none of the above; the note says why (required)"),
    )
}


def check_decision(decision: str, rationale: str, analyst: str, note: str | None) -> None:
    """Refuse a decision that is not one of the fixed set, with the accepted values."""
    if decision not in DECISIONS:
        raise ReviewInvalid(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    found = RATIONALES.get(rationale)
    if found is None or decision not in found.decisions:
        allowed = [r.code for r in RATIONALES.values() if decision in r.decisions]
        raise ReviewInvalid(
            f"rationale {rationale!r} is not a code for {decision!r}; use one of "
            f"{', '.join(allowed)} (docs/review.md)"
        )
    if rationale == NEEDS_NOTE and not (note or "").strip():
        raise ReviewInvalid(f"rationale {NEEDS_NOTE!r} needs a --note saying why")
    if note is not None and len(note) > NOTE_MAX:
        raise ReviewInvalid(f"--note has {len(note)} characters; at most {NOTE_MAX}")
    check_analyst(analyst)


def check_analyst(analyst: str) -> None:
    if not ANALYST_ID.match(analyst or ""):
        raise ReviewInvalid(
            f"analyst id {analyst!r} must be 1-64 characters: letters, digits, '.', '_', "
            "'@', '-', starting with a letter or digit"
        )
