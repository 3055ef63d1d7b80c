"""The web chat in Debian's chromium, driven by Playwright, against `python app.py` on the seed index."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
RAFAH = "What did Netanyahu say about Rafah?"
TIMEOUT_MS = 60_000  # an answer takes about a second; a cold 2-core machine can be much slower

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CI") and not CHROMIUM.exists(),
        reason="no browser at /usr/bin/chromium; enable these tests with: "
        "apt-get install -y chromium (in CI they always run)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page on the app; any dialog (alert, confirm...) is recorded and fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)
    page.wait_for_selector("#qa-question textarea")
    page.wait_for_function("document.querySelector('.qa-summary')")  # the index summary has loaded
    yield page
    context.close()
    assert not dialogs, f"a dialog fired: {dialogs}"


def ask(page, question: str) -> None:
    answers = page.locator("#qa-chat .qa-answer").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_function(f"document.querySelectorAll('#qa-chat .qa-answer').length > {answers}")
    page.wait_for_selector("#qa-evidence .qa-article, #qa-evidence .qa-empty")


def last_answer(page):
    return page.locator("#qa-chat .qa-answer").last


def add_articles(page, *, files: list[Path] = (), title: str = "", text: str = "") -> str:
    """Add articles through the "Add articles" panel; returns the report's text."""
    if not page.locator("#qa-files").is_visible() and not page.locator("#qa-paste-text").is_visible():
        page.get_by_text("Add articles", exact=True).click()
    if files:
        page.get_by_role("tab", name="Upload files").click()
        page.locator("#qa-files input[type=file]").set_input_files([str(f) for f in files])
        for file in files:  # on the server (a download link) before the button can use them
            page.locator(f'#qa-files a[download="{file.name}"]').wait_for()
        page.click("#qa-add-files")
        page.locator("#qa-files a[download]").first.wait_for(state="detached")  # cleared once added
    else:
        page.get_by_role("tab", name="Paste an article").click()
        page.fill("#qa-paste-title textarea", title)
        page.fill("#qa-paste-text textarea", text)
        page.click("#qa-add-pasted")
        page.wait_for_function("document.querySelector('#qa-paste-text textarea').value === ''")
    return page.locator("#qa-report .qa-report").inner_text()


def test_rafah_answer_cites_netanyahu_and_opens_the_article_at_the_span(page, app_url):
    from gradio_client import Client

    ask(page, RAFAH)
    answer = last_answer(page)
    lead = answer.locator(".qa-lead").inner_text()
    assert "Netanyahu" in lead and "Rafah" in lead and "[1]" in lead
    card = answer.locator(".qa-card").first
    assert "WION" in card.inner_text() and "22 Mar 2024" in card.inner_text()
    # The first passage opens by itself: the whole article, the cited span marked and in view.
    expected = Client(app_url, verbose=False).predict(RAFAH, api_name="/ask")
    first, second = expected["citations"][0], (expected["citations"] + expected["related"])[1]
    focus = page.locator("#qa-evidence mark.qa-focus")
    assert focus.inner_text() == first["text"]
    assert focus.get_attribute("id") == "cite-1"
    assert_in_view(page, focus)
    assert "Blinken" in page.locator("#qa-evidence .qa-body").inner_text()  # the rest of the article
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rafah-chat.png"))

    # Choosing another passage moves the focus to it.
    page.locator("#qa-passages label").nth(1).click()
    page.wait_for_function("document.querySelector('#qa-evidence mark.qa-focus')?.id === 'cite-2'")
    assert page.locator("#qa-evidence mark.qa-focus").inner_text() == second["text"]
    assert_in_view(page, page.locator("#qa-evidence mark.qa-focus"))


def copied(page) -> str:
    """Click "Copy with sources" and return what reached the clipboard."""
    page.evaluate("navigator.clipboard.writeText('')")
    page.click("#qa-copy")
    page.wait_for_function("navigator.clipboard.readText().then(text => text.length > 0)")
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_with_sources_copies_the_selected_answer_as_markdown(page, app_url):
    from gradio_client import Client

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    assert page.locator("#qa-copy").is_disabled()  # nothing to copy before an answer
    ask(page, RAFAH)
    page.wait_for_selector("#qa-copy:not([disabled])")
    markdown = copied(page)
    expected = Client(app_url, verbose=False).predict(RAFAH, api_name="/ask")
    assert markdown.startswith(f"**Q:** {RAFAH}")
    for number, citation in enumerate(expected["citations"], 1):
        assert f"{citation['text']}”[^{number}]" in markdown
        assert f"characters {citation['start']}–{citation['end']}" in markdown.split(f"[^{number}]: ", 1)[1]

    # After another answer, clicking the first one in the chat makes it the one copied again.
    ask(page, "Who attended Arafat's funeral from Brazil?")
    assert "Brazil" in copied(page)
    page.locator("#qa-chat .qa-answer").first.click()
    page.wait_for_function("document.querySelector('#qa-evidence .qa-article')?.innerText.includes('Rafah')")
    assert copied(page) == markdown


def test_follow_up_shows_the_question_it_searched(page):
    page.get_by_role("button", name=RAFAH).click()  # an example question asks at once
    page.wait_for_selector("#qa-chat .qa-answer")
    assert last_answer(page).locator(".qa-searched").inner_text() == f"Searched: “{RAFAH}”"
    ask(page, "when was that?")
    searched = last_answer(page).locator(".qa-searched").inner_text()
    assert searched.startswith(f"Searched: “{RAFAH} When was that?”")
    assert "follow-up completed from the conversation" in searched
    ask(page, "and what did Blinken say?")
    assert last_answer(page).locator(".qa-searched").inner_text() == "Searched: “and what did Blinken say?”"
    assert "Blinken" in last_answer(page).locator(".qa-lead").inner_text()
    assert "WION" in page.locator("#qa-passages label").first.inner_text()  # his words, in the Rafah story
    shown = last_answer(page).locator(".qa-lead").inner_text()
    ask(page, "what else?")  # his words past those shown
    assert last_answer(page).locator(".qa-searched").inner_text().startswith("Searched: “and what did Blinken say?”")
    assert last_answer(page).locator(".qa-lead").inner_text() != shown
    ask(page, "who won the Ukrainian election?")
    ask(page, "what else did he say?")  # the person the answer named, not "Ukrainian"
    assert "Yushchenko" in last_answer(page).locator(".qa-searched").inner_text()

    # Clicking an earlier answer lists its own passages in the evidence panel.
    first = page.locator("#qa-chat .qa-answer").first
    cited = " ".join(first.locator(".qa-card mark").first.inner_text().split()[:6])
    first.locator(".qa-lead").click()
    page.wait_for_function("text => document.querySelector('#qa-passages label')?.innerText.includes(text)", arg=cited)
    assert page.locator("#qa-evidence mark.qa-focus").inner_text().startswith(cited)


def test_filters_narrow_the_search(page):
    page.get_by_text("Filters", exact=True).click()
    page.locator("#qa-sources input").click()
    page.locator("#qa-sources input").fill("Wikinews")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    ask(page, RAFAH)
    labels = page.locator("#qa-passages label").all_inner_texts()
    assert labels and all(re.match(r"\[\d\] Wikinews, ", label) for label in labels), labels

    page.fill("#qa-since input", "2030-01-01")
    page.keyboard.press("Enter")
    ask(page, RAFAH)
    shown = last_answer(page).inner_text()
    assert "The articles don't say." in shown and "no articles match the filters" in shown
    assert page.locator("#qa-passages label").count() == 0


def test_uploaded_article_is_searchable_at_once(page, tmp_path):
    article = tmp_path / "quillon-ferries.txt"
    article.write_text(
        "Title: Quillon ferry fares to double\nSource: Harbour Gazette\n"
        "Published: 2025-02-03\n\n"
        "The Quillon harbour authority announced on Monday that ferry fares to the "
        "Marrow Islands will double from April, citing the cost of a new breakwater.\n"
        "Islanders said the increase would cut them off from the mainland.\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    before = article_count(page)
    report = add_articles(page, files=[article, empty])
    assert "Added 1, replaced 0, duplicates 0, skipped 1." in report
    assert "Quillon ferry fares to double" in report
    assert re.search(r"empty\.txt\s*empty file", report)
    assert article_count(page) == before + 1

    ask(page, "What did the Quillon harbour authority announce about ferry fares?")
    answer = last_answer(page)
    assert "ferry fares to the Marrow Islands will double" in answer.locator(".qa-lead").inner_text()
    assert "Harbour Gazette" in answer.locator(".qa-card").first.inner_text()
    assert "Marrow Islands will double" in page.locator("#qa-evidence mark.qa-focus").inner_text()

    # The same file again is a duplicate, reported as such.
    assert "duplicates 1" in add_articles(page, files=[article])


INJECTED_TITLE = "<img src=x onerror=\"alert('title')\"> Tarnby <b>council</b>"
INJECTED_TEXT = (
    "<script>alert('script')</script>\n"
    "The Tarnby council voted to close the old tram depot <img src=x onerror=\"alert('img')\"> "
    "after a fire in March.\n"
    "[read more](javascript:alert('md')) **bold** ${alert('template')} {{value}} $x^2$"
)


def test_injected_html_stays_inert_text(page):
    report = add_articles(page, title=INJECTED_TITLE, text=INJECTED_TEXT)
    assert "Added 1" in report and INJECTED_TITLE in report

    ask(page, "Why did the Tarnby council close the tram depot?")
    answer = last_answer(page)
    assert "The Tarnby council voted to close the old tram depot" in answer.locator(".qa-lead").inner_text()
    evidence = page.locator("#qa-evidence")
    evidence.locator("mark.qa-focus").wait_for()
    body = evidence.locator(".qa-body").inner_text()
    assert "<script>alert('script')</script>" in body
    assert "<img src=x onerror=\"alert('img')\">" in body
    assert "[read more](javascript:alert('md')) **bold** ${alert('template')} {{value}} $x^2$" in body
    assert evidence.locator(".qa-title").inner_text() == INJECTED_TITLE
    assert INJECTED_TITLE in answer.locator(".qa-card").first.inner_text()
    for where in ("#qa-chat", "#qa-evidence", "#qa-report"):
        injected = f"{where} img, {where} script, {where} b, {where} strong:has-text('bold')"
        assert page.locator(injected).count() == 0
        assert page.locator(f"{where} a[href^='javascript']").count() == 0
    page.wait_for_timeout(500)  # give any injected handler the chance to fire; `page` fails on a dialog


def article_count(page) -> int:
    return int(re.match(r"([\d,]+) articles", page.locator(".qa-summary").inner_text()).group(1).replace(",", ""))


def assert_in_view(page, locator) -> None:
    """The element is inside the visible part of the evidence panel's scroll box."""
    page.wait_for_timeout(300)  # the panel scrolls after it renders
    box = page.locator("#qa-evidence .qa-evidence-scroll").bounding_box()
    mark = locator.bounding_box()
    assert box and mark
    top, bottom = box["y"], box["y"] + box["height"]
    assert top <= mark["y"] and mark["y"] + min(mark["height"], 40) <= bottom, (box, mark)
