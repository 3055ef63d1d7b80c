"""Follow-up questions -> self-contained questions, borrowing the subject of the previous turn.

Three rules, tried in order, each visible in the question it returns (the app shows it):

1. "and about Gaza?", "what about the hostages?": the topic replaces the previous question's
   "about ..." (or is added to it): "What did Netanyahu say about Gaza?".
2. The first personal pronoun ("he", "she", "they", "his"...) is replaced by the previous
   question's subject, its first name-like phrase: "what else did he say?" -> "what else did
   Netanyahu say?"; when the previous answer quoted someone, that speaker ("what did the prime
   minister say?" answered with Tony Blair's words). After a "who" question the subject is the
   one its answer named instead:
   "who won the Ukrainian election?", answered with a passage naming Viktor Yushchenko, makes
   "what else did he say?" ask about Yushchenko, not "Ukrainian".
3. A question with no words of its own ("when was that?", "why?", "what else?"), or one that
   points back with "it" (or with "they" when rule 2 found no one) and has too few words to name
   anything else ("how big was it?", "how much did they pay?"), is
   searched together with the previous question: "What did Netanyahu say about Rafah? When was
   that?".

Anything else has its own subject ("and what did Blinken say?") and is searched as typed.

A question that asks for more ("what else did he say?", "tell me more") is answered past what the
user has read: `shown_before` gives the citations to leave out. "When was that?" asks about the
passage the last answer cited first: `dated_article` gives the article to answer from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from qa.text.question import parse_speaker_question
from qa.text.quotes.names import clean_name, is_org
from qa.types import Answer, Citation

# Words that carry no subject of their own: question words, auxiliaries, pronouns, connectives,
# and the verbs and nouns a follow-up uses to point back ("say", "happen", "time").
FUNCTION_WORDS = frozenset(
    """
a an the this that these those it its there here then now again also too else just only even
and or but so yet nor of in on at to for with by from about into over after before than as
what when where why who whom whose which how whatever whenever
is are was were be been being am do does did done doing have has had having
can could will would shall should may might must
i me my mine you your yours he him his she her hers we us our ours they them their theirs
himself herself itself themselves myself yourself
say says said saying tell tells told mean means meant think thinks thought talk talked
happen happens happened happening occur occurred start started begin began end ended
go goes went know knew anything something everything more most much many any some other
exactly really actually about then ok okay thanks please yes no not
time times date day year when place reason
""".split()
)
PERSONAL_PRONOUNS = frozenset("he she him her his hers they them their theirs".split())
THING_PRONOUNS = frozenset(("it", "its"))
POINTING_WORDS = 2  # content words a question that points back with "it" may have: "how big", "why fall"
POSSESSIVE_PRONOUNS = frozenset("his hers their theirs".split())
WHEN_FOLLOWUP = re.compile(r"^\W*(?:(?:and|so|but)\s+)?when\b", re.IGNORECASE)
# "what else", "anything else", "tell me more", "more?": not "how many more people died".
ASKS_FOR_MORE = re.compile(r"\belse\b|\b(?:what|anything|something|tell\s+me|say|said|any)\s+more\b|^\W*more\W*$", re.I)
WORD = re.compile(r"\w+(?:['’]\w+)*")
DESCRIBES_NEXT_NAME = re.compile(r"\s+(?P<role>[a-z][\w-]*)\s+[A-Z]")  # "Chilean| dictator Augusto"
POSSESSIVE_S = re.compile(r"['’]s$", re.IGNORECASE)
ABOUT_FOLLOWUP = re.compile(
    r"^\s*(?:(?:and|but|so|ok|okay)\b[\s,]*)?(?:(?:what|how)\s+)?about\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE
)
ABOUT_CLAUSE = re.compile(r"\s+about\s+.*$", re.IGNORECASE | re.DOTALL)
# "Who won ...?", "who did Blinken meet?": the answer names the person a pronoun after it means.
# "Who is Gusenbauer?" names the person itself.
WHO_QUESTION = re.compile(r"^\W*(?:and\s+|so\s+)?(?:who|whom)\b(?!\s+(?:is|was|are|were)\s+(?-i:[A-Z]))", re.IGNORECASE)


def resolve_followup(question: str, history: Sequence[str], last_answer: Answer | None = None) -> str:
    """The question to search for: `question`, completed from the conversation when it is a
    follow-up that leaves its subject out.

    Args:
        question: what the user typed.
        history: the questions searched so far in this conversation, oldest first. Pass the
            searched forms, so that a chain of follow-ups keeps its subject.
        last_answer: the answer to the last of them: whose words it quotes, or after a "who"
            question whom it names, is whom "he" or "she" means.

    Returns:
        The question actually searched; `question` itself when it needs no completing.
    """
    previous = next((q.strip() for q in reversed(history) if q.strip()), "")
    if not previous or not question.strip():
        return question
    last = _last_question(previous)
    about = ABOUT_FOLLOWUP.match(question)
    if about:
        stem = ABOUT_CLAUSE.sub("", last).rstrip(" ?.!")
        return f"{stem} about {about.group('topic')}?"
    if WHO_QUESTION.match(last):
        # The question's own names are what the person was asked about ("the Ukrainian election").
        subject = answer_subject(last_answer, known=content_words(previous)) if last_answer else ""
    else:  # whose words answered ("the prime minister" was answered with Tony Blair's), or were asked for
        asked = parse_speaker_question(last)
        subject = _speaker(last_answer) or (asked[0] if asked else find_subject(previous))
    if subject and any(w.lower() in PERSONAL_PRONOUNS for w in WORD.findall(question)):
        return _replace_pronouns(question, subject)
    if not content_words(question) and ASKS_FOR_MORE.search(question) and parse_speaker_question(last):
        return last  # "what else?" after "what did X say?" asks for X's other words (see shown_before)
    if not content_words(question) or _points_back(question):
        ending = "" if previous[-1] in "?.!" else "?"
        return f"{previous}{ending} {question.strip()[:1].upper()}{question.strip()[1:]}"
    return question


def shown_before(question: str, turns: Sequence[tuple[str, Answer]]) -> tuple[Citation, ...]:
    """What a question that asks for more asks past: the citations of the answers the user has
    read since the last question that did not ask for more, that one's included; () for others.

    Args:
        question: what the user typed.
        turns: (what was typed, its answer) so far, oldest first.
    """
    if not ASKS_FOR_MORE.search(question):
        return ()
    shown: list[Citation] = []
    for typed, answer in reversed(turns):
        shown.extend(answer.citations)
        if not ASKS_FOR_MORE.search(typed):
            break
    return tuple(shown)


def dated_article(question: str, last_answer: Answer | None) -> tuple[str, ...]:
    """The article a "when was that?" or "when did he say it?" asks about: the one the last
    answer cited first (another article on the topic dates something else). So does a "when"
    question whose words all name what that citation is about ("when was the interview?" after
    words cited from one). () for any other question, or one with words of its own ("when is
    the next election?")."""
    if not (last_answer and last_answer.citations and WHEN_FOLLOWUP.match(question)):
        return ()
    first = last_answer.citations[0]
    cited = {word.lower() for word in WORD.findall(f"{first.title} {first.text}")}
    return (first.article_id,) if all(word.lower() in cited for word in content_words(question)) else ()


def content_words(text: str) -> list[str]:
    """The words of `text` that can name a subject (not question words, pronouns, auxiliaries...)."""
    return [w for w in (_bare(m.group()) for m in WORD.finditer(text)) if w.lower() not in FUNCTION_WORDS]


def find_subject(question: str) -> str:
    """The first name-like phrase of `question`: a run of capitalised content words, else a run
    of any content words ("netanyahu" when typed in lower case); "" when there is none."""
    for capitalised_only in (True, False):
        for _, run in _runs(question, capitalised_only):
            return run
    return ""


def answer_subject(answer: Answer, known: Sequence[str] = ()) -> str:
    """The person an answer names, "" when none: the speaker of its first quote, else the first
    full name (two capitalised words or more: "Viktor Yushchenko") of its cited, then related,
    sentences that uses none of `known` (the question's own words: "Yasser Arafat" is not who
    attended Arafat's funeral). One capitalised word is as often a place, a month or a sentence's
    first word as a person (after a title it is one: "BP chief executive Lord Browne"), "Supreme
    Court" is no one, and in "Former Chilean dictator Augusto Pinochet" the words before the role
    describe the name after it."""
    if speaker := _speaker(answer):
        return speaker
    known_words = {w.lower() for w in known}
    for citation in (*answer.citations, *answer.related):
        for end, run in _runs(citation.text, capitalised_only=True):
            describes = DESCRIBES_NEXT_NAME.match(citation.text, end)
            if describes and describes["role"] not in FUNCTION_WORDS:  # "Maathai from Kenya" is a name
                continue
            name, titled = clean_name(run)  # "Prime Minister Viktor Yanukovich" -> "Viktor Yanukovich"
            words = name.split()
            while words and words[0].lower() in known_words:  # "(Secretary of) State Antony Blinken"
                words = words[1:]
            name = " ".join(words)
            # One word is a name after a title ("Lord Browne"), else as often a place or a month.
            named = len(words) > 1 or (titled and len(words) == 1 and words == run.split()[-1:])
            if named and not is_org(name) and not known_words.intersection(w.lower() for w in words):
                return name
    return ""


def _points_back(question: str) -> bool:
    """Whether "it" in the question is the previous question's subject: "how big was it?" names
    nothing else; "is it true that the Harrow bridge reopened?" does. So is "they" or "he" when
    no person was found to put in its place ("who bought Yuganskneftegaz?", answered with a
    company, then "how much did they pay?")."""
    words = content_words(question)
    return (
        any(w.lower() in THING_PRONOUNS | PERSONAL_PRONOUNS for w in WORD.findall(question))
        and len(words) <= POINTING_WORDS
        and not any(w[:1].isupper() for w in words)
    )


def _speaker(answer: Answer | None) -> str:
    """Whose words the answer quotes first, "" when it quotes no one."""
    return next((c.speaker for c in answer.citations if c.speaker), "") if answer else ""


def _runs(text: str, capitalised_only: bool) -> Iterator[tuple[int, str]]:
    """Runs of content words (capitalised ones only, if asked) and where each ends; a
    possessive ends a run ("Netanyahu's office")."""
    run: list[str] = []
    end = 0
    for match in WORD.finditer(text):
        word = _bare(match.group())
        if word.lower() not in FUNCTION_WORDS and (word[:1].isupper() or not capitalised_only):
            run.append(word)
            end = match.end()
            if word == match.group():
                continue
        if run:
            yield end, " ".join(run)
            run = []
    if run:
        yield end, " ".join(run)


def _replace_pronouns(question: str, subject: str) -> str:
    # Only the first: in "what did they tell her?" the second pronoun is someone else.
    words = list(WORD.finditer(question))
    i, match = next((i, m) for i, m in enumerate(words) if m.group().lower() in PERSONAL_PRONOUNS)
    word = match.group().lower()
    following = words[i + 1].group().lower() if i + 1 < len(words) else ""
    # "her" is possessive before a noun ("her plan") and an object otherwise ("told her").
    possessive = word in POSSESSIVE_PRONOUNS or (word == "her" and following not in ("", *FUNCTION_WORDS))
    name = f"{subject}'s" if possessive else subject
    return question[: match.start()] + name + question[match.end() :]


def _last_question(text: str) -> str:
    # A completed follow-up reads "What did X say about Rafah? When was that?": keep its first part.
    return re.split(r"(?<=[?])\s+", text.strip())[0]


def _bare(word: str) -> str:
    return POSSESSIVE_S.sub("", word)
