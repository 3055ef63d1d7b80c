"""Dates in the news: the date forms, datelines, and the time span a question asks about
(qa.text.event_dates reads the days that article sentences speak of)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

DATELINE_CHARS = 120  # a dateline sits at the very top; a date further down is about an event
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
WEEKDAYS = [name.lower() for name in calendar.day_name]  # Monday first, as date.weekday() counts

# Longest first, so that "Sept" is tried before "Sep".
_MONTH_NAMES = sorted(MONTHS, key=len, reverse=True)
# In article text a month is capitalised ("March", "MARCH"); lower case "march" is the verb.
MONTH_CAP = "|".join([m.capitalize() for m in _MONTH_NAMES] + [m.upper() for m in _MONTH_NAMES])
_MONTH_ANY = "|".join(_MONTH_NAMES)  # questions are typed in any case; these patterns are re.I
WEEKDAY_CAP = "|".join(calendar.day_name)
YEAR = r"(?:1[89]|20)\d{2}(?!\d)"


def day_month(month: str, tag: str) -> str:
    """ "22 March", "22nd of March" or "Mar. 22", its parts in groups named after `tag`."""
    return (
        rf"(?:(?P<{tag}d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<{tag}m1>{month})\b\.?"
        rf"|(?P<{tag}m2>{month})\.?\s+(?P<{tag}d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d))"
    )


def _full_date(month: str, tag: str) -> str:
    """ "2024-03-22", "22 March 2024" or "March 22, 2024"."""
    return (
        rf"(?:(?P<{tag}iy>{YEAR})-(?P<{tag}im>[01]\d)-(?P<{tag}id>[0-3]\d)(?!\d)"
        rf"|{day_month(month, tag)},?\s+(?P<{tag}y>{YEAR}))"
    )


def _period(tag: str) -> str:
    """A day, a month of a year or a year, as a question names one; never a month alone."""
    return (
        rf"(?:{_full_date(_MONTH_ANY, tag)}|(?P<{tag}m3>{_MONTH_ANY})\b\.?,?\s+(?:of\s+)?"
        rf"(?P<{tag}y3>{YEAR})|(?P<{tag}y4>{YEAR}))"
    )


def date_parts(match: re.Match[str], tag: str) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) from whichever form of date matched; None for the parts it lacks."""
    groups = match.groupdict()

    def part(*names: str) -> str | None:
        return next((groups[tag + name] for name in names if groups.get(tag + name)), None)

    iso_year = part("iy")
    if iso_year:
        return int(iso_year), int(groups[tag + "im"]), int(groups[tag + "id"])
    year, month, day = part("y", "y3", "y4"), part("m1", "m2", "m3"), part("d1", "d2")
    return (
        int(year) if year else None,
        MONTHS[month.lower().rstrip(".")] if month else None,
        int(day) if day else None,
    )


# --- Datelines -----------------------------------------------------------------------------------

# "Friday, March 22, 2024", "WASHINGTON, March 22, 2024 (Reuters) -", "2024-03-22", alone on a
# line or followed by what ends a dateline, so that "March 22, 2024 was..." in prose does not count.
_DATELINE = re.compile(
    # A byline may come first, in Markdown's emphasis too: "*By Jane Roe, 4 March 2025*".
    r"\s*[*_]*(?:By\s+[^,\n]{1,60},\s+)?"
    rf"(?:(?P<wd>{WEEKDAY_CAP}),?\s+)?"
    # A place in capitals, with its country: "WASHINGTON, ", "BRASÍLIA, Brazil, ".
    r"(?:[A-ZÀ-Þ][A-ZÀ-Þ.'’ -]*[A-ZÀ-Þ.](?:,\s*[A-ZÀ-Þ][\w.'’ -]*)?,\s+)?"
    rf"(?:(?P<wd2>{WEEKDAY_CAP}),?\s+)?"
    rf"{_full_date(MONTH_CAP, 'x')}"
    r"(?=[*_]*\s*$|\s*\(|\s*[-–—|:]|[,.]\s|\s+\d{1,2}[:.]\d{2}|T\d)"
)


def dateline(text: str) -> date | None:
    """The publication date in an article's dateline, for articles whose metadata has none.

    Only a full date (day, month and year) on one of the lines that start in the first
    DATELINE_CHARS characters counts: "Mar 22 (Reuters) -" has no year and gives None, and so
    does a weekday that contradicts the date.

    Args:
        text: the article's text.

    Returns:
        The date, or None when the text does not open with one.
    """
    for line in re.finditer(r"[^\n]+", text):
        if line.start() >= DATELINE_CHARS:
            break
        match = _DATELINE.match(line.group())
        if match:
            found = checked_date(*date_parts(match, "x"), match["wd"] or match["wd2"])
            if found:
                return found
    return None


def checked_date(year: int | None, month: int | None, day: int | None, weekday: str | None = None) -> date | None:
    """The date, if it exists and falls on `weekday` when one is given."""
    if year is None or month is None or day is None:
        return None
    try:
        found = date(year, month, day)
    except ValueError:  # February 30
        return None
    if weekday and WEEKDAYS[found.weekday()] != weekday.lower():
        return None
    return found


# --- The time a question asks about --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeScope:
    """What a question says about time: a publication-date filter, a preference for the newest
    articles, and the question to search with (its time words removed where they are only a filter)."""

    since: date | None
    until: date | None
    latest: bool
    question: str
    rest: str = field(default="", compare=False)  # the question with those words cut, however little is left


_SCOPE = re.compile(
    rf"(?:\bbetween\s+(?P<between>{_period('a')})\s+and\s+{_period('b')}"
    rf"|\bfrom\s+(?P<fromto>{_period('c')})\s+(?:to|until|till|through)\s+{_period('d')}"
    rf"|\b(?:before|prior\s+to|earlier\s+than)\s+(?P<before>{_period('e')})"
    rf"|\b(?:until|till|up\s+to|as\s+of|through)\s+(?P<upto>{_period('f')})"
    rf"|\b(?:after|later\s+than)\s+(?P<after>{_period('g')})"
    rf"|\bsince\s+(?P<since>{_period('h')})"
    rf"|\b(?:in|during|throughout|on|from)\s+(?P<within>{_period('i')})"
    r")(?![\w-])",
    re.I,
)  # "in 2020s" and "in 2024-25" are not what the patterns read
# Relative to `today`, when the caller gives one. "Last week" begins a filter and ends none:
# an article published after the period may still report on it.
_RELATIVE = re.compile(
    r"(?:\b(?:in|during|over|from|for|of)\s+the\s+)?\b(?P<which>this|last|past|previous)\s+"
    r"(?P<unit>week|month|year)\b|\b(?P<yesterday>yesterday)\b",
    re.I,
)
_LATEST = re.compile(
    r"\b(?:latest|newest|most\s+recent(?:ly)?|recent(?:ly)?|lately|nowadays|currently|"
    r"current|these\s+days|right\s+now|now|today|so\s+far|up[\s-]to[\s-]date)\b",
    re.I,
)
# Latest-words that can go without changing what is asked; "current" and "recent" stay, as they
# are often part of a term ("current account", "recent history"), and so does the noun in
# "the latest on Rafah".
_LATEST_REMOVABLE = re.compile(
    r"\b(?:most\s+recently|recently|lately|nowadays|currently|these\s+days|right\s+now|now(?!\s+that)|"
    r"so\s+far)\b|\b(?:latest|newest|most\s+recent)\s+(?!(?:on|about|in|from|for|of|with|at|to)\b)(?=[a-z])",
    re.I,
)


def time_scope(question: str, today: date | None = None) -> TimeScope:
    """Read the dates a question asks about, only where they are explicit.

    "in March 2024", "before 2020", "after June 2021", "since 2019", "between 2019 and 2021" and
    "on 22 March 2024" filter by publication date; "latest", "most recent", "now"... prefer newer
    articles. A month without a year ("in March") and event-relative phrases ("before the
    ceasefire talks") give no filter: guessing would hide the answer.

    Args:
        question: the question as typed.
        today: the reference for "last week", "this year", "yesterday"; without one they are
            left alone.

    Returns:
        The TimeScope; its `question` is the original when nothing was removed.
    """
    since: date | None = None
    until: date | None = None
    removed: list[tuple[int, int]] = []

    def narrow(first: date | None = None, last: date | None = None) -> None:
        nonlocal since, until
        if first:
            since = max(since, first) if since else first
        if last:
            until = min(until, last) if until else last

    for match in _SCOPE.finditer(question):
        kind = next(
            name
            for name in ("between", "fromto", "before", "upto", "after", "since", "within")
            if match[name] is not None
        )
        tag = {"between": "a", "fromto": "c", "before": "e", "upto": "f", "after": "g", "since": "h", "within": "i"}[
            kind
        ]
        span = _span(*date_parts(match, tag))
        if span is None:
            continue  # "on 31 February 2024": not a date, so no filter
        first, last = span
        if kind in ("between", "fromto"):
            end = _span(*date_parts(match, "b" if kind == "between" else "d"))
            if end is None:
                continue
            narrow(first, end[1])
        elif kind == "before":
            narrow(last=first - timedelta(days=1))
        elif kind == "upto":
            narrow(last=last)
        elif kind == "after":
            narrow(first=last + timedelta(days=1))
        elif kind == "since":
            narrow(first=first)
        else:
            narrow(first, last)
        removed.append(match.span())
    if today:
        for match in _RELATIVE.finditer(question):
            narrow(_relative_start(match, today))
            removed.append(match.span())
    latest = bool(_LATEST.search(question))
    if latest:
        removed.extend(match.span() for match in _LATEST_REMOVABLE.finditer(question))
    rest = _cut(question, removed)
    return TimeScope(since, until, latest, rest if len(re.findall(r"\w+", rest)) >= 2 else question, rest)


def _span(year: int | None, month: int | None, day: int | None) -> tuple[date, date] | None:
    """The first and last day of a year, a month or a day."""
    if year is None:
        return None
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    found = checked_date(year, month, day)
    return (found, found) if found else None


def _relative_start(match: re.Match[str], today: date) -> date:
    if match["yesterday"]:
        return today - timedelta(days=1)
    unit, which = match["unit"].lower(), match["which"].lower()
    length = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "year": relativedelta(years=1)}[unit]
    if which == "past":  # a rolling period: "in the past week" is the last seven days
        return today - length
    # Calendar periods; weeks start on Monday, as ISO weeks do.
    start = {
        "week": today - timedelta(days=today.weekday()),
        "month": today.replace(day=1),
        "year": today.replace(month=1, day=1),
    }[unit]
    return start if which == "this" else start - length


def _cut(question: str, spans: list[tuple[int, int]]) -> str:
    """The question with the spans cut out and the seams tidied."""
    if not spans:
        return question
    kept, cursor = [], 0
    for start, end in sorted(spans):
        if start >= cursor:
            kept.append(question[cursor:start])
            cursor = end
    kept.append(question[cursor:])
    # Cutting "after 2019 and before 2022" would leave a dangling "and" between the cuts.
    kept[1:-1] = [" " if re.fullmatch(r"[\s,]*(?:and|or|but)?[\s,]*", piece, re.I) else piece for piece in kept[1:-1]]
    cleaned = " ".join("".join(kept).split())
    return re.sub(r"\s+([?.!,;:])", r"\1", cleaned).strip(" ,;")
