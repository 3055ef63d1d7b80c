"""The app's API: `ask` and `quotes`, served by Gradio over HTTP and, with MCP on, as MCP tools.

Gradio builds each tool's description and typed parameters from the function's name, type hints
and docstring, so those are written for the assistant that reads them. The functions take plain
JSON values (dates as text) and return the library's own serialisations (`Answer.to_dict()`,
`Quote.to_dict()`); the index does all retrieval, filtering and citation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.news_index import NewsIndex


@contextlib.contextmanager
def shown_to_caller() -> Iterator[None]:
    """Library errors reach the browser, the API client or the assistant with the library's message."""
    try:
        yield
    except QAError as exc:
        raise gr.Error(str(exc)) from None


def form_date(value: Any, name: str) -> date | None:
    """A YYYY-MM-DD date from a form or an API call; "" and None mean no date."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise gr.Error(f"{name} must be a date like 2024-03-22, got {value!r}") from None


def api(index: Callable[[], NewsIndex]) -> tuple[Callable[..., dict[str, Any]], Callable[..., list[dict[str, Any]]]]:
    """The `ask` and `quotes` endpoints over the index that `index()` returns."""

    def ask(
        question: str, k: int = 5, sources: list[str] | None = None, since: str | None = None, until: str | None = None
    ) -> dict[str, Any]:
        """Answer a question from the indexed news articles with verbatim, cited spans (no generated text).

        Args:
            question: the question in plain words, e.g. "what did Netanyahu say about Rafah?".
            k: how many passages to gather evidence from (default 5).
            sources: only articles from these sources, e.g. ["Reuters"] (all when empty).
            since: only articles published on or after this date (YYYY-MM-DD).
            until: only articles published on or before this date (YYYY-MM-DD).

        Returns:
            The answer: "answer" (the cited spans joined), "abstained" (true when the articles do not
            answer it, with a "reason"), and "citations", each with article_id, title, source, url,
            published, speaker and the character range start-end of its exact text in the article.
        """
        with shown_to_caller():
            answer = index().ask(
                question,
                k=int(k),
                sources=sources or (),
                since=form_date(since, "since"),
                until=form_date(until, "until"),
            )
            return answer.to_dict()

    def quotes(
        speaker: str = "",
        about: str = "",
        sources: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Who said what: quotations and reported statements found in the news articles, with speakers.

        Args:
            speaker: a name as people write it; "Netanyahu" finds "Benjamin Netanyahu" (all speakers when empty).
            about: a topic; the statements closest to it come first (newest first when empty).
            sources: only articles from these sources (all when empty).
            since: only articles published on or after this date (YYYY-MM-DD).
            until: only articles published on or before this date (YYYY-MM-DD).
            limit: at most this many statements (default 20).

        Returns:
            Statements, each with speaker, cue (the verb of saying), text, the character range
            start-end of that text in its article, and the article's article_id, title, source,
            url and published date.
        """
        with shown_to_caller():
            found = index().quotes(
                speaker or None,
                about or None,
                sources=sources or (),
                since=form_date(since, "since"),
                until=form_date(until, "until"),
                limit=int(limit),
            )
            return [_with_article(index(), quote.to_dict()) for quote in found]

    return ask, quotes


def _with_article(index: NewsIndex, quote: dict[str, Any]) -> dict[str, Any]:
    article = index.get(quote["article_id"])
    published = article.published.isoformat() if article.published else None
    return {**quote, "title": article.title, "source": article.source, "url": article.url, "published": published}
