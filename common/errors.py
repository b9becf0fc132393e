"""One error root for the whole project.

Every error carries a stable ``code`` so that operators can grep logs and tests can
assert on the condition rather than on wording that may change.
"""

from __future__ import annotations


class TorrentwatchError(Exception):
    """Root of every error torrentwatch raises on purpose."""

    code: str = "torrentwatch.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {super().__str__()}"


class InputRejected(TorrentwatchError):
    """An input (a .torrent, a magnet line) cannot be accepted.

    ``code`` is one of the stable reason codes in :mod:`parsers.reasons`; the
    ingest stage turns this into a row in ``rejects`` and carries on with the batch.
    """

    code = "input.rejected"

    def __init__(self, code: str, detail: str, *, source_ref: str = "") -> None:
        self.reason = code
        self.detail = detail
        self.source_ref = source_ref
        where = f"{source_ref}: " if source_ref else ""
        super().__init__(f"{where}{detail}", code=code)


class WarehouseError(TorrentwatchError):
    code = "warehouse.error"


class DuplicateTorrent(WarehouseError):
    """A load batch names one new torrent twice, so it would become two ``torrents``
    rows (no key refuses it: migration 019). Nothing of the batch is written; it is a
    defect in the parsing that built the batch, to report."""

    code = "warehouse.duplicate_torrent"


class WarehouseLocked(WarehouseError):
    """Another process holds the single-writer lock on the DuckDB file."""

    code = "warehouse.locked"


class MigrationError(WarehouseError):
    code = "warehouse.migration"


class ExtensionMissing(WarehouseError):
    """A DuckDB extension the warehouse needs is not installed as its PyPI wheel; it is
    never fetched at run time (hotline networks are often air-gapped)."""

    code = "warehouse.extension_missing"


class LakeTargetInvalid(WarehouseError):
    """A ``ducklake:`` warehouse target that cannot be read (no catalog, no data path)."""

    code = "warehouse.lake_target"


class ConfigError(TorrentwatchError):
    code = "config.invalid"


class ValueOutOfRange(TorrentwatchError):
    """A number given to a stage (a CLI option, a DAG task's argument) is outside the
    range the stage can work with; raised where the number is read, before any work."""

    code = "value.out_of_range"


class NotRegularFile(TorrentwatchError):
    """A path that names a FIFO, a device, a socket or a folder where a file's bytes were
    expected: reading it could block forever (a FIFO) or never end (``/dev/zero``)."""

    code = "input.not_regular_file"


class FileTooLarge(TorrentwatchError):
    """A file holds more bytes than its reader allows; ``size`` is what ``fstat`` said."""

    code = "input.too_large"

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class HashListError(TorrentwatchError):
    """A known-hash list file cannot be imported as a whole (bad lines are not this:
    they are reported one by one and the rest of the file is loaded)."""

    code = "hashlist.error"


class HashListUnreadable(HashListError):
    code = "hashlist.unreadable"


class HashListEmpty(HashListError):
    """The file holds no entries at all: no bytes, or only blank lines and comments."""

    code = "hashlist.empty"


class HashListNotText(HashListError):
    """The file is not UTF-8 text (UTF-16, binary, or no line decodes)."""

    code = "hashlist.not_utf8"


class HashListBadHeader(HashListError):
    """A CSV file whose header or first row says nothing usable about its columns."""

    code = "hashlist.csv_header"


class HashListAllRejected(HashListError):
    """Every entry line was malformed; loading would make an empty version of the list.

    ``rejects`` holds the per-line reports so a caller can show all of them.
    """

    code = "hashlist.all_rejected"

    def __init__(self, message: str, *, rejects: tuple = ()) -> None:
        super().__init__(message)
        self.rejects = rejects


class HashListNameInvalid(HashListError):
    code = "hashlist.name_invalid"


class RulesInvalid(TorrentwatchError):
    """Rule packs that cannot be loaded. ``problems`` lists every problem found (each
    with its own code, ``file:line:col``, rule id and key path); loading collects
    them all before raising this once."""

    code = "rules.invalid"

    def __init__(self, message: str, *, problems: tuple = ()) -> None:
        super().__init__(message)
        self.problems = problems


class RuleTestsFailed(TorrentwatchError):
    """`rules test`: at least one rule's shipped tests did not come out as written."""

    code = "rules.test_failed"


class UnknownRule(TorrentwatchError):
    """`flag --rule ID`: no rule in force has that id (a typo would flag nothing)."""

    code = "rules.unknown_rule"


class RulesDiffRegression(TorrentwatchError):
    """`rules diff`: the candidate rules would clear flags on torrents analysts
    confirmed (exit 1 unless accepted knowingly)."""

    code = "rules.diff_regression"


class FlagMatchesRepeat(TorrentwatchError):
    """`flag`: the run's matches name one (torrent, rule) pair twice, so storing them
    would keep two flags for it (``flags`` keeps one row per pair; no key refuses it).
    Nothing is written; it is a defect in a rule's compiled SQL, to report."""

    code = "flag.duplicate_match"


class TorrentNotFound(TorrentwatchError):
    """`explain`: no torrent with that infohash is in the warehouse."""

    code = "torrent.not_found"


class SourcesInvalid(ConfigError):
    """A sources.yaml that cannot be used. ``problems`` lists every problem found
    (``file:line:col``, key path, message, code); loading collects them all first."""

    code = "sources.invalid"

    def __init__(self, message: str, *, problems: tuple = ()) -> None:
        super().__init__(message)
        self.problems = problems


class SourceUnknown(ConfigError):
    """`monitor --source NAME`: no source of that name in the config."""

    code = "sources.unknown_source"


class LandingError(TorrentwatchError):
    """The landing zone cannot be written or read (disk full, permissions, a bad key)."""

    code = "landing.error"


class SourceFailed(TorrentwatchError):
    """A source could not finish its gather (what it landed before failing is kept)."""

    code = "source.failed"


class SourceTimedOut(SourceFailed):
    """A source ran past its timeout and was stopped."""

    code = "source.timeout"


class SwarmError(TorrentwatchError):
    """The metadata-fetch or DHT source cannot run at all (one hash timing out is not this:
    it is counted and the run goes on)."""

    code = "swarm.error"


class SwarmSettingsInvalid(SwarmError):
    code = "swarm.settings_invalid"


class SwarmSessionError(SwarmError):
    """libtorrent could not start a session as configured (cannot listen, missing setting)."""

    code = "swarm.session"


class SwarmWarehouseUnreadable(SwarmError):
    """`from_warehouse`: the warehouse could not be opened read-only or queried."""

    code = "swarm.warehouse_unreadable"


class FetchError(TorrentwatchError):
    """An HTTP(S) request a monitor made gave no usable answer. ``transient`` says a
    retry may help (5xx, 429, connection errors, timeouts); ``status`` is the HTTP
    status when there was one."""

    code = "fetch.failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transient: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.transient = transient
        self.status = status
        self.retry_after = retry_after


class FetchTimeout(FetchError):
    code = "fetch.timeout"


class FetchTooLarge(FetchError):
    code = "fetch.too_large"


class FetchBadStatus(FetchError):
    code = "fetch.http_status"


class FetchBadContentType(FetchError):
    code = "fetch.content_type"


class FetchBadUrl(FetchError):
    """A URL (given, or a redirect target) that is not http(s)."""

    code = "fetch.bad_url"


class FeedMalformed(TorrentwatchError):
    """A feed document that is not well-formed RSS 2.0 or Atom XML."""

    code = "feed.malformed"


class FeedUnsafeXml(FeedMalformed):
    """A feed that declares entities or external references (entity bombs, XXE)."""

    code = "feed.unsafe_xml"


class ScrapeError(TorrentwatchError):
    code = "scrape.failed"


class ScrapeTimeout(ScrapeError):
    code = "scrape.timeout"


class ScrapeBadResponse(ScrapeError):
    """A tracker answered with something that is not a scrape reply (or a failure)."""

    code = "scrape.bad_response"


class ScrapeUnsupported(ScrapeError):
    """An announce URL with no scrape convention (BEP 48: last part names 'announce')."""

    code = "scrape.unsupported"


class ReviewInvalid(TorrentwatchError):
    """`review decide`/`bulk`: a decision, rationale code, analyst id or query that is
    not allowed (the message names the input and the accepted values)."""

    code = "review.invalid"


class ReviewNotFlagged(TorrentwatchError):
    """`review decide`: the torrent has no active flag, so there is nothing to decide on."""

    code = "review.not_flagged"


class ExportInvalid(TorrentwatchError):
    """`export`: a target name, format, status or batch id that is not allowed or unknown."""

    code = "export.invalid"


class ExportWriteFailed(TorrentwatchError):
    """`export`: a file could not be written; nothing partial is left and nothing recorded."""

    code = "export.write_failed"


class ManifestInvalid(TorrentwatchError):
    """`export verify`: the manifest itself cannot be read (missing, not JSON, wrong shape)."""

    code = "export.manifest_invalid"


class ExportVerifyFailed(TorrentwatchError):
    """`export verify`: files do not match their manifest (every mismatch is listed)."""

    code = "export.verify_failed"


class FetchTlsError(FetchError):
    """An https server whose certificate does not verify (or a TLS failure): not retried."""

    code = "fetch.tls"


class WarehouseMissing(WarehouseError):
    """A command that needs an existing warehouse was pointed at a path holding none
    (only the gathering commands create one, so a typo in --db is not a new file)."""

    code = "warehouse.missing"


class WarehouseSchemaNewer(WarehouseError):
    """The warehouse was migrated by a newer torrentwatch than this one: this code does
    not know its tables, so it neither reads nor writes it."""

    code = "warehouse.schema_newer"


class WarehouseSchemaOlder(WarehouseError):
    """A read-only command met a warehouse an older torrentwatch wrote, and could not
    bring it up to date because another process is writing it."""

    code = "warehouse.schema_older"


class WarehouseDiskFull(WarehouseError):
    """A write failed because the disk holding the warehouse is full; what was being
    written was rolled back and the warehouse keeps its last committed state."""

    code = "warehouse.disk_full"


class QueryError(TorrentwatchError):
    """An analyst's query that could not be run (see the subclasses for the refusals)."""

    code = "query.failed"


class QueryRefused(QueryError):
    """The guarded query runner refused a query before or while running it; the code
    says which rule it broke (one statement, read-only, no host files, ...)."""

    code = "query.refused"


class QueryEmpty(QueryRefused):
    code = "query.empty"


class QuerySyntax(QueryRefused):
    code = "query.syntax"


class QueryMultipleStatements(QueryRefused):
    code = "query.multiple_statements"


class QueryNotReadOnly(QueryRefused):
    code = "query.not_read_only"


class QuerySettings(QueryRefused):
    code = "query.settings"


class QueryExtension(QueryRefused):
    code = "query.extension"


class QueryNotAQuery(QueryRefused):
    code = "query.not_a_query"


class QueryExternalAccess(QueryRefused):
    code = "query.external_access"


class IndicatorsInvalid(TorrentwatchError):
    """`indicators`: a window, period length, indicator or format that is not allowed."""

    code = "indicators.invalid"


class ExchangeInvalid(HashListError):
    """A list-exchange file whose header or provenance is malformed or of an unknown
    version (its entry lines are checked one by one like any list's)."""

    code = "hashlist.exchange_invalid"


class WorkbenchError(TorrentwatchError):
    """The analyst workbench (``torrentwatch serve``) refused a request or a setting."""

    code = "workbench.error"


class AccountInvalid(WorkbenchError):
    """A workbench account name, role or password that cannot be used."""

    code = "workbench.account_invalid"


class PendingStoreError(WarehouseError):
    """The workbench's store of pending decisions beside the warehouse cannot be read."""

    code = "warehouse.pending_store"


class WarehouseBusy(WarehouseError):
    """A lake write lost the race to other writers of its lane too many times in a row."""

    code = "warehouse.busy"


class AlreadyLoaded(WarehouseError):
    """Another loader committed these landed items (or this block of one) first: the
    batch was rolled back and its other items wait for the next load."""

    code = "load.already_loaded"

    def __init__(self, detail: str, keys: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.keys = keys
