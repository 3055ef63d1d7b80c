"""The app's `ask` endpoint through gradio_client, against `python app.py` serving the seed index."""

from __future__ import annotations

import pytest

from helpers import assert_cited, import_app

pytestmark = pytest.mark.slow

RAFAH = "What did Netanyahu say about Rafah?"


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def articles(seed_index_path):
    from qa import NewsIndex

    with NewsIndex.open(seed_index_path) as index:
        yield {article.id: article for article in index.articles()}


def assert_spans_exact(result, articles):
    passages = result["citations"] + result["related"]
    assert_cited(articles, passages)
    for passage in passages:
        article = articles[passage["article_id"]]
        assert passage["title"] == article.title and passage["source"] == article.source


def test_ask_is_a_named_endpoint_whose_first_parameter_is_the_question(client):
    endpoint = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/ask"]
    names = [p["parameter_name"] for p in endpoint["parameters"]]
    assert names == ["question", "k", "sources", "since", "until"]
    assert [p["parameter_has_default"] for p in endpoint["parameters"]] == [False, True, True, True, True]


def test_rafah_question_cites_netanyahu_with_exact_offsets(client, articles):
    result = client.predict(RAFAH, api_name="/ask")
    assert not result["abstained"] and result["searched"] == RAFAH
    assert result["citations"], result
    assert_spans_exact(result, articles)
    top = result["citations"][0]
    assert top["source"] == "WION" and top["published"] == "2024-03-22"
    # A "what did X say" question leads with X's own quoted words, attributed.
    assert top["speaker"] == "Benjamin Netanyahu" and "we will do it alone" in top["text"]
    assert result["answer"] == " … ".join(c["text"] for c in result["citations"])


def test_filters_apply(client, articles):
    result = client.predict(RAFAH, k=3, sources=["Wikinews"], api_name="/ask")
    assert {p["source"] for p in result["citations"] + result["related"]} == {"Wikinews"}
    assert_spans_exact(result, articles)
    result = client.predict("What did Blinken say in Egypt?", since="2024-01-01", until="2024-12-31", api_name="/ask")
    passages = result["citations"] + result["related"]
    assert passages and all(p["published"].startswith("2024") for p in passages)
    result = client.predict(RAFAH, since="2030-01-01", api_name="/ask")
    assert result["abstained"] and result["reason"].startswith(
        "no articles match the filters: asked for 2030-01-01 or later; the articles here were"
    )


def test_abstention_has_the_same_shape(client):
    result = client.predict("???", api_name="/ask")
    assert result["abstained"] and result["answer"] is None and result["citations"] == []
    assert "the question has no words" in result["reason"]


def test_bad_arguments_come_back_as_error_messages(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="since must be a date like 2024-03-22, got 'last week'"):
        client.predict(RAFAH, since="last week", api_name="/ask")
    with pytest.raises(AppError, match="k must be at least 1, got 0"):  # the library's BadInput
        client.predict(RAFAH, k=0, api_name="/ask")


@pytest.fixture
def app_module():
    """app.py imported afresh, as a test imports `demo`."""
    return import_app()


def test_demo_imports_without_launching_or_opening_an_index(app_module, monkeypatch):
    assert app_module.demo.is_running is False
    assert app_module._index is None
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    options = app_module.launch_options()
    assert (options["server_name"], options["server_port"]) == ("127.0.0.1", 7860)
    assert options["max_file_size"] == "20mb"
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "9000")
    assert app_module.launch_options()["server_name"] == "0.0.0.0"
    assert app_module.launch_options()["server_port"] == 9000


def test_a_missing_index_is_built_from_the_seeds_with_progress(app_module, tmp_path, monkeypatch, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "one.txt").write_text("Source: Test Wire\n\nThe Quillon ferry will run twice a day.\n")
    monkeypatch.setattr(app_module, "SEEDS", seeds)
    monkeypatch.setattr(app_module, "INDEX_DIR", tmp_path / "index")
    index = app_module.index()
    try:
        assert len(index) == 1 and app_module.index() is index  # one NewsIndex per process
        printed = capsys.readouterr().out
        assert f"building the index at {tmp_path / 'index'}/ from {seeds}/" in printed
        assert "1 articles indexed" in printed and "added 1" in printed
    finally:
        index.close()
