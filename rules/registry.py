"""The YAML keyword -> predicate class registry: the loader reads conditions through it,
the pack schema is generated from it, and ``explain`` finds through it the class that
puts a stored fact into words (``Predicate.describe``, by the keyword the fact names)."""

from __future__ import annotations

from rules.metadata_predicates import METADATA_PREDICATES
from rules.population_predicates import RareForClaim
from rules.predicates import (
    BytesShare,
    ClaimedCategory,
    ClaimedNature,
    ClaimedPlatform,
    Count,
    DoubleExtension,
    FileCount,
    FileMarks,
    HasFile,
    HiddenZeroWidth,
    KnownList,
    LargestFile,
    NameMarks,
    NoFile,
    Predicate,
    SourceCategory,
    TotalSize,
    VideoAboutGame,
    WholeToken,
)
from rules.text_predicates import FuzzyTerms, Regex

PREDICATES: dict[str, type[Predicate]] = {
    cls.keyword: cls
    for cls in (
        ClaimedPlatform,
        ClaimedCategory,
        ClaimedNature,
        SourceCategory,
        VideoAboutGame,
        BytesShare,
        Count,
        HasFile,
        NoFile,
        FileCount,
        TotalSize,
        LargestFile,
        NameMarks,
        FileMarks,
        DoubleExtension,
        HiddenZeroWidth,
        KnownList,
        WholeToken,
        Regex,
        FuzzyTerms,
        RareForClaim,
        *METADATA_PREDICATES,
    )
}
