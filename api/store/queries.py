"""Which stored results to list, in which order, one page at a time.

The worklist puts results that need attention first, but only those of a
recent window (30 days unless asked otherwise): older attention cases and
every normal result follow, newest first. Without the window, a few hundred
old attention cases would push every recent normal result off the list.
Pages are ``offset`` / ``limit`` slices of that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import aliased

from api.store.records import StoredResult
from api.store.tables import ResultRow

__all__ = [
    "DEFAULT_ATTENTION_WINDOW",
    "MAX_LIMIT",
    "Listing",
    "ResultPage",
    "ResultQuery",
    "select_results",
]

#: Most results one query returns.
MAX_LIMIT = 500
#: How far back "needs attention" moves a result to the top of the worklist.
DEFAULT_ATTENTION_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ResultQuery:
    """Which stored results to list.

    Attributes
    ----------
    accession, decision, top_class, fusion_status : str or None
        Exact matches; ``None`` = any.
    accession_prefix : str or None
        Accessions that start with this, whatever the case of their letters
        (the worklist's search: a diagnostician types the start of an id;
        the database's ``lower()`` decides: SQLite folds ASCII letters only).
        ``%`` and ``_`` are plain characters here.
    client : str or None
        Only results of this client (for a key that may read only its own).
    attention_first : bool
        Results needing attention stored within the attention window
        (see :class:`Listing`) first, then the rest; newest first within each.
    limit : int, default=50
        Results per page, 1 to :data:`MAX_LIMIT`.
    """

    accession: str | None = None
    accession_prefix: str | None = None
    decision: str | None = None
    top_class: str | None = None
    fusion_status: str | None = None
    client: str | None = None
    attention_first: bool = False
    limit: int = 50
    filters: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        chosen = {
            "accession": self.accession,
            "decision": self.decision,
            "top_class": self.top_class,
            "fusion_status": self.fusion_status,
            "client": self.client,
        }
        object.__setattr__(self, "filters", {k: v for k, v in chosen.items() if v is not None})


@dataclass(frozen=True)
class Listing:
    """Which page of a query, and what counts as current and recent.

    Attributes
    ----------
    offset : int, default=0
        Results of the order to skip (the start of the page).
    attention_window : timedelta, default=30 days
        How far back, from ``now``, ``attention_first`` lifts a result.
    include_superseded : bool, default=False
        Also list results that a correction replaces (by default only the
        newest version of each result is listed).
    now : datetime or None
        Timezone-aware end of the attention window (default: the time of
        the query). A user paging through a worklist may keep the first
        page's ``now``.
    """

    offset: int = 0
    attention_window: timedelta = DEFAULT_ATTENTION_WINDOW
    include_superseded: bool = False
    now: datetime | None = None

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValueError(f"offset must be 0 or more, got {self.offset}")
        if self.attention_window <= timedelta(0):
            raise ValueError(f"attention_window must be positive, got {self.attention_window}")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")


@dataclass(frozen=True)
class ResultPage:
    """One page of a listing.

    Attributes
    ----------
    results : list of StoredResult
    offset, limit : int
        As asked.
    next_offset : int or None
        The ``offset`` of the next page; ``None`` on the last page.
    """

    results: list[StoredResult]
    offset: int
    limit: int
    next_offset: int | None

    @property
    def previous_offset(self) -> int | None:
        """The ``offset`` of the previous page; ``None`` on the first page."""
        return None if self.offset == 0 else max(0, self.offset - self.limit)


def select_results(query: ResultQuery, listing: Listing, extra: int = 0) -> Select:
    """The statement listing ``query``'s results: ``(ResultRow, superseded_by)`` rows.

    Parameters
    ----------
    query : ResultQuery
    listing : Listing
    extra : int, default=0
        Rows to fetch beyond ``query.limit`` (one tells whether a next page exists).
    """
    successor = aliased(ResultRow)
    stmt = select(ResultRow, successor.id).outerjoin(
        successor, successor.supersedes_id == ResultRow.id
    )
    for name, value in query.filters.items():
        stmt = stmt.where(getattr(ResultRow, name) == value)
    if query.accession_prefix:
        stmt = stmt.where(_accession_starts_with(query.accession_prefix))
    if not listing.include_superseded:
        stmt = stmt.where(successor.id.is_(None))
    order = [ResultRow.created_at.desc(), ResultRow.id]
    if query.attention_first:
        recent_attention = and_(
            ResultRow.needs_attention.is_(True),
            ResultRow.created_at >= (listing.now or datetime.now(UTC)) - listing.attention_window,
        )
        order.insert(0, case((recent_attention, 0), else_=1))
    return stmt.order_by(*order).offset(listing.offset).limit(query.limit + extra)


def _accession_starts_with(prefix: str) -> ColumnElement[bool]:
    # lower() on both sides, in the database (not istartswith, which is ILIKE on
    # PostgreSQL): the form the accession search index (ix_results_accession_lower)
    # serves. "/" escapes LIKE's wildcards, which are plain characters here.
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(ResultRow.accession).like(func.lower(escaped + "%"), escape="/")
