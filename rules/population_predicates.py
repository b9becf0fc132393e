"""A predicate that learns from the warehouse: content rare for what the name claims.

``rare_for_claim`` raises a torrent whose bytes are mostly one kind (``content_at_least``
of them, more than half) when, among the other torrents claiming the same category (or
platform), at most ``at_most`` are mostly that kind, and there are at least
``min_support`` of them to judge by. Nobody writes what an ebook or a film "should"
contain: the warehouse says it, and the rule adapts as the data grows.

The statistics are set-wise: ``rules.populations.prepare`` writes, once per flag run,
the temporary table ``claim_populations(population_key, claim, kind, claimed, mostly)``
in one aggregate over ``torrents`` per distinct (claim axis, ``content_at_least``):
for every claim, how many torrents claim it (``claimed``) and, per dominant kind, how
many of them are mostly that kind (``mostly``). The predicate's SQL is a lookup there by
the torrent's claim and dominant kind. The torrent itself is left out of its own
population (``claimed - 1``, ``mostly - 1``): a torrent is judged against the others,
so one alone with its claim has a population of 0 and never passes ``min_support``.
The comparison ``mostly / claimed <= at_most`` is made exactly, in integers
(``at_most`` as the fraction its decimal says), so a population exactly at the
threshold counts as rare, whatever floating point would have said.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from parsers.extensions import KINDS
from parsers.normalize import display_safe
from parsers.release import CATEGORIES
from rules import values as v
from rules.predicates import Predicate, _enum_list, _object, lit, lits
from rules.source import KeyPath

# The temporary table ``rules.populations.prepare`` writes and the predicate reads.
POPULATIONS_TABLE = "claim_populations"
# The claim axes: the torrents column each compares.
CLAIM_COLUMNS = {"category": "claimed_category", "platform": "claimed_platform"}
# The smallest non-zero ``at_most``: below one in a million a share cannot be told from
# zero in any warehouse, and the exact comparison's integers stay within HUGEINT.
MIN_AT_MOST = 1e-6
# A share written as a percentage (1 for 1%, 90 for 90%) is a unit mistake, said so.
_PERCENT_HINT = 100

# The share of the torrent's dominant kind: the largest of its kind shares (the
# dominant kind is the one with the most bytes), NULL without a content profile.
DOMINANT_SHARE = "greatest(" + ", ".join(f"t.share_bytes_{k}" for k in KINDS) + ")"


def _share(
    ctx: v.Ctx, value: Any, path: KeyPath, low: float, high: float, low_open: bool, meaning: str
) -> float | None:
    """A share (0-1) in ``low``..``high`` (``low`` itself allowed unless ``low_open``;
    ``high`` excluded when it is below 1); a percentage is refused as a unit mistake."""
    if not v.is_real(value):
        ctx.error(
            "rules.wrong_type", path, f"expected a share between 0 and 1, got {v.shown(value)}"
        )
        return None
    # 1 itself is a percentage too where a share cannot be 1 (at_most 1 would say 100%).
    if (value > 1 or (value == 1 and high < 1)) and value <= _PERCENT_HINT:
        ctx.error(
            "rules.bad_value",
            path,
            f"{v.shown(value)} looks like a percentage: shares are written 0 to 1"
            f" ({value / 100:g} for {value:g}%)",
        )
        return None
    too_low = value <= low if low_open else value < low
    too_high = value > high if high == 1 else value >= high
    if too_low or too_high:
        ctx.error("rules.bad_value", path, f"{v.shown(value)}: {meaning}")
        return None
    return value


def percent(share: float) -> str:
    """A share as a percentage, with the digits a small one needs (98%, 1.5%, 0.3%)."""
    if share == 0:
        return "0%"
    return f"{share * 100:.{3 if share >= 0.01 else 2}g}%"


@dataclass(frozen=True, slots=True)
class RareForClaim(Predicate):
    """The torrent is mostly one kind (at least ``content_at_least`` of its bytes) and
    at most ``at_most`` of the other torrents claiming its category (``by: category``)
    or platform (``by: platform``) are mostly that kind, out of at least ``min_support``
    of them. ``claims`` / ``kinds`` restrict which claims and kinds are judged."""

    keyword = "rare_for_claim"
    reads = "population"
    content_at_least: float
    at_most: float
    min_support: int
    by: str = "category"
    claims: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @classmethod
    def claim_values(cls, by: str) -> tuple[str, ...]:
        return CATEGORIES if by == "category" else v.platforms()

    @classmethod
    def from_dict(cls, ctx, value, path):
        keys = ("content_at_least", "at_most", "min_support", "by", "claims", "kinds")
        body = v.mapping(ctx, value, path, keys, keys[:3])
        if body is None or any(k not in body for k in keys[:3]):
            return None
        here = {k: (*path, k) for k in keys}
        content = _share(
            ctx,
            body["content_at_least"],
            here["content_at_least"],
            0.5,
            1,
            True,
            "content_at_least is a share above 0.5 and at most 1: the torrent is mostly one"
            " kind when that kind holds more than half its bytes",
        )
        at_most = _share(
            ctx,
            body["at_most"],
            here["at_most"],
            0,
            0.5,
            False,
            "at_most is a share from 0 to below 0.5: what at most that share of a claim's"
            " torrents are is rare for it (write 0.01 for 1%)",
        )
        if at_most is not None and 0 < at_most < MIN_AT_MOST:
            ctx.error(
                "rules.bad_value",
                here["at_most"],
                f"{v.shown(at_most)}: at_most is 0 or at least {MIN_AT_MOST:g} (one in a"
                " million; a smaller share cannot be told from 0)",
            )
            at_most = None
        support = v.integer(
            ctx,
            body["min_support"],
            here["min_support"],
            1,
            v.MAX_COUNT,
            "min_support: how many other torrents must make the claim, a whole number >= 1",
        )
        by = body.get("by", "category")
        if by not in CLAIM_COLUMNS:
            ctx.error(
                "rules.bad_value",
                here["by"],
                f"{v.shown(by)}: by is one of {', '.join(CLAIM_COLUMNS)}",
            )
            return None
        claims: tuple[str, ...] | None = ()
        if "claims" in body:
            claims = v.choices(ctx, body["claims"], here["claims"], cls.claim_values(by), by)
        kinds = v.kinds(ctx, body["kinds"], here["kinds"]) if "kinds" in body else ()
        if None in (content, at_most, support, claims, kinds):
            return None
        return cls(content, at_most, support, by, claims, kinds)

    @classmethod
    def json_schema(cls):
        claim_lists = [_enum_list(CATEGORIES), _enum_list(v.platforms())]
        props = {
            "content_at_least": {"type": "number", "exclusiveMinimum": 0.5, "maximum": 1},
            "at_most": {"type": "number", "minimum": 0, "exclusiveMaximum": 0.5},
            "min_support": {"type": "integer", "minimum": 1, "maximum": v.MAX_COUNT},
            "by": {"enum": list(CLAIM_COLUMNS)},
            "claims": {"anyOf": claim_lists},
            "kinds": _enum_list(KINDS),
        }
        return _object(props, ("content_at_least", "at_most", "min_support"))

    @property
    def population_key(self) -> str:
        """The statistics this predicate reads: one per claim axis and threshold."""
        return f"{self.by}:{self.content_at_least!r}"

    @property
    def column(self) -> str:
        return CLAIM_COLUMNS[self.by]

    def _row(self) -> str:
        """The ``claim_populations`` row of the torrent's claim and dominant kind."""
        return (
            f"FROM {POPULATIONS_TABLE} p WHERE p.population_key = {lit(self.population_key)}"
            f" AND p.claim = t.{self.column} AND p.kind = t.dominant_kind"
        )

    def sql(self):
        rare = Fraction(repr(self.at_most))
        parts = []
        if self.claims:
            parts.append(f"t.{self.column} IN ({lits(self.claims)})")
        if self.kinds:
            parts.append(f"t.dominant_kind IN ({lits(self.kinds)})")
        parts.append(f"{DOMINANT_SHARE} >= {self.content_at_least!r}")
        # The torrent is in its own row's counts (its claim, its kind, mostly it): the
        # others are claimed - 1 and mostly - 1, compared exactly as integers.
        parts.append(
            f"EXISTS (SELECT 1 {self._row()} AND p.claimed - 1 >= {self.min_support}"
            f" AND (p.mostly - 1) * '{rare.denominator}'::HUGEINT"
            f" <= '{rare.numerator}'::HUGEINT * (p.claimed - 1))"
        )
        return "(" + " AND ".join(parts) + ")"

    def evidence_sql(self):
        mostly_self = f"CASE WHEN {DOMINANT_SHARE} >= {self.content_at_least!r} THEN 1 ELSE 0 END"
        population = f"(SELECT p.claimed - 1 {self._row()})"
        mostly = f"(SELECT p.mostly - {mostly_self} {self._row()})"
        return (
            f"json_object('claim', t.{self.column}, 'kind', t.dominant_kind,"
            f" 'share', {DOMINANT_SHARE}, 'population', {population}, 'mostly', {mostly},"
            f" 'mostly_share', {mostly} / nullif({population}, 0))"
        )

    @classmethod
    def describe(cls, args, values, context):
        by = args.get("by", "category")
        claim, kind = values.get("claim"), values.get("kind")
        if claim is None:
            return [f"the name claims no {by}"]
        claim = display_safe(str(claim))
        if kind is None:
            return [f"claims {by} {claim}; no content profile (no files with bytes)"]
        kind = display_safe(str(kind))
        content = args.get("content_at_least", 1)
        share = values.get("share") or 0
        population = values.get("population") or 0
        mostly = values.get("mostly") or 0
        if population:
            line = (
                f"{mostly:,} of the {population:,} other torrents claiming {by} {claim}"
                f" ({percent(mostly / population)}) are mostly {kind} (at least"
                f" {percent(content)} of their bytes); this one is {percent(share)} {kind}"
            )
        else:
            line = f"no other torrent claims {by} {claim}; this one is {percent(share)} {kind}"
        why = []
        if args.get("claims") and claim not in args["claims"]:
            why.append(f"{by} {claim} is not among those judged")
        if args.get("kinds") and kind not in args["kinds"]:
            why.append(f"{kind} is not among the kinds judged")
        if share < content:
            why.append(f"it is not mostly {kind} (under {percent(content)})")
        if population < args.get("min_support", 1):
            why.append(f"{population:,} is fewer than the {args['min_support']:,} needed to judge")
        elif population and Fraction(mostly, population) > Fraction(repr(args["at_most"])):
            why.append(f"more than the {percent(args['at_most'])} that counts as rare")
        if why:
            line += ": " + "; ".join(why)
        else:
            line += (
                f": rare for {by} {claim} (at most {percent(args['at_most'])}, of at least"
                f" {args['min_support']:,})"
            )
        return [line]
