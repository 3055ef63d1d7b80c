"""qa.render: escaping, highlight offsets (multi-byte text), links and the abstention view."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa import render
from qa.ingest.load import Problem
from qa.storage.writer import IngestReport
from qa.types import Answer, Article, Citation

INJECTION = (
    '<script>alert("x")</script> <img src=x onerror="alert(1)"> '
    "[click me](javascript:alert(2)) **bold** `code` ${alert(3)} {{value}} $x^2$ "
    '<a href="javascript:alert(4)">link</a> &amp; <!-- c --> # heading'
)
# The tags render may write; anything else in its output came from an article.
RENDER_TAGS = {
    "div",
    "p",
    "span",
    "strong",
    "sup",
    "ol",
    "ul",
    "li",
    "blockquote",
    "mark",
    "a",
    "br",
    "details",
    "summary",
    "article",
    "header",
    "h3",
    "code",
}


class Page(HTMLParser):
    """Tags, attributes and the text a browser would show."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.marks: dict[str, list[str]] = {}
        self._open_marks: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "br":
            self.text.append("\n")
        if tag == "mark":
            self._open_marks.append(attributes.get("id") or "")
            self.marks.setdefault(self._open_marks[-1], [])

    def handle_endtag(self, tag):
        if tag == "mark":
            self._open_marks.pop()

    def handle_data(self, data):
        self.text.append(data)
        for mark in self._open_marks:
            self.marks[mark].append(data)

    def mark(self, mark_id: str) -> str:
        return "".join(self.marks[mark_id])

    @property
    def shown(self) -> str:
        return "".join(self.text)


def assert_inert(markup: str) -> None:
    page = Page(markup)
    for tag, attributes in page.tags:
        assert tag in RENDER_TAGS, f"<{tag}> came from article text"
        for name, value in attributes.items():
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name == "href":
                assert value and value.startswith(("http://", "https://")), value


def citation(text: str, start: int, **fields) -> Citation:
    return Citation(fields.pop("article_id", "a1"), start, start + len(text), text, **fields)


ARTICLE_TEXT = (
    "Israeli Prime Minister Benjamin Netanyahu said on Friday that Israel will enter Rafah.\n"
    "Netanyahu said, “I told him that I hope we will do it with the support of the US.”\n"
    "Blinken said there was a clear consensus."
)
RAFAH = ARTICLE_TEXT.index("Netanyahu said, “")
QUOTE = ARTICLE_TEXT[RAFAH : ARTICLE_TEXT.index("\n", RAFAH)]


# ---- escaping ------------------------------------------------------------------------------


def test_escape_makes_markup_inert_and_shows_the_text_exactly():
    escaped = render.escape(INJECTION)
    assert "<" not in escaped and ">" not in escaped and "javascript:" not in escaped
    assert "**" not in escaped and "`" not in escaped and "${" not in escaped and "{{" not in escaped
    assert Page(escaped).shown == INJECTION


@given(st.text())
def test_escape_round_trips_any_text(text):
    escaped = render.escape(text, newlines=True)
    assert "<" not in escaped.replace("<br>", "")
    assert Page(escaped).shown == text


# ---- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "https://",
        "http://exa mple.com",
        "",
    ],
)
def test_only_absolute_http_urls_become_links(url):
    html = render.answer_html(Answer("q", citations=(citation(QUOTE, RAFAH, url=url, title="T"),)))
    assert_inert(html)
    assert not [attrs for tag, attrs in Page(html).tags if tag == "a"]
    if url.strip():
        assert url.strip() in Page(html).shown  # shown as text, never followed


def test_http_url_becomes_a_link_that_opens_elsewhere():
    url = "https://en.wikinews.org/wiki/A_%27b%27?x=1&y=2"
    html = render.answer_html(Answer("q", citations=(citation(QUOTE, RAFAH, url=url),)))
    links = [attrs for tag, attrs in Page(html).tags if tag == "a"]
    assert links == [{"class": "qa-link", "href": url, "target": "_blank", "rel": "noopener noreferrer nofollow"}]


# ---- answers -------------------------------------------------------------------------------


def test_answer_shows_markers_cards_context_and_metadata():
    cited = citation(
        QUOTE,
        RAFAH,
        title="Netanyahu on Rafah",
        source="WION",
        published=date(2024, 3, 22),
        speaker="Benjamin Netanyahu",
        also_reported_by=("Reuters", "AP"),
        event_date=date(2024, 3, 22),  # "said on Friday (Mar 22)"
    )
    second = citation(
        "Blinken said there was a clear consensus.",
        ARTICLE_TEXT.index("Blinken"),
        title="Netanyahu on Rafah",
        source="WION",
    )
    related = citation("Israeli Prime Minister", 0, title="Netanyahu on Rafah", source="WION")
    answer = Answer(
        "What did Netanyahu say?", citations=(cited, second), related=(related,), searched="What did Netanyahu say?"
    )
    html = render.answer_html(answer, texts={"a1": ARTICLE_TEXT}, asked="What did Netanyahu say?")
    shown = Page(html).shown
    assert "\n" not in html  # one line: a blank line would hand the rest to the Markdown parser
    assert_inert(html)
    assert f"Benjamin Netanyahu: “{QUOTE}” [1]" in shown.replace("\xa0", " ")
    assert "[2]" in shown and "[3]" in shown  # related passages continue the numbering
    assert "22 Mar 2024" in shown and "WION" in shown and "Netanyahu on Rafah" in shown
    assert "Speaker: Benjamin Netanyahu" in shown
    assert "Also reported by: Reuters, AP" in shown
    assert shown.count("The day it speaks of: Fri 22 Mar 2024") == 1  # the second sentence names no day
    assert "Searched: “What did Netanyahu say?”" in shown
    assert "completed from the conversation" not in shown
    # The card quotes the sentence with the text around it, within its paragraph.
    assert f"{QUOTE}" in shown and "Blinken said there was a clear consensus." in shown
    assert "Other passages" in shown


def test_an_answer_in_part_says_what_was_not_found():
    answer = Answer(
        "What did Netanyahu and Blinken say about Egypt?",
        citations=(citation(QUOTE, RAFAH, speaker="Benjamin Netanyahu"),),
        reason="Antony <b>Blinken</b> is quoted in the articles, but not about Egypt",
    )
    shown = Page(render.answer_html(answer, texts={"a1": ARTICLE_TEXT})).shown
    assert "Not found: Antony <b>Blinken</b> is quoted in the articles, but not about Egypt." in shown
    markdown = markdown_page(render.answer_markdown(answer)).shown
    assert "Not found: Antony <b>Blinken</b> is quoted in the articles, but not about Egypt." in markdown


def test_a_rewritten_follow_up_says_so():
    answer = Answer(
        "What did Netanyahu say about Rafah? When was that?",
        citations=(citation(QUOTE, RAFAH),),
        searched="What did Netanyahu say about Rafah? When was that?",
    )
    shown = Page(render.answer_html(answer, asked="when was that?", rewritten=True)).shown
    assert "Searched: “What did Netanyahu say about Rafah? When was that?”" in shown
    assert "(follow-up completed from the conversation)" in shown


def test_abstention_says_so_plainly_and_lists_the_closest_passages():
    related = (
        citation(QUOTE, RAFAH, title="Netanyahu on Rafah", source="WION"),
        citation("Blinken said there was a clear consensus.", ARTICLE_TEXT.index("Blinken")),
    )
    answer = Answer(
        "What is the capital of Mars?",
        related=related,
        searched="What is the capital of Mars?",
        reason="the articles do not answer this question",
    )
    html = render.answer_html(answer, texts={"a1": ARTICLE_TEXT})
    shown = Page(html).shown
    assert_inert(html)
    assert "The articles don't say." in shown
    assert "Why: the articles do not answer this question." in shown
    assert shown.index("Closest passages:") < shown.index("[1]") < shown.index("[2]")
    assert QUOTE in shown


def test_abstention_without_passages():
    shown = Page(render.answer_html(Answer("???", reason="the question has no words"))).shown
    assert "The articles don't say." in shown and "Closest passages" not in shown


def test_answer_escapes_everything_from_the_article():
    text = f"{INJECTION}\nThe harbour fee doubles on Monday.\n{INJECTION}"
    start = text.index("The harbour")
    cited = citation(
        "The harbour fee doubles on Monday.",
        start,
        title=INJECTION,
        source=INJECTION,
        url="javascript:alert(5)",
        speaker=INJECTION,
        also_reported_by=(INJECTION,),
    )
    html = render.answer_html(
        Answer(INJECTION, citations=(cited,), related=(cited,), searched=INJECTION), texts={"a1": text}, asked=INJECTION
    )
    assert_inert(html)
    assert INJECTION in Page(html).shown


def test_context_stays_in_the_paragraph_and_cuts_at_words():
    text = "First paragraph ends here.\n" + "word " * 60 + "CITED sentence." + " tail" * 60
    start = text.index("CITED")
    before, after = render.context(text, start, start + len("CITED sentence."), chars=40)
    assert before.startswith("…") and before.endswith("word ") and not before.startswith("…ord")
    assert after.endswith("…") and after.startswith(" tail") and len(after) <= 42
    short = "Intro.\nCITED. Next one.\nOther paragraph."
    assert render.context(short, 7, 13) == ("", " Next one.")


# ---- articles ------------------------------------------------------------------------------

MULTIBYTE = (
    "東京 (Tokyo) 🇯🇵 — e\u0301clair café 👩‍👩‍👧 said: “日本語の引用 ✨ with emoji 🎉.” "
    "Then 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and Ελληνικά. <b>not bold</b> 🙂"
)


@pytest.mark.parametrize(
    "needle", ["“日本語の引用 ✨ with emoji 🎉.”", "👩‍👩‍👧", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🙂", "東京", "e\u0301clair", "<b>not bold</b>"]
)
def test_highlight_offsets_are_python_str_offsets(needle):
    start = MULTIBYTE.index(needle)
    article = Article("a1", MULTIBYTE, title="多字节 🎉")
    html = render.article_html(article, {1: (start, start + len(needle))}, focus=1)
    page = Page(html)
    assert page.mark("cite-1") == needle == MULTIBYTE[start : start + len(needle)]
    assert page.shown.endswith(MULTIBYTE)  # the whole article, verbatim, after its header
    assert ("mark", {"id": "cite-1", "data-ref": "1", "class": "qa-focus"}) in page.tags
    assert_inert(html)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1), st.data())
def test_any_span_of_any_text_is_highlighted_exactly(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    page = Page(render.article_html(Article("a", text), {1: (start, end)}, focus=1))
    assert page.mark("cite-1") == text[start:end]
    assert page.shown.endswith(text)


def test_several_highlights_keep_their_numbers_and_the_focus_wins_an_overlap():
    text = "Alpha one. Beta two. Gamma three."
    html = render.article_html(Article("a", text), {1: (0, 10), 2: (11, 20), 3: (5, 15)}, focus=3)
    page = Page(html)
    assert page.mark("cite-3") == text[5:15]
    assert "cite-1" not in page.marks and "cite-2" not in page.marks  # both overlap the focus
    html = render.article_html(Article("a", text), {1: (0, 10), 2: (11, 20)}, focus=2)
    page = Page(html)
    assert page.mark("cite-1") == "Alpha one." and page.mark("cite-2") == "Beta two."
    assert [a.get("class") for t, a in page.tags if t == "mark"] == [None, "qa-focus"]


def test_article_with_injected_markup_renders_inert():
    article = Article(
        "a1", f"Before.\n{INJECTION}\nAfter.", title=INJECTION, source=INJECTION, url="javascript:alert(6)"
    )
    html = render.article_html(article, {1: (8, 8 + len(INJECTION))}, focus=1)
    assert_inert(html)
    page = Page(html)
    assert page.mark("cite-1") == INJECTION
    assert page.shown.count(INJECTION) == 3  # title, source, body


def test_span_outside_the_article_is_refused():
    with pytest.raises(ValueError, match=r"span \[1\] 3:99 is outside the article \(5 characters\)"):
        render.article_html(Article("a", "Hello"), {1: (3, 99)}, focus=1)


# ---- labels, reports, summary --------------------------------------------------------------


def test_reference_label_is_short_plain_text():
    cited = citation("word " * 40, 0, source="WION", published=date(2024, 3, 22))
    label = render.reference_label(2, cited)
    assert label.startswith("[2] WION, 22 Mar 2024: “word word")
    assert label.endswith("…”") and len(label) < 120
    assert render.reference_label(1, citation("Hi.", 0)) == "[1] “Hi.”"


def test_report_names_files_not_server_paths_and_escapes_reasons():
    report = IngestReport(
        skipped=[
            Problem("/tmp/gradio/abc123/<img src=x onerror=alert(1)>.txt", None, "empty file"),
            Problem("/tmp/gradio/def/feed.jsonl", 3, "no text field; <b>add one</b>"),
        ],
    )
    report.record("added", "id1")
    report.record("duplicates", "id2")
    html = render.report_html(report, titles={"id1": "New <i>article</i>", "id2": "Seen"})
    assert_inert(html)
    shown = Page(html).shown
    assert "Added 1, replaced 0, duplicates 1, skipped 2." in shown
    assert "New <i>article</i>" in shown and "Seen" in shown
    assert "<img src=x onerror=alert(1)>.txt empty file" in shown
    assert "feed.jsonl:3 no text field; <b>add one</b>" in shown
    assert "/tmp/gradio" not in shown


def test_summary_line():
    info = {"articles": 1068, "chunks": 291, "sources": 3, "published_from": "2004-11-13", "published_to": "2024-03-22"}
    assert Page(render.summary_html(info)).shown == (
        "1,068 articles · 291 passages · 3 sources · published 13 Nov 2004 – 22 Mar 2024"
    )
    assert Page(render.summary_html({"articles": 0, "chunks": 0, "sources": 0})).shown == (
        "0 articles · 0 passages · 0 sources"
    )


def test_dates_render_day_month_year():
    assert render.format_date(date(2004, 11, 3)) == "3 Nov 2004"
    assert render.format_date("2024-03-22") == "22 Mar 2024"
    assert render.format_date(None) == "" and render.format_date("") == ""


def test_markers_are_numbered_in_order():
    answer = Answer("q", citations=(citation("A.", 0), citation("B.", 3)), related=(citation("C.", 6),))
    assert [c.text for c in render.references(answer)] == ["A.", "B.", "C."]
    markers = re.findall(r"\[(\d)\]", Page(render.answer_html(answer)).shown)
    assert markers[:2] == ["1", "2"] and "3" in markers


# ---- Markdown to paste ---------------------------------------------------------------------


def markdown_page(markdown: str) -> Page:
    """What a Markdown viewer with footnotes (GitHub, Obsidian, markdown-it) shows for `markdown`."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    return Page(MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(footnote_plugin).render(markdown))


MARKDOWN_TAGS = {"p", "blockquote", "strong", "em", "br", "code", "sup", "a", "hr", "section", "ol", "li"}


def test_markdown_answer_quotes_the_spans_with_numbered_footnotes():
    cited = citation(QUOTE, RAFAH, title="Netanyahu on Rafah", source="WION", published=date(2024, 3, 22))
    cited = replace(cited, speaker="Benjamin Netanyahu", event_date=date(2024, 3, 22))
    second = citation(
        "Blinken said there was a clear consensus.",
        ARTICLE_TEXT.index("Blinken"),
        title="Blinken in Cairo",
        source="Reuters",
        url="https://example.com/blinken?a=1&b=2",
    )
    markdown = render.answer_markdown(Answer("What did Netanyahu say?", citations=(cited, second)))
    page = markdown_page(markdown)
    shown = page.shown
    assert f"Benjamin Netanyahu: “{QUOTE}”[1]" in shown
    assert "“Blinken said there was a clear consensus.”[2]" in shown
    assert (
        "Netanyahu on Rafah, WION, 22 Mar 2024, the day it speaks of: Fri 22 Mar 2024, article a1, characters "
        + f"{RAFAH}–{RAFAH + len(QUOTE)}"
        in shown
    )
    assert "https://example.com/blinken?a=1&b=2" in shown
    links = [attributes["href"] for tag, attributes in page.tags if tag == "a"]
    assert "https://example.com/blinken?a=1&b=2" in links and links.count("#fn1") == 1
    assert markdown.endswith("\n") and "[^2]: *Blinken in Cairo*, Reuters" in markdown


def test_markdown_abstention_says_so_and_lists_the_closest_passages():
    related = citation("Israeli Prime Minister", 0, title="Netanyahu on Rafah", source="WION")
    shown = markdown_page(
        render.answer_markdown(Answer("How many moons?", related=(related,), reason="no article mentions moons"))
    ).shown
    assert "The articles don't say: no article mentions moons." in shown
    assert "Closest passages:" in shown and "“Israeli Prime Minister”[1]" in shown
    assert "Closest" not in markdown_page(render.answer_markdown(Answer("How many moons?"))).shown


def test_markdown_keeps_article_markup_inert():
    text = INJECTION + "\n- a list item\n1. a numbered line\n=== a rule"
    cited = citation(text, 0, title="**T** [x](javascript:y)", source="<b>WION</b>", url="javascript:alert(1)")
    page = markdown_page(render.answer_markdown(Answer("q", citations=(cited,))))
    for tag, attributes in page.tags:
        assert tag in MARKDOWN_TAGS, f"<{tag}> came from article text"
        assert attributes.get("href", "#").startswith("#"), attributes  # only the footnote links
    # Every character of the span is shown as written, its line breaks as breaks (<br> and a newline).
    assert f"“{text}”[1]" in re.sub(r"\n+", "\n", page.shown)
    assert "**T** [x](javascript:y), <b>WION</b>" in page.shown


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=60))
def test_escaped_markdown_shows_any_line_exactly(text):
    line = text.strip()
    shown = markdown_page("x " + render.escape_markdown(line) if line else "").shown.strip()
    assert shown == (f"x {line}" if line else "")
