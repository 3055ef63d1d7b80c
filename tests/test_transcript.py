"""Interview transcripts: a paragraph opened by a speaker's name is that speaker's words, and
"what did X say about Y" answers from them, on invented dialogues and the seed interviews."""

from __future__ import annotations

import pytest

from helpers import assert_cited, assert_slices
from qa.text.quotes import find_quotes

# Written for these tests, in the shape of Wikinews's interviews.
INTERVIEW = (
    "On Monday, Wikinews spoke with harbour engineer Ana Duarte about the new sea wall.\n\n"
    "Wikinews: How long will the sea wall take to build?\n\n"
    "Ana Duarte: About three years. The council has already approved the money.\n\n"
    "Wikinews: What did the mayor say about it?\n\n"
    'Ana Duarte: He told me, "This wall will save the old town." I agree with him.\n'
)
LINE_UP = (
    "Riverside: Moss, Keane, Okafor, Lewis, Dunne.\n"
    "Subs Not Used: Kiely, Brandt, Walsh.\n\n"
    "Harbour City: Price, Nolan, Ruiz, Hale, Webb.\n"
    "Subs Not Used: Tully, Osei, Grant.\n"
)


def test_each_sentence_of_a_turn_is_its_speakers_words():
    quotes = [q for q in find_quotes("interview", INTERVIEW) if q.cue == "interview"]
    assert_slices(INTERVIEW, quotes)
    said = [(q.speaker, q.text) for q in quotes]
    assert ("Ana Duarte", "About three years.") in said
    assert ("Ana Duarte", "The council has already approved the money.") in said
    assert ("Wikinews", "How long will the sea wall take to build?") in said
    assert ("Ana Duarte", "I agree with him.") in said
    # The introduction is nobody's turn, and no label is part of the words.
    assert not any("spoke with" in text or text.startswith("Ana Duarte:") for _, text in said)


def test_a_quotation_inside_an_answer_keeps_its_own_speaker():
    quotes = find_quotes("interview", INTERVIEW)
    wall = next(q for q in quotes if q.text.startswith("This wall will save"))
    assert wall.speaker != "Ana Duarte" and wall.cue != "interview"


@pytest.mark.parametrize(
    "text",
    [
        LINE_UP,  # lists of names, not prose
        "Update: The road has reopened.\n\nThe council said repairs would finish by May.\n",  # one label
        "Q: Will it rain?\nA: Yes, later today.\nQ: How much?\nA: Not much at all.\n",  # no names
        # One speaker alone, however often: a dialogue has two.
        "Note: the figures are provisional.\nMore text here.\nNote: the map is not to scale.\n",
    ],
)
def test_labels_that_are_not_a_dialogue_give_no_turns(text):
    assert not [q for q in find_quotes("other", text) if q.cue == "interview"]


def test_a_seed_interview_answers_in_the_interviewees_own_words(seeds):
    answer = seeds.ask("What did Chomsky say about NATO?")
    assert answer.citations, answer.reason
    assert_cited(seeds, answer.citations)
    assert all(c.speaker == "Noam Chomsky" for c in answer.citations)
    # His answers are his own words, as a quotation is: the one naming NATO leads.
    assert "NATO" in answer.citations[0].text


def test_an_interviewee_never_asked_about_a_topic_is_not_quoted_on_it(seeds):
    # The Chomsky interview never mentions Israel (another seed article does): citing his words
    # on NATO, or others' words on Israel, would put words in his mouth.
    answer = seeds.ask("What did Chomsky say about Israel?")
    assert answer.abstained
    assert "Chomsky" in answer.reason and "Israel" in answer.reason


def test_a_quote_that_names_a_one_word_topic_is_on_it(seeds):
    answer = seeds.ask("What did Christopher Hill say about taxes?")
    assert answer.citations, answer.reason
    assert answer.citations[0].speaker == "Christopher Hill"
    assert "tax" in answer.citations[0].text.lower()
