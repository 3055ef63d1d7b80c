"""Records in the shapes people write them (field names, dates, encodings) -> canonical Articles."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from qa.types import Article

MAX_ARTICLE_CHARS = 5_000_000
TITLE_CHARS = 120
MARKDOWN_MARKS = re.compile(r"^#{1,6}\s+|^[*_]+|[*_]+$")  # "# Headline", "**Headline**"

FIELD_NAMES = {
    "id": ("id", "doc_id", "guid", "article_id", "uuid"),
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "full_text", "description", "summary"),
    "published": (
        "published",
        "date",
        "published_at",
        "pubdate",
        "publication_date",
        "datetime",
        "time",
        "published_date",
    ),
    "source": ("source", "publisher", "site", "outlet", "sitename", "source_name"),
    "url": ("url", "link", "href"),
}
KNOWN_FIELDS = {alias for aliases in FIELD_NAMES.values() for alias in aliases}


# Unicode's control characters (category Cc: C0, DEL and C1) but tab and newline.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def canonical_text(text: str) -> str:
    """The text every offset points into: NFC, Unix newlines, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = CONTROL_CHARACTERS.sub("", text)
    return text.strip()


def derive_title(text: str) -> str:
    """A title for an article without a headline: its first line, cut to the first sentence,
    without Markdown's heading and emphasis marks ("# Council approves budget")."""
    first_line = MARKDOWN_MARKS.sub("", text.split("\n", 1)[0].strip())
    if len(first_line) <= TITLE_CHARS:
        return first_line
    sentence_end = re.search(r"[.!?](\s|$)", first_line)
    if sentence_end and sentence_end.end() <= TITLE_CHARS:
        return first_line[: sentence_end.end()].strip()
    return first_line[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def parse_date(value: Any) -> date | None:
    """A calendar date from ISO strings, RFC 822 feed dates, epoch seconds or free-form dates."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value).date()
        except (OverflowError, OSError, ValueError):
            return None
    value = str(value).strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    from dateutil import parser as dateutil_parser

    try:
        return dateutil_parser.parse(value).date()
    except (ValueError, OverflowError, TypeError):
        return None


def content_id(title: str, text: str) -> str:
    """A stable id for an article that has none: a hash of its content."""
    return hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:16]


def article_from_record(record: Mapping[str, Any], *, default_source: str = "") -> Article:
    """Build an Article from a dict with any of the usual field names; unknown fields become metadata.

    Raises:
        ValueError: the record has no usable text.
    """
    lowered = {str(key).lower(): value for key, value in record.items()}

    def field(name: str) -> Any:
        for alias in FIELD_NAMES[name]:
            value = lowered.get(alias)
            if value not in (None, ""):
                return value
        return None

    raw_text = field("text")
    if isinstance(raw_text, list):  # feeds and some scrapers give a list of paragraphs
        raw_text = "\n\n".join(str(part) for part in raw_text)
    if raw_text is None:
        names = ", ".join(FIELD_NAMES["text"][:3])
        raise ValueError(f"no text field (expected one of: {names})")
    if not isinstance(raw_text, str):
        raise ValueError(f"text field is a {type(raw_text).__name__}, not a string")
    if len(raw_text) > MAX_ARTICLE_CHARS:
        raise ValueError(f"text is {len(raw_text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit; split it")
    text = canonical_text(raw_text)
    if not text:
        raise ValueError("text is empty")
    if not any(ch.isalnum() for ch in text):
        raise ValueError("text has no letters or digits (only punctuation or invisible characters)")
    source = field("source")
    if isinstance(source, Mapping):  # e.g. NewsAPI's {"id": ..., "name": ...}
        source = source.get("name") or source.get("id")
    title = canonical_text(str(field("title") or "")) or derive_title(text)
    given_id = field("id")
    published_raw = field("published")
    metadata = {key: value for key, value in record.items() if str(key).lower() not in KNOWN_FIELDS}
    published = parse_date(published_raw)
    if published_raw is not None and published is None:
        metadata["unparsed_date"] = str(published_raw)
    if published is None:
        from qa.text.when import dateline

        published = dateline(text)  # "November 13, 2004" opening the text, when nothing else says
    return Article(
        id=str(given_id).strip() if given_id is not None else content_id(title, text),
        text=text,
        title=title.replace("\n", " "),
        source=canonical_text(str(source or default_source)),
        url=str(field("url") or "").strip(),
        published=published,
        metadata=_jsonable(metadata),
    )


def _jsonable(value: Any) -> Any:
    # Metadata is stored as JSON; anything exotic is kept as its string form.
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else str(value)
