"""Filters -> SQL: the WHERE clause on articles that a search's sources, dates and article ids
make, and how widely to rank before applying it."""

from __future__ import annotations

from typing import Any

from qa.storage.schema import MAX_PARAMETERS
from qa.types import Filters

# Best chunks fetched unfiltered per wanted one, before a filter is applied: wider tries before
# the list of every allowed chunk, since wire copy carried by many outlets fills the first with one
# story's copies, which a date filter keeps or drops together. At 5M chunks that list (2.5M
# chunks for "the newer half") took 1.5-1.8 s; the third try (9,600 chunks, ~40 ms) spared it
# for the 20 questions measured, with the same answers (2026-12-02).
POST_FILTER_WIDTHS = (4, 32, 192)


def widths(filters: Filters, depth: int) -> list[int]:
    """How many chunks per wanted one to rank before filtering, try by try (each checked in one
    statement: at most MAX_PARAMETERS chunks)."""
    if not filters.any:
        return [1]
    return [width for width in POST_FILTER_WIDTHS if depth * width <= MAX_PARAMETERS] or [1]


def filter_sql(filters: Filters) -> tuple[str, list]:
    """A WHERE clause on `articles a` for the filters, and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (("a.source", filters.sources), ("a.id", filters.articles)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params += list(values)
    for bound, operator in ((filters.since, ">="), (filters.until, "<=")):
        if bound:
            test = f"a.published {operator} ?"
            clauses.append(f"(a.published IS NULL OR {test})" if filters.undated else test)
            params.append(bound.isoformat())
    return (" AND ".join(clauses) or "1"), params
