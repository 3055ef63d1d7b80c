"""The day an article's sentence speaks of: "on Friday", "yesterday", "on March 13" resolved
against the publication date, and whether a sentence dates its news at all."""

from __future__ import annotations

import re
from datetime import date, timedelta

from qa.text.when import MONTH_CAP, WEEKDAY_CAP, WEEKDAYS, YEAR, checked_date, date_parts, dateline, day_month

CLAUSE_CHARS = 200  # how far around a weekday its tense and "until"/"from" are looked for

_REFERENCE = re.compile(
    # "Friday (Mar 22)", "Friday, March 22, 2024", "Friday 22 March": the weekday checks the date.
    rf"(?P<weekday_date>(?P<wd1>{WEEKDAY_CAP})(?:\s*\(\s*|,\s*|\s+){day_month(MONTH_CAP, 'p')}"
    rf"(?:,?\s+(?P<py>{YEAR}))?)"  # "py" and "qy" are the years date_parts reads for tags p and q
    rf"|(?P<on_date>\b[Oo]n\s+(?:the\s+)?{day_month(MONTH_CAP, 'q')}(?:,?\s+(?P<qy>{YEAR}))?)"
    # "next Friday", "every Friday", "Good Friday": not the most recent Friday, so left unresolved.
    rf"|(?P<weekday>\b(?P<modifier>(?:[Nn]ext|[Ll]ast|[Tt]his|[Cc]oming|[Ff]ollowing|[Pp]revious|[Ee]very|"
    rf"Good|Black|Easter|Holy|Super|Cyber)\s+)?(?P<wd2>{WEEKDAY_CAP})\b)"
    r"|(?P<yesterday>\b(?:[Yy]esterday|[Ll]ast\s+night)\b)"
    # "today's best selling artists" is figurative as often as not; the plain adverb is the day.
    r"|(?P<today>\b(?:[Tt]oday\b(?!['’]s)|[Tt]onight\b|[Tt]his\s+(?:morning|afternoon|evening)\b))"
)
# In a bare weekday's clause these put the day ahead ("talks will resume on Friday"), or after
# it ("he would resign on Friday") relative to another time: either way not the most recent one.
_FUTURE = re.compile(
    r"\b(?:will|shall|would|due|scheduled|expected|set\s+to|plans?\s+to|planned|"
    r"going\s+to|is\s+to|are\s+to)\b|['’]ll\b",
    re.I,
)
_CLAUSE_BREAK = r"[,;:“”\"(—–]"
# Right before a day these make it a boundary, not the day of the event ("from Thursday").
_BOUNDARY_WORD = re.compile(r"\b(?:until|till|by|before|after|since|from|starting)\s+(?:on\s+)?$", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Jr|Sr|No|"
    r"vs|etc|Corp|Inc|Co|Ltd|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$"
)


def resolve_relative(text: str, start: int, published: date) -> date | None:
    """The date that the sentence containing `start` gives for its event, when simple and certain.

    "on Friday (Mar 22)" is that date near `published`, if it is a Friday; "on Friday" is the
    last Friday on or before `published` (unless the clause speaks of the future); "yesterday"
    and "last night" the day before; "today" and "this morning" the day itself; "on March 22"
    the March 22 nearest `published` (last year's for "December 28" in early January, this
    year's for a vote "on March 30" announced a week before). A sentence whose time words
    disagree ("said on Monday that talks held yesterday...") gives None.

    Args:
        text: the article's text.
        start: an offset into `text`, e.g. a quote's or a sentence's start.
        published: the article's publication date.

    Returns:
        The date, or None when the sentence names none or it is uncertain.

    Raises:
        ValueError: `start` is not an offset into `text`.
    """
    if not 0 <= start <= len(text):
        raise ValueError(f"start {start} is outside the text (0..{len(text)})")
    first, last = _sentence(text, start)
    sentence = text[first:last]
    found = set()
    for match in _REFERENCE.finditer(sentence):
        if match["weekday_date"] or match["on_date"]:
            year, month, day = date_parts(match, "p" if match["weekday_date"] else "q")
            if year is None and month and day:
                year = _nearest_year(month, day, published)
            resolved = checked_date(year, month, day, match["wd1"])
        elif match["weekday"]:
            resolved = _recent_weekday(sentence, match, published)
        elif match["yesterday"]:
            resolved = published - timedelta(days=1)
        else:
            resolved = published
        if resolved:
            found.add(resolved)
            if len(found) > 1:
                return None  # two days for one sentence: which is its event's is not certain
    return found.pop() if found else None


def _sentence(text: str, start: int) -> tuple[int, int]:
    """The bounds of the sentence around `start`; like qa.ingest.chunk's, sentences never cross a line."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", start)
    last = len(text) if last < 0 else last
    for match in _SENTENCE_END.finditer(text, first, last):
        if text[match.start()] == "." and _ABBREVIATION.search(text, max(first, match.start() - 6), match.start() + 1):
            continue  # "Mar. 22", "U.S. officials": a full stop that ends no sentence
        if match.end() <= start:
            first = match.end()
        else:
            return first, match.start() + 1
    return first, last


def _nearest_year(month: int, day: int, published: date) -> int | None:
    """The year that puts month and day nearest the publication date."""
    candidates = [
        found
        for year in (published.year - 1, published.year, published.year + 1)
        if (found := checked_date(year, month, day))
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda found: abs((found - published).days)).year


def _recent_weekday(sentence: str, match: re.Match[str], published: date) -> date | None:
    if match["modifier"]:
        return None
    # A clause is short; a window keeps a run-on "sentence" (a table, a list) from costing n².
    before = sentence[max(0, match.start() - CLAUSE_CHARS) : match.start()]
    if _BOUNDARY_WORD.search(before):
        return None
    clause = re.split(_CLAUSE_BREAK, before)[-1]
    if not re.fullmatch(r"\s*(?:(?:[Aa]nd|[Bb]ut)\s+)?(?:[Oo]n\s+)?", clause):
        ahead = ""
    else:  # fronted, "On Wednesday, Mohamed is to visit...": the tense comes after the day
        ahead = re.split(_CLAUSE_BREAK, sentence[match.end() : match.end() + CLAUSE_CHARS].lstrip(" ,"))[0]
        ahead = re.split(r"\b(?:that|said|says|told|announced|reported)\b", ahead)[0]
    if _FUTURE.search(clause) or _FUTURE.search(ahead):
        return None
    back = (published.weekday() - WEEKDAYS.index(match["wd2"].lower())) % 7
    return published - timedelta(days=back)


# --- Whether a sentence dates its news -----------------------------------------------------------

# Words that say when without naming one day: a month, a weekday, "yesterday", "today".
_TIME_WORDS = re.compile(
    rf"\b(?:{MONTH_CAP}|{WEEKDAY_CAP})\b|\b[Yy]esterday\b|\b[Tt]oday\b|\b[Tt]onight\b|\b[Ll]ast\s+night\b"
)
_YEARS = re.compile(rf"\b{YEAR}")
# A year this much before the article's own is background ("the deadliest stampede was during the
# 1991 Hajj"), not the time of the news it reports.
BACKGROUND_YEARS = 2


def dates_its_news(sentence: str, published: date | None) -> bool:
    """Whether the sentence says when what it reports happened: a day, month or weekday, or a
    year no more than a year before publication (any year in an undated article). The article's
    own date line says when it was published, not when its news happened.

    Args:
        sentence: one sentence of an article.
        published: the article's publication date, None when it has none.
    """
    if dateline(sentence):
        return False
    if _TIME_WORDS.search(sentence):
        return True
    years = (int(year) for year in _YEARS.findall(sentence))
    return any(published is None or year > published.year - BACKGROUND_YEARS for year in years)
