"""qa.text.quotes: who said what, on the Rafah article, real Wikinews articles and generated text."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.text.question import parse_speaker_question
from qa.text.quotes import find_quotes, speaker_key, speaker_matches
from qa.types import Quote

DATA = Path(__file__).parent / "data"
RAFAH = (DATA / "rafah.txt").read_text(encoding="utf-8")
# Real Wikinews articles (CC BY 2.5 or public domain; each record keeps its url and licence).
ARTICLES = {
    record["id"]: record["text"]
    for record in map(json.loads, (DATA / "quote_articles.jsonl").read_text(encoding="utf-8").splitlines())
}

# Written for these tests: patterns the Wikinews sample lacks.
PORT_HARROW = (
    "Prime Minister Jane Okafor visited the flooded district of Port Harrow on Monday. Residents "
    "gathered outside the town hall as she arrived.\n"
    "“We will rebuild every home that was lost,” said the prime minister. "
    "“Nobody will be left behind.”\n"
    "Opposition leader Tom Barrett was less convinced. “These promises have been made before,” "
    "Barrett told reporters.\n"
)
SPORT_AND_BUSINESS = (
    "Striker Marco Vidal scored twice as Riverside beat Harbour City 3-1 on Saturday. "
    '"I owe this to the fans," the 29-year-old said after the match.\n\n'
    "Northwind Airlines said on Tuesday it would cut 300 jobs. The company said the cuts were "
    "needed to reduce costs.\n"
)


def article(fragment: str) -> str:
    [text] = [text for article_id, text in ARTICLES.items() if fragment in article_id]
    return text


def quote_starting(quotes: list[Quote], words: str) -> Quote:
    found = [q for q in quotes if q.text.startswith(words)]
    assert len(found) == 1, f"expected one quote starting {words!r}, got {[q.text for q in quotes]}"
    return found[0]


def assert_spans(text: str, quotes: list[Quote]) -> None:
    """The offset equation, and quotes in order without overlaps."""
    for q in quotes:
        assert text[q.start : q.end] == q.text
        assert q.text.strip() == q.text and q.text
        assert q.speaker and q.cue and q.speaker_key == speaker_key(q.speaker)
    for a, b in itertools.pairwise(quotes):
        assert a.end <= b.start


# The Rafah article.


def test_rafah_reported_speech_is_netanyahu_from_after_that_to_the_sentence_end():
    q = quote_starting(find_quotes("rafah", RAFAH), "Israel, if required")
    assert q.text == (
        "Israel, if required, will enter into the southern Gaza city of Rafah even "
        "without the backing of the United States"
    )
    assert (q.speaker, q.cue) == ("Benjamin Netanyahu", "said")


def test_rafah_direct_quote_is_the_words_inside_the_marks_without_the_trailing_comma():
    q = quote_starting(find_quotes("rafah", RAFAH), "I told him")
    assert q.text == (
        "I told him that I hope we will do it with the support of the US, but if we have to – we will do it alone"
    )
    assert (q.speaker, q.cue) == ("Benjamin Netanyahu", "said")  # not Reuters, which reported it


def test_rafah_blinken_is_resolved_to_his_full_name():
    q = quote_starting(find_quotes("rafah", RAFAH), "There’s a clear consensus")
    assert q.text == "There’s a clear consensus around a number of shared priorities."
    assert (q.speaker, q.cue) == ("Antony Blinken", "stated")


def test_rafah_according_to_the_health_ministry():
    q = quote_starting(find_quotes("rafah", RAFAH), "There is also a substantial toll")
    assert (q.speaker, q.cue) == ("Health Ministry", "according to")  # "Hamas-run" describes it
    assert q.text.endswith("counteroffensive in Gaza")


def test_rafah_quotes_are_findable_by_the_names_people_ask_with():
    quotes = find_quotes("rafah", RAFAH)
    for name in ("Netanyahu", "netanyahu", "Benjamin Netanyahu", "Prime Minister Benjamin Netanyahu"):
        assert len([q for q in quotes if speaker_matches(name, q.speaker)]) >= 2
    assert [q.speaker for q in quotes if speaker_matches("Blinken", q.speaker)] == ["Antony Blinken"]


# Real articles: one case per pattern.


@pytest.mark.parametrize(
    ("fragment", "words", "speaker", "cue"),
    [
        # Cue before and after the marks, and a quotation that goes on after its attribution.
        ("nobel-peace-prize", "If you want to save the environment", "Wangari Maathai", "told"),
        ("nobel-peace-prize", "The government thinks that by threatening me", "Wangari Maathai", "said"),
        ("nobel-peace-prize", "But I have an elephant's skin", "Wangari Maathai", "said"),
        # "said former New Zealand coach and former test player John Bracewell"; then "he went on to say".
        ("australians-talk-tough", "It's just history repeating itself", "John Bracewell", "said"),
        ("australians-talk-tough", "They just have a set of lines", "John Bracewell", "went on to say"),
        # Reported speech after "said that" and "cautions that"; "said X, head of ...".
        ("un-optimistic-on-tsunami", "he is increasingly optimistic", "Jan Egeland", "said"),
        ("un-optimistic-on-tsunami", "there are still major problems", "Jan Egeland", "cautions"),
        ("un-optimistic-on-tsunami", "We are relying on the helicopter system", "Michael Elmquist", "said"),
        (
            "un-optimistic-on-tsunami",
            "some helicopters are unable to touch down",
            "World Food Programme",
            "According to",
        ),
        # Pronouns: "Mr. Yanukovich, vowed ... “...,” he said"; "Bush said ... “...,” he said".
        ("yushchenko-claims", "I will never recognize this defeat", "Viktor Yanukovich", "said"),
        ("us-president-bush-visits-canada", "I want to thank the Canadian people", "George W. Bush", "said"),
        # An apposition between name and verb, a title before the name, an organisation as source.
        ("mecca-crane", "Had it happened an hour later", "Khaled Al-Maeena", "said"),
        ("mecca-crane", "Had it happened five hours earlier", "Khaled Al-Maeena", "said"),
        ("mecca-crane", "All those who were wounded", "Suleiman al-Amr", "said"),
        ("mecca-crane", "A storm yesterday caused a crane", "Saudi Arabia's Civil Defense Authority", "according to"),
        # "said Ambassador Mohib." then a paragraph that is only a quotation: the same speaker.
        ("after-visa-snags", "Seventeen years ago", "Hamdullah Mohib", "said"),
        ("after-visa-snags", "They represent our aspirations", "Hamdullah Mohib", "said"),
        ("after-visa-snags", "We are so interested because", "Rodaba Noori", "told"),
        # A quotation left open at a paragraph's end and going on in the next; "She continued:".
        ("uk-asylum-process", "People fleeing desperate circumstances", "Caitlin Boswell", "stating"),
        ("uk-asylum-process", "No one’s right to refuge", "Caitlin Boswell", "stating"),
        ("uk-asylum-process", "Labour has a common-sense plan", "Yvette Cooper", "continued"),
        ("uk-asylum-process", "It's clear that we have", "Suella Braverman", "told"),
        ("mst-attack", "members of the Brazilian Landless Workers", "Agência Estado", "According to"),
        # "..., it added": an organisation quoted before.
        ("north-korea-puts", "Foolhardy provocation deserves harsh punishment", "KCNA", "added"),
        ("americans-contribute", "America's contributions", "Jan Egeland", "adding"),
    ],
)
def test_real_article_quote_has_its_speaker(fragment, words, speaker, cue):
    q = quote_starting(find_quotes(fragment, article(fragment)), words)
    assert (q.speaker, q.cue) == (speaker, cue)


@pytest.mark.parametrize(
    ("fragment", "words"),
    [
        ("cuba-erects", "fascists"),  # the word on a billboard
        ("cuba-erects", "Made in USA"),
        ("chinese-submarine", "showing off"),  # a scare quote
        ("australians-talk-tough", "a yawn"),  # "labelling the comments as"
        ("after-visa-snags", "courageous achievement"),  # an award's name
        ("after-visa-snags", "Robogee"),
        ("mst-attack", "Coco"),  # a nickname
    ],
)
def test_a_quotation_with_no_speaker_is_not_attributed(fragment, words):
    text = article(fragment)
    assert words in text
    assert not [q for q in find_quotes(fragment, text) if words in q.text]


def test_every_quote_in_the_real_articles_satisfies_the_offset_equation():
    for article_id, text in [*ARTICLES.items(), ("rafah", RAFAH)]:
        quotes = find_quotes(article_id, text)
        assert_spans(text, quotes)
        assert all(q.article_id == article_id for q in quotes)


# Written examples.


def test_role_noun_resolves_to_the_person_introduced_with_that_role():
    quotes = find_quotes("harrow", PORT_HARROW)
    rebuild = quote_starting(quotes, "We will rebuild every home")
    assert (rebuild.speaker, rebuild.cue) == ("Jane Okafor", "said")
    assert quote_starting(quotes, "Nobody will be left behind.").speaker == "Jane Okafor"
    barrett = quote_starting(quotes, "These promises have been made before")
    assert (barrett.speaker, barrett.cue) == ("Tom Barrett", "told")


def test_age_noun_and_company_noun_resolve_to_the_latest_person_and_organisation():
    quotes = find_quotes("mixed", SPORT_AND_BUSINESS)
    assert quote_starting(quotes, "I owe this to the fans").speaker == "Marco Vidal"
    assert quote_starting(quotes, "it would cut 300 jobs").speaker == "Northwind Airlines"
    assert quote_starting(quotes, "the cuts were needed").speaker == "Northwind Airlines"


def test_a_pronoun_with_no_one_named_before_is_not_attributed():
    assert find_quotes("x", "“It was a long night,” he said.") == []
    [q] = find_quotes("x", "Anna Berg won the race. “It was a long night,” she said.")
    assert (q.text, q.speaker) == ("It was a long night", "Anna Berg")


# Wire copy as Reuters sent it in 1987: lines wrapped at about 65 columns, paragraphs indented,
# company names in angle brackets and tickers in parentheses.
WIRE = """The <Harbour Mills Ltd> (HML) board
said it had accepted a takeover offer from <Calder Group>, a
textile maker based in Leeds.
    The offer values the company at 40 mln stg and no rival bid
is expected, it said in a statement.
    Diplomats said the merger would need approval in Brussels.
They added that the review could take three months.
    "We are delighted with the price," Harbour Mills chairman
Peter Lund said.
"""


def test_hard_wrapped_wire_copy_with_company_markup():
    quotes = find_quotes("wire", WIRE)
    assert_spans(WIRE, quotes)
    accepted = quote_starting(quotes, "it had accepted a takeover offer")
    assert accepted.speaker == "Harbour Mills Ltd"
    assert "\n" in accepted.text  # the clause runs on over the wrapped line
    assert quote_starting(quotes, "The offer values the company").speaker == "Harbour Mills Ltd"
    assert quote_starting(quotes, "We are delighted with the price").speaker == "Peter Lund"
    # Unnamed diplomats, and "they" after them, are not given to the company.
    assert not [q for q in quotes if "Brussels" in q.text or "three months" in q.text]


def test_quoted_as_saying_names_the_one_quoted():
    text = (
        "Chief executive Ruth Adler was quoted by the Daily Courier as saying the airline could no "
        'longer afford its London routes. "We have to cut costs," the paper quoted Ms Adler as saying.'
    )
    quotes = find_quotes("x", text)
    assert_spans(text, quotes)
    assert quote_starting(quotes, "the airline could no longer").speaker == "Ruth Adler"
    assert quote_starting(quotes, "We have to cut costs").speaker == "Ruth Adler"


def test_the_company_spokesman_is_the_spokesman_named_before():
    text = (
        'Orbis spokesman Dan Reyes told Reuters: "No decision has been made." '
        "The trade paper Motor Weekly reported that Orbis would build a plant in Ohio. "
        'The Orbis spokesman said, "The report is speculation." '
        "The paper said the plant would employ 2,000 people."
    )
    quotes = find_quotes("x", text)
    assert quote_starting(quotes, "The report is speculation.").speaker == "Dan Reyes"
    assert quote_starting(quotes, "the plant would employ").speaker == "Motor Weekly"


WIRE_SPOKESMAN = """Talbot Aero Corp. <TLB> is investigating why a wing bolt cracked on one of
Nordair's cargo jets, a spokesman for the aircraft maker said.
    "We are aware of the report and have asked operators to check
the bolts," said the spokesman.
    A Nordair spokesman in Oslo said mechanics found the crack during a routine
inspection.
    Kestrel Shipping plans to sell two tankers by June, company officials
said. A U.S. official said the sale needed no approval.
"""


def test_a_wire_story_speaks_for_the_organisation_it_opens_with():
    quotes = find_quotes("wire", WIRE_SPOKESMAN)
    assert_spans(WIRE_SPOKESMAN, quotes)
    # "a spokesman for the aircraft maker" and "the spokesman" are Talbot Aero Corp.'s (the
    # ticker is not part of its name); "A Nordair spokesman in Oslo" is Nordair's.
    assert quote_starting(quotes, "Talbot Aero Corp").speaker == "Talbot Aero Corp."
    assert quote_starting(quotes, "We are aware of the report").speaker == "Talbot Aero Corp."
    assert quote_starting(quotes, "mechanics found the crack").speaker == "Nordair"
    assert quote_starting(quotes, "Kestrel Shipping plans").speaker == "Kestrel Shipping"
    # "A U.S. official" names no one.
    assert not [q for q in quotes if "approval" in q.text]


@pytest.mark.parametrize(
    "text, words, speaker",
    [
        pytest.param(
            "Coach Dan Ferris has signed a new contract. Winger Luis Ortega criticised the fans last "
            'week. "I\'ve had a quiet word with Luis about it," he told the club website.',
            "I've had a quiet word",
            "Dan Ferris",
            id="he-is-not-someone-his-own-quotation-names",
        ),
        pytest.param(
            "Anna Kovac, 19, landed in Split on Sunday after flying solo around the world, beating a "
            'record held by her brother Marek Kovac. "It was the hardest thing I have done," Kovac '
            "told reporters.",
            "It was the hardest thing",
            "Anna Kovac",
            id="a-surname-is-the-person-named-first",
        ),
    ],
)
def test_who_a_pronoun_or_a_surname_stands_for(text, words, speaker):
    quotes = find_quotes("x", text)
    assert_spans(text, quotes)
    assert quote_starting(quotes, words).speaker == speaker


@pytest.mark.parametrize(
    "text, speakers",
    [
        pytest.param(
            '"It mattered to me that my staff stay," Reid said on Thursday ahead of signing his new deal.',
            {"It mattered to me that my staff stay": "Reid"},
            id="what-follows-a-quotation-s-cue-says-when",
        ),
        pytest.param(
            "Her son, Kyle Mendes, shared the news. “She was a light to us all,” Mendes said in a "
            "statement shared to her official site on Sunday. “Hers was a life well lived.”\n\n"
            "Lopes died from natural causes, he said.",
            {
                "She was a light": "Kyle Mendes",
                "Hers was a life": "Kyle Mendes",
                "Lopes died from natural causes": "Kyle Mendes",
            },
            id="a-statement-after-a-long-attribution-and-he-is-not-whom-the-clause-names",
        ),
        pytest.param(
            '"We are in talks about the refinery," said Petrobras chairman Joao Silva.',
            {"We are in talks": "Joao Silva"},
            id="said-organisation-role-name",
        ),
        pytest.param(
            "Siam Motors holds the licence. Officials of Siam Motors said Ford currently buys the "
            "same models from Japan. They said Ford will import the cars from Thailand next year.",
            {"Ford currently buys": "Siam Motors", "Ford will import": "Siam Motors"},
            id="officials-of-an-organisation-and-they",
        ),
        pytest.param(
            "Park's sister, Park Min Ji, said the leader himself had suffered from a fever, KCNA reported.",
            {"the leader himself had suffered": "Park Min Ji"},
            id="a-family-apposition-names-the-speaker",
        ),
        pytest.param(
            "But the foreign secretary, Jack Straw, told the Commons foreign affairs committee: "
            '"Our position is very clear: it is not for negotiation."',
            {"Our position is very clear": "Jack Straw"},
            id="told-whom-then-the-quotation",
        ),
        pytest.param(
            "Harris pleaded guilty, stating that he had travelled to meet the boy.\n\n"
            "“Cheer” follows the cheer team from Navarro College in Texas.",
            {"he had travelled": "Harris"},
            id="a-title-opening-the-next-paragraph-is-no-quotation",
        ),
        pytest.param(
            "County Bank is the other co-lead manager. The proceeds will be used to fund short-term "
            "borrowings, Storehouse Plc corporate treasurer Lance Moir told Reuters. The issue was "
            "aimed at continental investors, he added.",
            {"The proceeds will be used": "Lance Moir", "The issue was aimed": "Lance Moir"},
            id="a-treasurer-is-a-title",
        ),
        pytest.param(
            "Senate Republican leader Robert Dole spoke on Sunday. Appearing on the NBC News program, "
            '"Meet the Press," the Kansas senator said the nomination "could be in some difficulty."',
            {"the nomination": "Robert Dole"},
            id="a-clause-after-a-quoted-title-before-the-speaker",
        ),
        pytest.param(
            "Speaking to the Radio Times, comedian Ronnie Corbett said there is too much bad language on TV. "
            '"You get fed up watching shows with not much care and love," he complained.',
            {"there is too much": "Ronnie Corbett", "You get fed up": "Ronnie Corbett"},
            id="a-quotation-with-its-cue-after-it-goes-on",
        ),
    ],
)
def test_what_is_said_and_by_whom_around_an_attribution(text, speakers):
    quotes = find_quotes("x", text)
    assert_spans(text, quotes)
    assert {q.text[:40]: q.speaker for q in quotes} == {
        quote_starting(quotes, words).text[:40]: speaker for words, speaker in speakers.items()
    }


def test_the_report_and_the_release_are_the_organisation_that_spoke_of_them():
    text = (
        "Household debt rose by $300 billion, the Fenwick Institute said in its quarterly report. "
        "Card balances grew fastest, the Census Office said separately. "
        '"Borrowers in poorer areas are starting to struggle," the report said.\n\n'
        "Marlow College said on Tuesday it would end student loans. "
        '"No student will graduate in debt," the release said. '
        '"I wish this had come sooner," Marlow graduate Ruth Obi said in a statement.'
    )
    quotes = find_quotes("x", text)
    assert quote_starting(quotes, "Borrowers in poorer areas").speaker == "Fenwick Institute"
    assert quote_starting(quotes, "No student will graduate").speaker == "Marlow College"
    assert quote_starting(quotes, "I wish this had come sooner").speaker == "Ruth Obi"


def test_an_institution_noun_needs_that_institution_named():
    text = (
        "Greenfield Farms said it had complied with the law. "
        "The government said all land titles would be examined within a month."
    )
    quotes = find_quotes("x", text)
    assert quote_starting(quotes, "it had complied").speaker == "Greenfield Farms"
    assert not [q for q in quotes if "land titles" in q.text]  # not Greenfield Farms'


def test_said_opening_a_sentence_and_a_possessive_subject():
    text = (
        'Said Harbour assistant coach Tom Reid: "The squad trained well this week." '
        "Matt Doyle's side has lost twice, but Reid insisted the visitors would be dangerous. "
        '"They are a hard side to beat," he said.'
    )
    quotes = find_quotes("x", text)
    assert quote_starting(quotes, "The squad trained well").speaker == "Tom Reid"
    assert quote_starting(quotes, "They are a hard side").speaker == "Tom Reid"  # not Matt Doyle


def test_alleged_is_a_verb_of_saying():
    text = "Nora Velez alleged that the landlord ignored repeated complaints about damp."
    [quote] = find_quotes("x", text)
    assert (quote.speaker, quote.cue) == ("Nora Velez", "alleged")


def test_scare_quotes_and_titles_alone_give_no_quotes():
    text = 'The so-called "peace dividend" never came. She watched "Casablanca" twice.'
    assert find_quotes("x", text) == []


# Matching names and questions.


@pytest.mark.parametrize(
    "query",
    [
        "Netanyahu",
        "netanyahu",
        "Benjamin Netanyahu",
        "Prime Minister Benjamin Netanyahu",
        "Benjamin",
        "NETANYAHU",
        "Netanyahu’s",
    ],
)
def test_names_that_match_netanyahu(query):
    assert speaker_matches(query, "Benjamin Netanyahu")


@pytest.mark.parametrize("query", ["Blinken", "Benjamin Gantz", "", "the prime minister"])
def test_names_that_do_not_match_netanyahu(query):
    assert not speaker_matches(query, "Benjamin Netanyahu")


def test_speaker_key_drops_titles_accents_and_possessives():
    assert speaker_key("Prime Minister Benjamin Netanyahu") == "benjamin netanyahu"
    assert speaker_key("Mr. Blair’s") == "blair"
    assert speaker_key("José Dirceu") == "jose dirceu"
    assert speaker_matches("Agencia Estado", "Agência Estado")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Netanyahu say about Rafah?", ("Netanyahu", "Rafah")),
        ("what did Benjamin Netanyahu say?", ("Benjamin Netanyahu", "")),
        ("What has Blinken said on the ceasefire?", ("Blinken", "the ceasefire")),
        ("What does the Health Ministry say about casualties?", ("the Health Ministry", "casualties")),
        ("What did Netanyahu tell Blinken?", ("Netanyahu", "")),
        ("What did Netanyahu tell reporters about Rafah?", ("Netanyahu", "Rafah")),
        ("Netanyahu's comments on Rafah", ("Netanyahu", "Rafah")),
        ("quotes from Antony Blinken", ("Antony Blinken", "")),
        ("Quotes from Blinken about Egypt?", ("Blinken", "Egypt")),
        ("what else did Netanyahu say?", ("Netanyahu", "")),  # a follow-up
        ("and what did Blinken say?", ("Blinken", "")),
        ("So, what did Blinken say about Gaza?", ("Blinken", "Gaza")),
    ],
)
def test_parse_speaker_question(question, expected):
    assert parse_speaker_question(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",
        "Who said there is a clear consensus?",
        "How many people died in Gaza?",
        "what did it say about Rafah",
        "what do the articles say about Iraq?",  # a story question
        "",
    ],
)
def test_parse_speaker_question_rejects_other_questions(question):
    assert parse_speaker_question(question) is None


# Generated text: offsets hold and nothing raises, whatever the input.

PIECES = st.sampled_from(
    [
        '"',
        "“",
        "”",
        " ",
        "\n",
        "\n\n",
        ", ",
        ". ",
        ": ",
        "said",
        " he said",
        " she told reporters",
        "Smith",
        "John Smith",
        "Prime Minister ",
        "Mr. ",
        "U.S. ",
        "the minister",
        " according to ",
        "According to ",
        " that ",
        "’s",
        "it",
        "said, “",
        ",” said ",
        "We will win.",
        "é",
        "–",
        "\u00a0",
        "Hwang Dong-hyuk",
        "al-Amr",
        ", who said ",
        "the 45-year-old",
        "Ministry of Health",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, repeat=st.integers(min_value=1, max_value=3))
def test_generated_text_keeps_the_offset_equation(text, repeat):
    text = text * repeat  # repeated substrings: offsets must come from positions, not searches
    assert_spans(text, find_quotes("gen", text))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_unicode_never_raises(text):
    assert_spans(text, find_quotes("gen", text))
