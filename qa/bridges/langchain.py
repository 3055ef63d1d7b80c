"""NewsQARetriever: a LangChain retriever whose documents are the spans news-qa cites.

Install with `pip install .[langchain]` (langchain-core only). Each Document is one cited span,
verbatim: `index.get(d.metadata["article_id"]).text[d.metadata["start"]:d.metadata["end"]] ==
d.page_content`. Retrieval, filtering and citation are the index's own (`NewsIndex.ask`); when
the articles do not answer the question the retriever returns no documents, as `ask` cites none.

    from qa import NewsIndex
    from qa.bridges.langchain import NewsQARetriever

    retriever = NewsQARetriever(index=NewsIndex.open("index"), k=5, sources=["WION"])
    for document in retriever.invoke("what did Netanyahu say about Rafah"):
        print(document.page_content, document.metadata["title"], document.metadata["start"])
"""

from __future__ import annotations

from datetime import date

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.news_index import NewsIndex
from qa.types import Citation


class NewsQARetriever(BaseRetriever):
    """The spans news-qa cites for a question, one Document each, best first.

    Attributes:
        index: an open NewsIndex.
        k, sources, since, until: the same options as `NewsIndex.ask`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: NewsIndex
    k: int = 5
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        answer = self.index.ask(query, k=self.k, sources=self.sources, since=self.since, until=self.until)
        return [document(citation) for citation in answer.citations]


def document(citation: Citation) -> Document:
    """A cited span as a LangChain Document: the verbatim text, and where it is in which article."""
    return Document(
        page_content=citation.text,
        metadata={
            "article_id": citation.article_id,
            "start": citation.start,
            "end": citation.end,
            "title": citation.title,
            "source": citation.source,
            "url": citation.url,
            "published": citation.published.isoformat() if citation.published else None,
            "speaker": citation.speaker or None,
            "score": citation.score,
        },
    )
