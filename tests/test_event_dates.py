"""qa.text.event_dates: the day a sentence speaks of, and whether it dates its news, on real article text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DATA, wikinews_records
from qa.text.event_dates import dates_its_news, resolve_relative

RAFAH = (DATA / "rafah.txt").read_text(encoding="utf-8")
WIKINEWS = wikinews_records()
DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


def wikinews(published: str, fragment: str = "") -> str:
    [text] = [r["text"] for r in WIKINEWS if r["published"] == published and fragment in r["text"]]
    return text


def test_rafah_said_on_friday_mar_22() -> None:
    start = RAFAH.index("Israeli Prime Minister Benjamin Netanyahu said on Friday (Mar 22)")
    assert resolve_relative(RAFAH, start, date(2024, 3, 22)) == date(2024, 3, 22)
    # The quote two sentences on names no day: its date is the article's business, not this function's.
    assert resolve_relative(RAFAH, RAFAH.index("I told him"), date(2024, 3, 22)) is None


# Published 2024-03-22, a Friday, unless the case says otherwise.
FRI = date(2024, 3, 22)


@pytest.mark.parametrize(
    "text, published, expected",
    [
        ("Netanyahu said on Friday (Mar 22) that Israel will enter Rafah.", date(2024, 3, 23), date(2024, 3, 22)),
        ("Blinken met Netanyahu on Thursday, March 21, in Tel Aviv.", FRI, date(2024, 3, 21)),
        ("The vote was held on Friday, 22 March 2024.", FRI, date(2024, 3, 22)),
        ("Netanyahu said on Friday that Israel will act alone.", FRI, date(2024, 3, 22)),  # "will" after the cue
        ("Netanyahu said on Friday that Israel will act alone.", date(2024, 3, 24), date(2024, 3, 22)),
        ("Blinken spoke in Cairo on Wednesday.", FRI, date(2024, 3, 20)),
        ("“We will do it alone,” Netanyahu said on Friday.", date(2024, 3, 25), date(2024, 3, 22)),
        ("Kmart Corp. announced Wednesday morning it will buy Sears.", date(2004, 11, 17), date(2004, 11, 17)),
        ("On Friday, fishermen rescued over 700 asylum seekers.", date(2015, 5, 18), date(2015, 5, 15)),
        ("A storm yesterday caused a crane to fall into the Grand Mosque.", date(2015, 9, 12), date(2015, 9, 11)),
        ("Yesterday, day five of the World Cup, Sweden defeated South Korea.", date(2018, 6, 19), date(2018, 6, 18)),
        ("Residents heard explosions last night.", FRI, date(2024, 3, 21)),
        ("The delegation returned today.", FRI, FRI),
        ("Blinken met the war cabinet this morning.", FRI, FRI),
        ("Blinken arrived in Israel on March 21.", FRI, date(2024, 3, 21)),
        ("Blinken arrived in Israel on 21 March.", FRI, date(2024, 3, 21)),
        ("Aid deliveries resumed on December 28.", date(2005, 1, 3), date(2004, 12, 28)),  # last year's
        ("The ceasefire vote is due on March 25.", FRI, date(2024, 3, 25)),  # a few days ahead
        ("The shuttle Columbia first flew on April 12, 1981.", date(2011, 4, 13), date(1981, 4, 12)),
        (
            "The bomb was set to explode on Monday, December 6, a national holiday.",
            date(2004, 12, 5),
            date(2004, 12, 6),
        ),
    ],
)
def test_resolve_relative_resolves_simple_dates(text: str, published: date, expected: date) -> None:
    assert resolve_relative(text, 0, published) == expected


@pytest.mark.parametrize(
    "text, published",
    [
        ("Netanyahu said on Thursday (Mar 22) that Israel will enter Rafah.", FRI),  # 22 March was a Friday
        ("Launch opportunities were missed (starting Friday, December 12) due to faults.", date(2004, 12, 13)),
        ("Talks will resume on Friday.", FRI),  # ahead, not behind
        ("On Wednesday, Mohamed and his father are to visit the White House.", date(2015, 9, 22)),
        ("The cabinet meets next Friday.", FRI),
        ("Protests have been held every Friday.", FRI),
        ("Churches were full on Good Friday.", FRI),
        ("I went back the next Tuesday night.", FRI),
        ("The track will be on the website from Thursday.", FRI),
        ("The site had been attacked by Thursday night.", FRI),
        ("The election was held on December 1 and the results were announced yesterday.", date(2004, 12, 22)),
        ("Netanyahu said on Monday that the strikes of yesterday were justified.", FRI),  # two days disagree
        ("Over 50 of today's best selling artists sang.", FRI),
        ("Netanyahu has said Israel will enter Rafah.", FRI),
        ("Protesters march on the capital.", FRI),
        ("", FRI),
    ],
)
def test_resolve_relative_gives_none_when_uncertain(text: str, published: date) -> None:
    assert resolve_relative(text, 0, published) is None


@pytest.mark.parametrize(
    "published, fragment, expected",
    [
        ("2015-05-07", "On Tuesday, the New Zealand government", date(2015, 5, 5)),
        ("2015-09-12", "A storm yesterday caused a crane", date(2015, 9, 11)),
        ("2010-10-09", "He was released on US$20,000 bail on Thursday", date(2010, 10, 7)),
        ("2004-11-13", "Hu Jintao, the President", date(2004, 11, 13)),
        ("2004-11-20", "the end of the Friday, November 19th game", date(2004, 11, 19)),
        ("2011-03-08", "Microsoft announced on Friday", date(2011, 3, 4)),
        ("2004-12-22", "the results were officially announced yesterday", None),  # "held on December 1" too
    ],
)
def test_resolve_relative_on_wikinews(published: str, fragment: str, expected: date | None) -> None:
    text = wikinews(published, fragment)
    assert resolve_relative(text, text.index(fragment), date.fromisoformat(published)) == expected


def test_resolve_relative_reads_only_the_sentence_around_start() -> None:
    text = "Talks began on Monday. Netanyahu spoke to reporters. Mr. Blinken left yesterday."
    assert resolve_relative(text, text.index("Talks"), FRI) == date(2024, 3, 18)
    assert resolve_relative(text, text.index("Netanyahu"), FRI) is None
    assert resolve_relative(text, text.index("Blinken"), FRI) == date(2024, 3, 21)  # "Mr." ends no sentence
    assert resolve_relative(text, len(text), FRI) == date(2024, 3, 21)


@pytest.mark.parametrize("start", [-1, 100])
def test_resolve_relative_rejects_an_offset_outside_the_text(start: int) -> None:
    with pytest.raises(ValueError, match=r"start -?\d+ is outside the text \(0\.\.40\)"):
        resolve_relative("Blinken spoke in Cairo on Wednesday. Ok.", start, FRI)


@given(DATES, st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
def test_resolve_relative_weekday_oracle(published: date, weekday: str) -> None:
    """ "on <weekday>" is the one day of that name in the six days up to publication."""
    resolved = resolve_relative(f"The minister said on {weekday} that talks had failed.", 0, published)
    assert resolved is not None and resolved.strftime("%A") == weekday
    assert 0 <= (published - resolved).days <= 6


@given(DATES)
def test_resolve_relative_explicit_weekday_and_date_oracle(day: date) -> None:
    """ "on Friday (Mar 22)" comes back exactly, published within a week after."""
    text = f"The minister said on {day:%A} ({day:%b} {day.day}) that talks had failed."
    assert resolve_relative(text, 0, day + timedelta(days=day.toordinal() % 7)) == day


# --- dates_its_news ------------------------------------------------------------------------------

HAJJ = date(2006, 1, 12)


@pytest.mark.parametrize(
    "sentence, published",
    [
        ("On March 13, Professor Chomsky sat down with Michael Dranove for an interview.", date(2009, 4, 4)),
        ("A storm yesterday caused a crane to fall into Mecca's Grand Mosque.", date(2015, 9, 12)),
        ("The proposal will be offered to Congress in February or March 2005.", date(2005, 1, 2)),
        ("Stampedes killed 251 pilgrims in 2004 and 14 in 2005.", HAJJ),  # last year's news is news
        ("The deadliest stampede was during the 1991 Hajj.", None),  # undated: any year may be its time
    ],
)
def test_a_sentence_that_says_when_dates_its_news(sentence: str, published: date | None) -> None:
    assert dates_its_news(sentence, published)


@pytest.mark.parametrize(
    "sentence",
    [
        "This is not the first time deadly stampedes have taken place during the Hajj, with the deadliest"
        " stampede during the 1991 Hajj, in which 1,426 pilgrims were trampled.",  # background
        "According to the Saudi Interior Ministry over 345 Muslim pilgrims have been killed in a stampede.",
        "Thursday, January 12, 2006",  # the date line: when it was published, not when it happened
        "The mosque was rebuilt in the 19th century.",
        "",
    ],
)
def test_a_sentence_with_no_time_of_its_news_does_not_date_it(sentence: str) -> None:
    assert not dates_its_news(sentence, HAJJ)
