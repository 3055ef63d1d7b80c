"""qa.text.conversation.resolve_followup: follow-ups borrow the previous question's subject, and only they."""

from __future__ import annotations

import pytest

from qa.text.conversation import content_words, dated_article, find_subject, resolve_followup, shown_before
from qa.types import Answer, Citation

RAFAH = "What did Netanyahu say about Rafah?"


@pytest.mark.parametrize(
    "question",
    [
        "and what did Blinken say?",
        "What did Blinken say in Egypt?",
        "Who attended Arafat's funeral from Brazil?",
        "how many people died in the 2004 tsunami?",
        "what did blinken say",  # a subject typed in lower case is still a subject
    ],
)
def test_a_question_with_its_own_subject_is_searched_as_typed(question):
    assert resolve_followup(question, [RAFAH]) == question


@pytest.mark.parametrize(
    "question, searched",
    [
        ("what else did he say?", "what else did Netanyahu say?"),
        ("What did she tell the cabinet?", "What did Netanyahu tell the cabinet?"),
        ("what did his office say?", "what did Netanyahu's office say?"),
        ("was her plan approved?", "was Netanyahu's plan approved?"),
        ("what did they tell her?", "what did Netanyahu tell her?"),  # only the first pronoun
    ],
)
def test_a_pronoun_becomes_the_previous_subject(question, searched):
    assert resolve_followup(question, [RAFAH]) == searched


@pytest.mark.parametrize(
    "question, searched",
    [
        ("and about Gaza?", "What did Netanyahu say about Gaza?"),
        ("What about the hostages?", "What did Netanyahu say about the hostages?"),
        ("how about Egypt", "What did Netanyahu say about Egypt?"),
    ],
)
def test_about_swaps_the_topic(question, searched):
    assert resolve_followup(question, [RAFAH]) == searched


def test_about_adds_a_topic_when_the_previous_question_had_none():
    assert resolve_followup("and about Gaza?", ["What did Blinken say?"]) == "What did Blinken say about Gaza?"


@pytest.mark.parametrize("question", ["when was that?", "why?", "Where did it happen?"])
def test_a_question_with_no_words_of_its_own_is_searched_with_the_previous_one(question):
    searched = resolve_followup(question, [RAFAH])
    assert searched == f"{RAFAH} {question[0].upper()}{question[1:]}"


def test_the_latest_searched_question_is_the_one_followed():
    history = ["Who attended Arafat's funeral from Brazil?", RAFAH, ""]
    assert resolve_followup("when was that?", history) == f"{RAFAH} When was that?"


def test_a_chain_of_follow_ups_keeps_its_subject():
    history = [RAFAH]
    for question in ("when was that?", "and about Gaza?", "what else did he say?"):
        history.append(resolve_followup(question, history))
    assert history[1:] == [
        f"{RAFAH} When was that?",
        "What did Netanyahu say about Gaza?",
        "what else did Netanyahu say?",
    ]


def test_lower_case_history():
    assert resolve_followup("when was that?", ["what did netanyahu say about rafah"]) == (
        "what did netanyahu say about rafah? When was that?"
    )
    assert resolve_followup("what else did he say?", ["what did netanyahu say about rafah"]) == (
        "what else did netanyahu say?"
    )


@pytest.mark.parametrize("history", [[], [""], ["   "]])
def test_without_history_nothing_changes(history):
    assert resolve_followup("what else did he say?", history) == "what else did he say?"
    assert resolve_followup("when was that?", history) == "when was that?"


def test_a_blank_question_stays_blank():
    assert resolve_followup("  ", [RAFAH]) == "  "


def test_a_pronoun_with_no_subject_to_borrow_falls_back_to_the_other_rules():
    assert resolve_followup("what did he say?", ["When was that?"]) == "When was that? What did he say?"


def test_subjects_and_content_words():
    assert find_subject(RAFAH) == "Netanyahu"
    assert find_subject("What did Prime Minister Benjamin Netanyahu's office say?") == (
        "Prime Minister Benjamin Netanyahu"
    )
    assert find_subject("what did the prime minister say?") == "prime minister"
    assert find_subject("when was that?") == ""
    assert content_words("and what did Blinken say?") == ["Blinken"]
    assert content_words("when was that?") == []


def _answer(question: str, *cited: str, speaker: str = "", related: tuple[str, ...] = ()) -> Answer:
    def citation(text: str, who: str = "") -> Citation:
        return Citation("seed", 0, len(text), text, speaker=who)

    return Answer(
        question,
        citations=tuple(citation(text, speaker) for text in cited),
        related=tuple(citation(text) for text in related),
    )


# The seed article "Yushchenko claims victory in re-run": its lede names no one, the next sentence does.
UKRAINE = "who won the Ukrainian election?"
UKRAINE_ANSWER = _answer(
    UKRAINE,
    "With nearly all votes counted, the opposition candidate in the Ukrainian presidential elections has "
    "claimed victory.",
    related=(
        "Unofficial results show Viktor Yushchenko leading with 52% to the mainly pro-government candidate and "
        "current Prime Minister Viktor Yanukovich's 44% — a difference amounting to roughly 2.2 million votes.",
    ),
)


def test_after_a_who_question_a_pronoun_is_the_person_the_answer_names():
    assert (
        resolve_followup("what else did he say?", [UKRAINE], UKRAINE_ANSWER) == "what else did Viktor Yushchenko say?"
    )


def test_the_speaker_of_a_quoted_answer_comes_first():
    answer = _answer("who warned about Rafah?", "we will do it alone", speaker="Benjamin Netanyahu")
    assert resolve_followup("when did he say it?", ["who warned about Rafah?"], answer) == (
        "when did Benjamin Netanyahu say it?"
    )


def test_names_the_question_asked_about_and_titles_are_not_the_answer():
    # The cited sentence is the seed "Brazilian delegation returns from Arafat funeral"'s lede (Arafat
    # is whose funeral it was); the related one is written for this test.
    answer = _answer(
        "Who attended Arafat's funeral from Brazil?",
        "The delegation representing Brazil at the funeral of Yasser Arafat returned today, November 13, 2004.",
        related=("The Brazilian delegation was headed by Foreign Minister Celso Amorim.",),
    )
    history = ["Who attended Arafat's funeral from Brazil?"]
    assert resolve_followup("what did he say?", history, answer) == "what did Celso Amorim say?"


def test_a_who_answer_naming_no_one_searches_the_follow_up_with_its_question():
    answer = _answer(UKRAINE, UKRAINE_ANSWER.citations[0].text)
    assert resolve_followup("what else did he say?", [UKRAINE], answer) == f"{UKRAINE} What else did he say?"
    assert resolve_followup("what else did he say?", [UKRAINE]) == f"{UKRAINE} What else did he say?"
    # A buyer that is a company is no one "they" can be replaced with; the question still points back.
    bought = "who bought Yuganskneftegaz?"
    company = _answer(bought, "It was bought by state-controlled oil company Rosneft.")
    assert resolve_followup("how much did they pay?", [bought], company) == f"{bought} How much did they pay?"


def test_who_is_x_names_the_person_itself():
    answer = _answer("Who is Gusenbauer?", "Gusenbauer received 88.93% of the vote, an unexpectedly low value.")
    assert (
        resolve_followup("what did he criticise?", ["Who is Gusenbauer?"], answer) == "what did Gusenbauer criticise?"
    )


@pytest.mark.parametrize(
    "question, cited, follow_up, searched",
    [
        (  # the lede of the seed "Pinochet arrested after Supreme Court ruling": a role describes the name after it
            "who was arrested after the Supreme Court ruling?",
            "Former Chilean dictator Augusto Pinochet was officially placed under house arrest a day after the "
            "country's Supreme Court upheld his indictment of one count of murder and nine counts of kidnapping.",
            "why was he arrested?",
            "why was Augusto Pinochet arrested?",
        ),
        (  # the seed Nobel story's lede: a place after a name does not describe it
            "Who won the Nobel Peace Prize?",
            "OSLO — The 2004 Nobel Peace Prize was awarded today to Dr Wangari Maathai from Kenya.",
            "what did she say?",
            "what did Wangari Maathai say?",
        ),
        (  # the role asked about is not part of the name after it
            "who is the secretary of state?",
            "During a meeting with US Secretary of State Antony Blinken in Tel Aviv earlier, Netanyahu conveyed "
            "Israel's stance.",
            "what did he say?",
            "what did Antony Blinken say?",
        ),
        (  # BBC's "BP profits"-style sentence: one word after a title is a name
            "who is the chief executive of BP?",
            'BP chief executive Lord Browne said the results were strong "both operationally and financially."',
            "what did he say about oil prices?",
            "what did Browne say about oil prices?",
        ),
    ],
)
def test_the_person_a_who_answer_names_is_read_past_roles_and_places(question, cited, follow_up, searched):
    assert resolve_followup(follow_up, [question], _answer(question, cited)) == searched


def test_after_a_quoted_answer_a_pronoun_is_its_speaker():
    # "the prime minister" was answered with Tony Blair's words (a role the articles filled).
    question = "what did the prime minister say about Iraq?"
    answer = _answer(question, "In respect of Iraq, we agreed ...", speaker="Tony Blair")
    assert resolve_followup("what else did he say?", [question], answer) == "what else did Tony Blair say?"
    # Without the answer, the speaker asked about, not the topic's name.
    assert resolve_followup("what else did he say?", [question]) == "what else did the prime minister say?"


@pytest.mark.parametrize("question", ["how big was it?", "Why did it fall?", "what was its size?"])
def test_it_with_too_few_words_to_name_anything_else_is_the_previous_subject(question):
    previous = "Where did the asteroid pass?"
    assert resolve_followup(question, [previous]) == f"{previous} {question[0].upper()}{question[1:]}"


@pytest.mark.parametrize("question", ["is it true that the bridge reopened?", "Is it true that Kmart bought Sears?"])
def test_it_in_a_question_with_its_own_subject_is_searched_as_typed(question):
    assert resolve_followup(question, ["Where did the asteroid pass?"]) == question


def test_what_else_after_a_speaker_question_asks_it_again_past_what_was_shown():
    answered = _answer(RAFAH, "we will do it alone", speaker="Benjamin Netanyahu")
    assert resolve_followup("what else?", [RAFAH], answered) == RAFAH
    assert resolve_followup("anything else?", ["Who won the election?"]) == "Who won the election? Anything else?"


def test_what_was_shown_is_what_the_answers_since_the_last_new_question_cited():
    first = _answer(RAFAH, "we will do it alone", speaker="Benjamin Netanyahu")
    second = _answer(RAFAH, "we will enter Rafah", speaker="Benjamin Netanyahu")
    turns = [("who won?", _answer("who won?", "Viktor Yushchenko won.")), (RAFAH, first), ("what else?", second)]
    assert shown_before("anything more?", turns) == (*second.citations, *first.citations)
    assert shown_before("tell me more", turns[:2]) == first.citations
    assert shown_before("how many more people died?", turns) == ()  # a new question
    assert shown_before("what else did he say?", []) == ()


def test_when_was_that_asks_about_the_article_the_last_answer_cited_first():
    answer = Answer(RAFAH, citations=(Citation("rafah-story", 0, 5, "words"), Citation("other", 0, 5, "words")))
    assert dated_article("when was that?", answer) == ("rafah-story",)
    assert dated_article("And when did he say it?", answer) == ("rafah-story",)
    assert dated_article("when is the next election?", answer) == ()  # a question of its own
    interview = Citation("chomsky", 0, 5, "Noam Chomsky: words", title="Interview with Noam Chomsky")
    assert dated_article("When was the interview?", Answer("what did Chomsky say?", citations=(interview,))) == (
        "chomsky",
    )
    assert dated_article("why?", answer) == ()
    assert dated_article("when was that?", Answer(RAFAH)) == ()  # nothing was cited
