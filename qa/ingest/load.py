"""Files and folders -> Articles (txt, md, json, jsonl, csv, html, rss/atom), bad items reported."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from qa.ingest.records import FIELD_NAMES, MAX_ARTICLE_CHARS, article_from_record
from qa.types import INDEX_DATABASE, Article

if TYPE_CHECKING:
    from trafilatura.settings import Document

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | {".json", ".jsonl", ".ndjson", ".csv"}

# Whole-file formats are read into memory, so they are capped; JSONL and CSV stream.
MAX_FILE_BYTES = 50_000_000
MAX_LINE_BYTES = 32_000_000  # room for the longest article as escaped JSON; JSONL is read a line at a time

HEADER_LINE = re.compile(r"(?i)^(title|headline|source|publisher|url|link|published|date|author)\s*:\s*(.*)$")
# Folders often carry their own documentation; those files are not articles.
NOT_ARTICLES = re.compile(r"(?i)^(readme|license|licence|copying|notice|changelog)(\.\w+)?$")


@dataclass(frozen=True, slots=True)
class Problem:
    """An input item that was skipped, and why."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


def decode(data: bytes) -> str:
    """Text from bytes in UTF-8, UTF-16 or a legacy encoding.

    Raises:
        ValueError: the bytes are binary data, not text.
    """
    encoding = text_encoding(data)
    # UTF-8 and UTF-16 were checked or are strict; only a guessed legacy codec may need replacing.
    return data.decode(encoding, errors="strict" if encoding.startswith("utf") else "replace")


def text_encoding(data: bytes, *, whole: bool = True) -> str:
    """The codec of these bytes: UTF-16 by its byte-order mark, UTF-8 if it decodes, else a guess.

    Args:
        data: the bytes, or with `whole=False` only the start of a file (a character cut off at
            its end does not count against UTF-8).

    Raises:
        ValueError: the bytes are binary data, not text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=whole)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        raise ValueError("binary file, not text")
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:1_000_000]))
    if not matches:
        raise ValueError("binary file or unknown text encoding; save it as UTF-8")
    best = matches[0]
    # On a tie, Windows-1252 wins: it is what legacy Western news text (and "latin-1") usually is.
    tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    return "cp1252" if "cp1252" in tied else best.encoding


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Problem]:
    """Files under the given paths, folders walked recursively in name order, loops avoided; an
    index folder inside them (kept beside the articles) is passed over."""
    for raw in paths:
        path = Path(raw)
        if _is_index(path):
            yield Problem(str(path), None, "a news-qa index, not articles; give the folder that holds the articles")
        elif path.is_dir():
            for folder, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_index(Path(folder, d)))
                for name in sorted(files):
                    if name.startswith(".") or NOT_ARTICLES.match(name):
                        continue
                    yield Path(folder) / name
        elif path.exists():
            yield path
        else:
            yield Problem(str(path), None, "no such file or folder")


def _is_index(folder: Path) -> bool:
    return (folder / INDEX_DATABASE).is_file()


def load(paths: Iterable[str | Path]) -> Iterator[Article | Problem]:
    """Articles from files and folders, and a Problem for every file or record that was skipped."""
    for item in iter_files(paths):
        if isinstance(item, Problem):
            yield item
            continue
        try:
            yield from load_file(item)
        except (OSError, ValueError, UnicodeError, csv.Error) as exc:
            yield Problem(str(item), None, _reason(exc))


def estimate_articles(paths: Iterable[str | Path]) -> int:
    """About how many articles `load(paths)` will give, from a fast scan that parses nothing:
    a JSON Lines line, a CSV row, a feed's item or entry, or any other file counts one. It sizes
    a progress bar (and its ETA) while the articles load; a 5 GB JSONL scans in seconds."""
    total = 0
    for item in iter_files(paths):
        if isinstance(item, Problem) or item.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        suffix = item.suffix.lower()
        try:
            if not stat.S_ISREG(item.stat().st_mode):  # a pipe would block the scan; load() skips it
                continue
            if suffix in (".jsonl", ".ndjson", ".csv"):
                total += _count(item, re.compile(rb"\n\s*\S")) + 1 - (suffix == ".csv")  # rows after the header
            elif suffix in FEED_SUFFIXES:
                total += max(1, _count(item, re.compile(rb"<(?:item|entry)[\s>]")))
            else:
                total += 1
        except OSError:
            total += 1
    return total


def _count(path: Path, pattern: re.Pattern[bytes]) -> int:
    """Matches of a pattern in a file, read a megabyte at a time; a block's last line goes on to
    the next block, so a match across blocks is counted once."""
    found, carry = 0, b""
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            data = carry + block
            cut = data.rfind(b"\n")
            found += len(pattern.findall(data, 0, cut)) if cut > 0 else 0
            carry = data[cut:] if cut > 0 else data
    return found + len(pattern.findall(carry))


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def load_file(path: Path) -> Iterator[Article | Problem]:
    """Articles from one file, by its extension."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ValueError(f"unsupported file type '{suffix or path.name}'; supported: {kinds}")
    if not stat.S_ISREG(path.stat().st_mode):  # reading a pipe or a device would wait forever
        raise ValueError("not a regular file (a pipe, socket or device)")
    if suffix in (".jsonl", ".ndjson"):
        yield from _load_jsonl(path)
        return
    if suffix == ".csv":
        yield from _load_csv(path)
        return
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit "
            "for one file; split it or convert it to JSONL"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    if suffix in TEXT_SUFFIXES:
        yield _load_text(path, decode(data))
    elif suffix in HTML_SUFFIXES:
        yield _load_html(path, decode(data))
    elif suffix in FEED_SUFFIXES:
        yield from _load_feed(path, data)
    else:
        yield from _load_json(path, decode(data))


def _load_text(path: Path, raw: str) -> Article:
    """Plain text, with optional `Title:`/`Source:`/`URL:`/`Published:` lines before a blank line."""
    lines = raw.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    headers: dict[str, str] = {}
    for number, line in enumerate(lines):
        match = HEADER_LINE.match(line.strip())
        if match:
            headers[match.group(1).lower()] = match.group(2).strip()
            continue
        if headers and not line.strip():
            raw = "\n".join(lines[number + 1 :])
        else:
            headers = {}
        break
    record: dict[str, Any] = {"text": raw, **headers}
    try:
        return article_from_record(record)
    except ValueError as exc:
        raise ValueError("whitespace only" if not raw.strip() else str(exc)) from None


def _load_html(path: Path, raw: str) -> Article:
    """The main text of a web page via trafilatura, with its title, date, site name and URL."""
    import trafilatura

    # A dict only with as_dict=True, which trafilatura's annotation does not tell apart.
    document = cast("Document | None", trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False))
    if document is None or not (document.text or "").strip():
        raise ValueError("no article text found in the page (only navigation, scripts or styles)")
    return article_from_record(
        {
            "text": document.text,
            "title": document.title,
            "date": document.date,
            "source": document.sitename,
            "url": document.url,
            "author": document.author,
        }
    )


def _html_to_text(fragment: str) -> str:
    import lxml.html

    if "<" not in fragment:
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several parser errors; an unparsable fragment is used as is
        return fragment
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for block in root.xpath("//p|//br|//div|//li|//h1|//h2|//h3"):
        block.tail = "\n\n" + (block.tail or "")
    return root.text_content()


def _load_feed(path: Path, data: bytes) -> Iterator[Article | Problem]:
    """One article per RSS/Atom entry; an entry without content is reported and skipped."""
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        reason = "not an RSS/Atom feed" if feed.bozo or not feed.version else "the feed has no entries"
        raise ValueError(reason)
    feed_source = feed.feed.get("title", "")
    for number, entry in enumerate(feed.entries, start=1):
        content = entry.get("content") or []
        body = content[0].get("value", "") if content else entry.get("summary", "")
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        try:
            yield article_from_record(
                {
                    "id": entry.get("id"),
                    "title": entry.get("title"),
                    "text": _html_to_text(body) if body else None,
                    "published": date(*published[:3]) if published else None,
                    "url": entry.get("link"),
                    "source": (entry.get("source") or {}).get("title") or feed_source,
                }
            )
        except ValueError as exc:
            yield Problem(str(path), None, f"entry {number}: {exc}")


def _load_json(path: Path, raw: str) -> Iterator[Article | Problem]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON at line {exc.lineno}: {exc.msg}") from None
    if isinstance(data, Mapping) and isinstance(data.get("articles"), list):
        data = data["articles"]  # NewsAPI-style wrapper
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield _record_or_problem(
            path, None if len(records) == 1 else number, record, "item" if len(records) > 1 else ""
        )


def _record_or_problem(path: Path, line: int | None, record: Any, what: str = "") -> Article | Problem:
    prefix = f"{what} {line}: " if what and line else ""
    if not isinstance(record, Mapping):
        return Problem(
            str(path), None if what else line, f"{prefix}expected a JSON object, got {type(record).__name__}"
        )
    try:
        return article_from_record(record)
    except ValueError as exc:
        return Problem(str(path), None if what else line, f"{prefix}{exc}")


def _load_jsonl(path: Path) -> Iterator[Article | Problem]:
    # Streamed line by line so a multi-GB dump never sits in memory at once.
    with path.open("rb") as stream:
        lines: Iterator[bytes] = iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b"")
        utf16 = stream.read(2) in (b"\xff\xfe", b"\xfe\xff")
        stream.seek(0)
        if utf16:  # split lines on the decoded text: in UTF-16 a newline is two bytes
            lines = (line.encode() for line in io.TextIOWrapper(stream, encoding="utf-16"))
        empty = True
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_LINE_BYTES:  # one record cannot be this long; do not hold it in memory
                while line and not line.endswith(b"\n"):
                    line = stream.readline(1 << 20)
                yield Problem(
                    str(path),
                    number,
                    f"line is over the {MAX_LINE_BYTES / 1e6:.0f} MB limit for one record; is this really JSON Lines?",
                )
                empty = False
                continue
            if not line.strip():
                continue
            empty = False
            try:
                record = json.loads(decode(line))
            except (ValueError, UnicodeError) as exc:
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield Problem(str(path), number, f"malformed JSON line: {message}")
                continue
            yield _record_or_problem(path, number, record)
        if empty:
            raise ValueError("empty file")


def _load_csv(path: Path) -> Iterator[Article | Problem]:
    csv.field_size_limit(MAX_ARTICLE_CHARS)
    with path.open("rb") as binary:
        head = binary.read(1_000_000)  # enough to tell the encoding; the rows stream below
    if not head.strip():
        raise ValueError("empty file")
    try:
        encoding = text_encoding(head, whole=False)
    except ValueError:  # read it anyway: the missing text column is the clearer reason to give
        encoding = "cp1252"
    with open(path, encoding=encoding, errors="replace", newline="") as stream:
        reader = csv.DictReader(stream)
        columns = {name.lower() for name in reader.fieldnames or ()}
        if not columns & set(FIELD_NAMES["text"]):
            names = ", ".join(FIELD_NAMES["text"][:3])
            raise ValueError(f"no text column in the header row (expected one of: {names})")
        for record in reader:
            yield _record_or_problem(path, reader.line_num, record)
