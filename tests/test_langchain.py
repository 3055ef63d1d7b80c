"""The LangChain bridge: NewsQARetriever inside an LCEL chain, on the seed index with the real model."""

from __future__ import annotations

from datetime import date

from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from qa.bridges.langchain import NewsQARetriever

RAFAH = "What did Netanyahu say about Rafah?"


def numbered(documents: list[Document]) -> str:
    """The chain's formatter: each span with a marker and its source, as a prompt would quote them."""
    return "\n".join(f"[{n}] {d.page_content} ({d.metadata['source']})" for n, d in enumerate(documents, 1))


def assert_verbatim(seeds, documents: list[Document]) -> None:
    for document in documents:
        meta = document.metadata
        article = seeds.get(meta["article_id"])
        assert article.text[meta["start"] : meta["end"]] == document.page_content
        assert (meta["title"], meta["source"], meta["url"]) == (article.title, article.source, article.url)
        assert meta["published"] == (article.published.isoformat() if article.published else None)


def test_documents_are_the_cited_spans_in_a_chain(seeds):
    retriever = NewsQARetriever(index=seeds)
    documents = retriever.invoke(RAFAH)
    answer = seeds.ask(RAFAH)
    assert [(d.metadata["article_id"], d.metadata["start"], d.metadata["end"]) for d in documents] == [
        (c.article_id, c.start, c.end) for c in answer.citations
    ]
    assert documents[0].metadata["speaker"] == "Benjamin Netanyahu"
    assert_verbatim(seeds, documents)

    chain = retriever | RunnableLambda(numbered)
    prompt = chain.invoke(RAFAH)
    assert prompt.startswith("[1] ") and documents[0].page_content in prompt
    assert prompt.count("\n") == len(documents) - 1


def test_filters_are_the_ones_ask_takes(seeds):
    wion = NewsQARetriever(index=seeds, sources=["WION"], k=3)
    documents = wion.invoke(RAFAH)
    assert documents and {d.metadata["source"] for d in documents} == {"WION"}
    assert_verbatim(seeds, documents)
    assert NewsQARetriever(index=seeds, sources=["Wikinews"]).invoke(RAFAH) == []  # only WION reports it
    dated = NewsQARetriever(index=seeds, since=date(2004, 11, 1), until=date(2004, 11, 30))
    documents = dated.invoke("Who attended Arafat's funeral from Brazil?")
    assert documents and all("2004-11-01" <= d.metadata["published"] <= "2004-11-30" for d in documents)
    assert NewsQARetriever(index=seeds, since=date(2030, 1, 1)).invoke(RAFAH) == []


def test_no_answer_gives_no_documents(seeds):
    assert seeds.ask("How many moons does Jupiter have?").abstained
    assert NewsQARetriever(index=seeds).invoke("How many moons does Jupiter have?") == []
