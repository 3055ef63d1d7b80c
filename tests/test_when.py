"""qa.text.when: datelines and the time a question asks about, on real article text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import wikinews_records
from qa.text.when import TimeScope, dateline, time_scope

WIKINEWS = wikinews_records()
DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


# --- dateline -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("November 13, 2004\n\nThe delegation representing Brazil returned today.", date(2004, 11, 13)),
        ("13 November 2004\n\nThe delegation returned.", date(2004, 11, 13)),
        ("Friday, March 22, 2024\n\nIsrael said...", date(2024, 3, 22)),
        ("WASHINGTON, March 22, 2024 (Reuters) - The United States said...", date(2024, 3, 22)),
        ("BRASÍLIA, Brazil, 16 November 2004 – Mr. Lula met the President.", date(2004, 11, 16)),
        ("2024-03-22\nIsrael said...", date(2024, 3, 22)),
        ("Mar. 22, 2024 - Israel said...", date(2024, 3, 22)),
        ("March 22, 2024 10:15 AM\nIsrael said...", date(2024, 3, 22)),
        ("Netanyahu vows to enter Rafah\nMarch 22, 2024\n\nIsrael said...", date(2024, 3, 22)),  # after a headline
        ("  December 3, 2004\n\nThe Congo may be preparing...", date(2004, 12, 3)),
        ("# Council approves budget\n\n*By Jane Roe, 4 March 2025*\n\nThe council...", date(2025, 3, 4)),  # Markdown
        ("By Jane Roe, March 4, 2025\n\nThe council approved...", date(2025, 3, 4)),  # a byline
    ],
)
def test_dateline_reads_the_date_an_article_opens_with(text: str, expected: date) -> None:
    assert dateline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mar 22 (Reuters) - Israel said it would enter Rafah.",  # no year: not certain
        "November 17, Brisbane, Australia - The Australian cricket team...",  # a real Wikinews opening
        "December 29 United States - According to NASA's Near Earth Object Program...",
        "December 2004\n\nSouth American nations began...",  # no day
        "Monday, March 22, 2024\n\nIsrael said...",  # 22 March 2024 was a Friday: which is wrong?
        "February 30, 2024\n\nText.",
        "March 22, 2024 was the day Netanyahu said he would go it alone.",  # prose, not a dateline
        "By the way, March 4, 2025 was a Tuesday.\n\nText.",  # prose after "By", not a byline
        "Israel said it would enter Rafah. The talks began on March 22, 2024 in Tel Aviv.",  # in the body
        "Protesters march through the capital.\n\nPolice said 2,000 people took part in 2024.",
        "A" * 130 + "\nMarch 22, 2024\n\nText.",  # past the first 120 characters
        "",
    ],
)
def test_dateline_gives_none_without_a_certain_opening_date(text: str) -> None:
    assert dateline(text) is None


def test_dateline_agrees_with_every_wikinews_date() -> None:
    """Wikinews texts open with their date; the dateline never disagrees with the metadata."""
    found = 0
    for record in WIKINEWS:
        result = dateline(record["text"])
        assert result is None or result.isoformat() == record["published"], record["id"]
        found += result is not None
    assert found == 59  # the 8 others open with no date, no year ("November 17, Brisbane") or no day


@given(
    DATES,
    st.sampled_from(
        [
            "{d:%B} {d.day}, {d.year}",
            "{d.day} {d:%B} {d.year}",
            "{d:%Y-%m-%d}",
            "{d:%A}, {d:%B} {d.day}, {d.year}",
            "LONDON, {d:%b} {d.day}, {d.year} (Reuters) -",
        ]
    ),
)
def test_dateline_oracle_over_generated_dates(day: date, form: str) -> None:
    assert dateline(form.format(d=day) + "\n\nThe body of the article.") == day


# --- time_scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, since, until, searched",
    [
        ("what did Netanyahu say in March 2024", date(2024, 3, 1), date(2024, 3, 31), "what did Netanyahu say"),
        (
            "What did Netanyahu say about Rafah in March 2024?",
            date(2024, 3, 1),
            date(2024, 3, 31),
            "What did Netanyahu say about Rafah?",
        ),
        ("what happened in gaza in february 2024", date(2024, 2, 1), date(2024, 2, 29), "what happened in gaza"),
        (
            "How many migrants crossed the Channel in 2023?",
            date(2023, 1, 1),
            date(2023, 12, 31),
            "How many migrants crossed the Channel?",
        ),
        ("what did the Fed do before 2020", None, date(2019, 12, 31), "what did the Fed do"),
        ("What has Blinken said after June 2021?", date(2021, 7, 1), None, "What has Blinken said?"),
        ("how has the war changed since 2019", date(2019, 1, 1), None, "how has the war changed"),
        ("who led Brazil between 2019 and 2021", date(2019, 1, 1), date(2021, 12, 31), "who led Brazil"),
        ("tsunami aid from December 2004 to January 2005", date(2004, 12, 1), date(2005, 1, 31), "tsunami aid"),
        ("what did Netanyahu say on 22 March 2024?", date(2024, 3, 22), date(2024, 3, 22), "what did Netanyahu say?"),
        ("what happened on March 22, 2024", date(2024, 3, 22), date(2024, 3, 22), "what happened"),
        ("what happened on 2024-03-22", date(2024, 3, 22), date(2024, 3, 22), "what happened"),
        ("who was in charge as of March 2024", None, date(2024, 3, 31), "who was in charge"),
        (
            "what happened after 2019 and before 2022 in Gaza",
            date(2020, 1, 1),
            date(2021, 12, 31),
            "what happened in Gaza",
        ),
        ("what may happen after May 2024", date(2024, 6, 1), None, "what may happen"),
        (
            "In 2004 who won the Nobel Peace Prize?",
            date(2004, 1, 1),
            date(2004, 12, 31),
            "who won the Nobel Peace Prize?",
        ),
        ("what happened in 2023", date(2023, 1, 1), date(2023, 12, 31), "what happened"),
        ("what happened in 2023?", date(2023, 1, 1), date(2023, 12, 31), "what happened?"),
        ("news before 2020", None, date(2019, 12, 31), "news before 2020"),  # one word left: keep the question
        ("news from January 2005", date(2005, 1, 1), date(2005, 1, 31), "news from January 2005"),
    ],
)
def test_time_scope_filters_on_explicit_dates(
    question: str, since: date | None, until: date | None, searched: str
) -> None:
    assert time_scope(question) == TimeScope(since, until, False, searched)


@pytest.mark.parametrize(
    "question",
    [
        "What happened before the ceasefire talks?",  # relative to an event: no date to filter by
        "what did Netanyahu say last week",  # no reference date given
        "what did Blinken say in March",  # a month without a year
        "what happened on March 22",
        "why did protesters march through the capital",  # "march" the verb
        "why did protesters march 20 miles",
        "what may happen in Gaza",  # "may" the modal verb
        "What happened on May 5?",
        "who won in the 2024 election",  # a year that names an event, not a time span
        "what changed in the 2020s",
        "what happened on 31 February 2024",  # no such day
        "how many people were killed",
    ],
)
def test_time_scope_leaves_vague_or_false_dates_alone(question: str) -> None:
    assert time_scope(question) == TimeScope(None, None, False, question)


@pytest.mark.parametrize(
    "question, searched",
    [
        ("what is the latest on Rafah", "what is the latest on Rafah"),  # "latest" is the noun here
        ("latest news about the Rafah offensive", "news about the Rafah offensive"),
        ("What is the most recent statement by Netanyahu?", "What is the statement by Netanyahu?"),
        ("what are the newest figures on migrants", "what are the figures on migrants"),
        ("what did Netanyahu say recently?", "what did Netanyahu say?"),
        ("what is happening in Gaza now", "what is happening in Gaza"),
        ("What is the current death toll?", "What is the current death toll?"),  # "current" kept
        ("who is the current prime minister of Israel", "who is the current prime minister of Israel"),
    ],
)
def test_time_scope_latest_prefers_newer_articles_without_filtering(question: str, searched: str) -> None:
    assert time_scope(question) == TimeScope(None, None, True, searched)


def test_time_scope_latest_and_a_year_together() -> None:
    assert time_scope("latest news on the shuttle in 2011") == TimeScope(
        date(2011, 1, 1), date(2011, 12, 31), True, "news on the shuttle"
    )


@pytest.mark.parametrize(
    "question, since, searched",
    [
        ("what did Netanyahu say last week", date(2024, 3, 18), "what did Netanyahu say"),  # Monday
        ("what did Netanyahu say this week", date(2024, 3, 25), "what did Netanyahu say"),
        ("what happened in the past week", date(2024, 3, 20), "what happened"),
        ("what happened last month", date(2024, 2, 1), "what happened"),
        ("what happened this year in Gaza", date(2024, 1, 1), "what happened in Gaza"),
        ("what happened last year", date(2023, 1, 1), "what happened"),
        ("what did Blinken say yesterday", date(2024, 3, 26), "what did Blinken say"),
    ],
)
def test_time_scope_relative_words_begin_a_filter_given_today(question: str, since: date, searched: str) -> None:
    # Only a start: an article published after last week may still be about it.
    assert time_scope(question, today=date(2024, 3, 27)) == TimeScope(since, None, False, searched)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["%B", "%b"]),
    st.sampled_from([str, str.lower, str.upper]),
)
def test_time_scope_month_oracle(day: date, month_format: str, case) -> None:
    """ "in <month> <year>" is that month, first day to last, in any case, full name or short."""
    scope = time_scope(f"what did the minister say in {case(day.strftime(month_format))} {day.year}")
    assert scope.since == day.replace(day=1)
    assert scope.until is not None and scope.until.month == day.month
    assert (scope.until + timedelta(days=1)).day == 1
    assert scope.question == "what did the minister say"
