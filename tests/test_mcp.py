"""The app's API as MCP tools: `python app.py --mcp`, called through the `mcp` client package."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from typing import Any

import pytest

from conftest import serve_app
from helpers import assert_cited, child_env, readme_python

pytestmark = pytest.mark.slow

RAFAH = "What did Netanyahu say about Rafah?"


@pytest.fixture(scope="module")
def mcp_app_url(seed_index_path, tmp_path_factory):
    with serve_app(seed_index_path, tmp_path_factory, "--mcp") as url:
        yield url


def session_run(url: str, work) -> Any:
    """Run `work(session)` in an MCP session with the app's streamable HTTP endpoint."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(f"{url}gradio_api/mcp/") as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    return asyncio.run(asyncio.wait_for(run(), timeout=120))


def tool_result(result) -> Any:
    # Gradio sends a tool's return value as text (Python's repr of the dict or list it returned).
    assert not result.isError, result.content
    return ast.literal_eval(result.content[0].text)


def test_tools_are_ask_and_quotes_with_documented_parameters(mcp_app_url):
    async def work(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in session_run(mcp_app_url, work)}
    assert set(tools) == {"ask", "quotes"}
    ask = tools["ask"]
    assert "cited" in ask.description
    assert ask.inputSchema["required"] == ["question"]
    properties = ask.inputSchema["properties"]
    assert set(properties) == {"question", "k", "sources", "since", "until"}
    assert properties["k"]["type"] == "number" or properties["k"]["type"] == "integer"
    assert "YYYY-MM-DD" in properties["since"]["description"]
    assert {"speaker", "about", "limit"} <= set(tools["quotes"].inputSchema["properties"])


def test_ask_through_mcp_is_the_http_api_answer(mcp_app_url, seeds):
    from gradio_client import Client

    async def work(session):
        return await session.call_tool("ask", {"question": RAFAH, "k": 5, "sources": ["WION"]})

    answer = tool_result(session_run(mcp_app_url, work))
    over_http = Client(mcp_app_url, verbose=False).predict(RAFAH, 5, ["WION"], api_name="/ask")
    assert answer == over_http
    assert not answer["abstained"] and answer["citations"][0]["speaker"] == "Benjamin Netanyahu"
    assert_cited(seeds, answer["citations"])


def test_quotes_through_mcp_name_the_speaker_and_the_article(mcp_app_url, seeds):
    async def work(session):
        return await session.call_tool("quotes", {"speaker": "Netanyahu", "about": "Rafah", "limit": 3})

    quotes = tool_result(session_run(mcp_app_url, work))
    assert 1 <= len(quotes) <= 3
    assert all(q["speaker"] == "Benjamin Netanyahu" and q["source"] == "WION" for q in quotes)
    assert_cited(seeds, quotes)


def test_bad_arguments_come_back_as_tool_errors(mcp_app_url):
    async def work(session):
        return await session.call_tool("ask", {"question": RAFAH, "since": "last week"})

    result = session_run(mcp_app_url, work)
    assert result.isError and "since must be a date like 2024-03-22" in result.content[0].text


def test_readme_example_prints_the_http_api_answer(mcp_app_url):
    from gradio_client import Client

    example = readme_python("## MCP: news-qa as tools for an AI assistant")
    example = example.replace("http://127.0.0.1:7860/", mcp_app_url)  # the test's app runs on a free port
    result = subprocess.run(
        [sys.executable, "-c", example], env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    over_http = Client(mcp_app_url, verbose=False).predict("what did Netanyahu say about Rafah", 5, api_name="/ask")
    assert ast.literal_eval(result.stdout.strip()) == over_http
