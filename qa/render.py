"""Answers, articles and ingest reports -> HTML for the web chat, and answers -> Markdown to paste.
All article text is escaped here.

Articles are untrusted input: their text, titles, sources, URLs and file names pass through
`escape`, which is `html.escape` extended to the characters that Markdown, LaTeX and template
engines treat as syntax, so the same string stays inert in an HTML component and in a chat
message that is rendered as Markdown. Offsets are Python `str` offsets (code points), the ones
every Citation carries, so a span is cut from the text before anything is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qa.types import Answer, Article, Citation

if TYPE_CHECKING:
    from qa.storage.writer import IngestReport

CONTEXT_CHARS = 160  # of the article shown either side of a cited sentence in a source card
LINK_SCHEMES = ("http", "https")

# CommonMark lets a backslash escape any ASCII punctuation. These start syntax anywhere in a line
# (emphasis, code, links, raw HTML, entities, tables, strikethrough, GitHub's $math$); the rest
# (".", "-", "(", ...) only at the start of a line, which `escape_markdown` handles separately, so
# that pasted text stays readable ("U.S." rather than "U\\.S\\.").
_MARKDOWN_INLINE = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|~!&$"})
_MARKDOWN_LINE_START = re.compile(r"^(\d*)([-+=#.)])")  # a list item, heading or rule
QUOTE_BREAK = "  \n> "  # a hard line break that stays inside a Markdown block quote

# One pass over the text, so the entities html.escape would write are never escaped twice.
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        # Markdown (emphasis, code, links, headings, tables, escapes), LaTeX and template syntax.
        "*": "&#42;",
        "_": "&#95;",
        "`": "&#96;",
        "[": "&#91;",
        "]": "&#93;",
        "(": "&#40;",
        ")": "&#41;",
        "#": "&#35;",
        "|": "&#124;",
        "~": "&#126;",
        "\\": "&#92;",
        "$": "&#36;",
        "{": "&#123;",
        "}": "&#125;",
        "!": "&#33;",
        ":": "&#58;",
        "=": "&#61;",
        "+": "&#43;",
        "-": "&#45;",
    }
)


def escape(text: str, *, newlines: bool = False) -> str:
    """`text` as inert HTML that Markdown leaves alone.

    Args:
        text: any untrusted text.
        newlines: write line breaks as `<br>`; chat messages must stay on one line, because a
            blank line would end the HTML block and hand the rest to the Markdown parser.

    Returns:
        The escaped text; a browser shows exactly `text`.
    """
    escaped = text.translate(_ENTITIES)
    return escaped.replace("\n", "<br>") if newlines else escaped


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) address, else None (`javascript:`, `data:`, relative...)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or any(ch.isspace() for ch in url):
        return None
    return url


def format_date(day: date | str | None) -> str:
    """`22 Mar 2024`, or "" for no date."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10]) if day else None
    return f"{day.day} {day:%b %Y}" if day else ""


def day_spoken_of(citation: Citation) -> str:
    """ "the day it speaks of: Fri 11 Sep 2015" when the cited sentence's "yesterday" or "on
    Friday" resolves for certain (Citation.event_date), else ""."""
    day = citation.event_date
    return f"the day it speaks of: {day:%a} {format_date(day)}" if day else ""


def references(answer: Answer) -> tuple[Citation, ...]:
    """The passages an answer shows, in the order of their markers: citations, then related."""
    return answer.citations + answer.related


def reference_label(number: int, citation: Citation, *, width: int = 90) -> str:
    """A plain-text label for choosing a passage, e.g. `[1] WION, 22 Mar 2024: "Netanyahu said…"`."""
    where = ", ".join(part for part in (citation.source, format_date(citation.published)) if part)
    text = " ".join(citation.text.split())
    if len(text) > width:
        text = text[:width].rsplit(" ", 1)[0] + "…"
    return f"[{number}] {where + ': ' if where else ''}“{text}”"


def answer_html(
    answer: Answer, *, texts: Mapping[str, str] | None = None, asked: str = "", rewritten: bool = False
) -> str:
    """The chat message for an answer: cited spans with markers [1], [2]..., then source cards.

    Args:
        answer: what the index returned.
        texts: article id -> article text, for the context around each cited sentence.
        asked: the question as the user typed it.
        rewritten: the searched question was completed from the conversation.

    Returns:
        One line of HTML (see `escape` for why one line).
    """
    texts = texts or {}
    parts = ['<div class="qa-answer">', _searched(answer, asked, rewritten)]
    if answer.abstained:
        parts.append('<p class="qa-lead qa-abstain"><strong>The articles don\'t say.</strong></p>')
        if answer.reason:
            parts.append(f'<p class="qa-reason">Why: {escape(answer.reason)}.</p>')
        if answer.related:
            parts.append('<p class="qa-closest">Closest passages:</p>')
            parts.append(_cards(answer.related, texts, first=1))
        parts.append("</div>")
        return _one_line(parts)
    lead = []
    for number, citation in enumerate(answer.citations, 1):
        speaker = f'<span class="qa-who">{escape(citation.speaker)}:</span> ' if citation.speaker else ""
        lead.append(f"{speaker}“{escape(citation.text, newlines=True)}”&nbsp;{_marker(number)}")
    parts.append(f'<p class="qa-lead">{" ".join(lead)}</p>')
    if answer.reason:  # an answer in part: "Brown is quoted in the articles, but not about Iraq"
        parts.append(f'<p class="qa-reason">Not found: {escape(answer.reason)}.</p>')
    parts.append(_cards(answer.citations, texts, first=1))
    if answer.related:
        parts.append('<details class="qa-more"><summary>Other passages</summary>')
        parts.append(_cards(answer.related, texts, first=len(answer.citations) + 1))
        parts.append("</details>")
    parts.append("</div>")
    return _one_line(parts)


def context(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[str, str]:
    """Up to `chars` characters of `text` before `start` and after `end`, within the paragraph,
    cut at word boundaries, with `…` where text was left out."""
    before = text[max(0, start - chars) : start]
    cut_before = start - chars > 0
    if "\n" in before:
        before, cut_before = before.rsplit("\n", 1)[1], False
    elif cut_before and " " in before:
        before = before.split(" ", 1)[1]
    after = text[end : end + chars]
    cut_after = end + chars < len(text)
    if "\n" in after:
        after, cut_after = after.split("\n", 1)[0], False
    elif cut_after and " " in after:
        after = after.rsplit(" ", 1)[0]
    return ("…" if cut_before else "") + before, after + ("…" if cut_after else "")


def article_html(
    article: Article, highlights: Mapping[int, tuple[int, int]] | None = None, focus: int | None = None
) -> str:
    """The whole article with cited spans highlighted.

    Args:
        article: the article; its text is shown verbatim (line breaks kept by CSS).
        highlights: marker number -> (start, end) offsets into `article.text`.
        focus: the marker number shown as the selected citation (`<mark id="cite-N" class="qa-focus">`).

    Returns:
        HTML; spans that overlap an earlier kept span are not highlighted (the focus is kept first).

    Raises:
        ValueError: a span lies outside the article text.
    """
    text = article.text
    highlights = dict(highlights or {})
    for number, (start, end) in highlights.items():
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span [{number}] {start}:{end} is outside the article ({len(text)} characters)")
    order = sorted(highlights, key=lambda n: (n != focus, highlights[n]))
    kept: list[tuple[int, int, int]] = []
    for number in order:
        start, end = highlights[number]
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, number))
    body, cursor = [], 0
    for start, end, number in sorted(kept):
        focused = ' class="qa-focus"' if number == focus else ""
        body.append(escape(text[cursor:start]))
        body.append(f'<mark id="cite-{number}" data-ref="{number}"{focused}>{escape(text[start:end])}</mark>')
        cursor = end
    body.append(escape(text[cursor:]))
    return f'<article class="qa-article">{_article_header(article)}<div class="qa-body">{"".join(body)}</div></article>'


def report_html(report: IngestReport, titles: Mapping[str, str] | None = None) -> str:
    """What an ingest did: counts, then the added, replaced, duplicate and skipped items with reasons.

    Args:
        report: an IngestReport (added, replaced, duplicates: ids; skipped: Problems).
        titles: article id -> title, to name the items.
    """
    titles = titles or {}
    counts = (
        f"Added {report.counts['added']}, replaced {report.counts['replaced']}, "
        f"duplicates {report.counts['duplicates']}, skipped {len(report.skipped)}."
    )
    parts = [f'<div class="qa-report"><p class="qa-counts">{counts}</p>']
    for label, ids in (
        ("Added", report.added),
        ("Replaced", report.replaced),
        ("Already in the index", report.duplicates),
    ):
        if ids:
            items = "".join(f"<li>{escape(titles.get(i) or i)}</li>" for i in ids)
            parts.append(f'<p class="qa-report-head">{label}:</p><ul>{items}</ul>')
    if report.skipped:
        items = "".join(
            f"<li><code>{escape(_file_name(p.path))}{f'&#58;{p.line}' if p.line else ''}</code> {escape(p.reason)}</li>"
            for p in report.skipped
        )
        parts.append(f'<p class="qa-report-head">Skipped:</p><ul class="qa-skipped">{items}</ul>')
    parts.append("</div>")
    return "".join(parts)


def summary_html(info: Mapping[str, Any]) -> str:
    """One line about the index: articles, passages, sources and the publication date span."""
    first, last = format_date(info.get("published_from")), format_date(info.get("published_to"))
    span = f" · published {first} – {last}" if first and last else ""
    return (
        f'<p class="qa-summary">{info.get("articles", 0):,} articles · {info.get("chunks", 0):,} '
        f"passages · {info.get('sources', 0)} sources{span}</p>"
    )


def escape_markdown(text: str, *, line_break: str = " ") -> str:
    """`text` as Markdown that renders as exactly `text`, so a pasted article cannot inject links,
    HTML, headings or lists.

    Args:
        text: any untrusted text.
        line_break: what joins its lines: a space, or QUOTE_BREAK inside a block quote.
    """
    lines = (line.strip().translate(_MARKDOWN_INLINE) for line in text.splitlines())
    return line_break.join(_MARKDOWN_LINE_START.sub(r"\1\\\2", line) for line in lines if line)


def answer_markdown(answer: Answer) -> str:
    """An answer to paste into a document: the question, the cited spans with numbered footnotes
    ([^1]: title, source, date, URL, article id and character range), or what the articles lack.

    Every footnote says where its words are: `article.text[start:end]` is the quoted text.
    """
    lines = [f"**Q:** {escape_markdown(answer.searched or answer.question)}"]
    cited = answer.citations
    if answer.abstained:
        lines += ["", f"*The articles don't say{': ' + escape_markdown(answer.reason) if answer.reason else ''}.*"]
        cited = answer.related
        if cited:
            lines += ["", "Closest passages:"]
    elif answer.reason:
        lines += ["", f"*Not found: {escape_markdown(answer.reason)}.*"]
    for number, citation in enumerate(cited, 1):
        who = f"**{escape_markdown(citation.speaker)}:** " if citation.speaker else ""
        lines += ["", f"> {who}“{escape_markdown(citation.text, line_break=QUOTE_BREAK)}”[^{number}]"]
    if cited:
        lines.append("")
        lines += [f"[^{number}]: {_footnote(citation)}" for number, citation in enumerate(cited, 1)]
    if answer.unsearched:
        lines += ["", f"*Not searched (did not answer): {escape_markdown(', '.join(answer.unsearched))}.*"]
    return "\n".join(lines) + "\n"


def _footnote(citation: Citation) -> str:
    parts = [
        f"*{escape_markdown(citation.title or '(untitled)')}*",
        escape_markdown(citation.source) if citation.source else "",
        format_date(citation.published),
        day_spoken_of(citation),
        f"<{link}>" if (link := safe_url(citation.url)) and not set("<>") & set(link) else "",
        f"article `{citation.article_id.replace('`', '')}`, characters {citation.start}–{citation.end}",
    ]
    return ", ".join(part for part in parts if part)


def _one_line(parts: Sequence[str]) -> str:
    # Quoted text already carries its breaks as <br>; elsewhere HTML shows a line break as a space.
    return "".join(parts).replace("\r", " ").replace("\n", " ")


def _marker(number: int) -> str:
    return f'<sup class="qa-ref">&#91;{number}&#93;</sup>'


def _searched(answer: Answer, asked: str, rewritten: bool) -> str:
    searched = answer.searched or answer.question
    if not searched:
        return ""
    note = ' <span class="qa-note">(follow-up completed from the conversation)</span>' if rewritten else ""
    return f'<p class="qa-searched">Searched: “{escape(searched)}”{note}</p>'


def _cards(citations: Sequence[Citation], texts: Mapping[str, str], *, first: int) -> str:
    return (
        '<ol class="qa-cards">'
        + "".join(_card(n, c, texts.get(c.article_id)) for n, c in enumerate(citations, first))
        + "</ol>"
    )


def _card(number: int, citation: Citation, text: str | None) -> str:
    before, after = context(text, citation.start, citation.end) if text else ("", "")
    extra = []
    if citation.speaker:
        extra.append(f'<div class="qa-speaker">Speaker: {escape(citation.speaker)}</div>')
    if spoken_of := day_spoken_of(citation):
        extra.append(f'<div class="qa-event">{spoken_of[:1].upper()}{spoken_of[1:]}</div>')
    if citation.also_reported_by:
        extra.append(f'<div class="qa-also">Also reported by: {escape(", ".join(citation.also_reported_by))}</div>')
    return (
        f'<li class="qa-card" data-ref="{number}"><div class="qa-card-head">{_marker(number)} '
        f'<span class="qa-title">{escape(citation.title or "(untitled)")}</span></div>'
        f"{_meta(citation.source, citation.published, citation.url)}"
        f'<blockquote class="qa-context">{escape(before, newlines=True)}'
        f"<mark>{escape(citation.text, newlines=True)}</mark>{escape(after, newlines=True)}</blockquote>"
        f"{''.join(extra)}</li>"
    )


def _meta(source: str, published: date | None, url: str) -> str:
    items = [
        f'<span class="qa-source">{escape(source)}</span>' if source else "",
        f'<span class="qa-date">{format_date(published)}</span>' if published else "",
    ]
    link = safe_url(url)
    if link:
        items.append(
            f'<a class="qa-link" href="{escape(link)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">{escape(urlsplit(link).netloc)}</a>'
        )
    elif url:
        items.append(f'<span class="qa-url">{escape(url)}</span>')  # shown, never followed
    return f'<div class="qa-meta">{" · ".join(i for i in items if i)}</div>'


def _article_header(article: Article) -> str:
    return (
        f'<header><h3 class="qa-title">{escape(article.title or "(untitled)")}</h3>'
        f"{_meta(article.source, article.published, article.url)}</header>"
    )


def _file_name(path: str) -> str:
    # Uploads arrive in server temp folders; the user knows the file by its name.
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path
