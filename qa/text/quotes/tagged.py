"""Reading a tagger's Source, Cue and Content spans as a statement: whom the source names, and
whether the cue asserts the content. Rules over plain strings; `qa.ingest.attribution` applies
them to what its tagger marks (docs/MODEL_CARD.md says which mistakes each one removed)."""

from __future__ import annotations

import re

from qa.text.quotes.lexicon import GROUPS, NAME_RUN, ORG_ROLES, ROLES, inflections
from qa.text.quotes.speakers import Speaker, name_speaker

Span = tuple[str, int, int]  # (kind, start, end) of a tagged stretch
WORD = re.compile(r"[\w’']+")
PRONOUN_SOURCES = {"he", "she", "they", "it"}
APPOSITION = re.compile(r",|\(|\s[-–—]\s|\s(?:who|whose|which)\s")  # where a source's name ends
# The lexicon's nouns for groups, roles and organisations: capitalised at a sentence's start
# ("Unions said", "Officials say") one is no name. Trailing s's are dropped on both sides of the
# comparison, which matches singulars with plurals.
COMMON_HEADS = frozenset(w.rstrip("s") for w in GROUPS | ORG_ROLES | ROLES)
NEGATION = re.compile(r"\b(?:not|n[’']t|never|no|refused to|declined to)\b(?:\s+[\w’']+){0,2}\s*$")
NEGATION_REACH = 30  # characters before a cue searched for a negation: "did not immediately say"
TOPIC_PREPOSITIONS = frozenset({"of", "to", "toward", "towards", "at", "about", "for", "on", "with"})
# A name after a common noun and one of these words only qualifies that noun: "Most Democrats in
# the CBS/YouGov poll", "Experts on North Korea", "polls conducted since the ruling overturning Roe
# v. Wade". "for", "at", "of", "from" and "by" are left out: "a reporter for USA Today", "officials
# at the Pentagon" and "an analysis released by the Department" speak for the organisation.
POST_MODIFIER = re.compile(r"\b(?P<noun>[\w’']+)\s+(?:in|since|on|over|about|after|before)\s")
# Heads that a name before them only describes: "the Italian firm" is not Italian and "the
# 22-cap Dragons man" not the Dragons, while "the Trump campaign" and "Pagliano's lawyer" speak for
# Trump and Pagliano.
DESCRIBED_HEADS = frozenset((ORG_ROLES - ROLES) | {"man", "woman", "men", "women"})
DETERMINERS = frozenset(
    "a an the his her its their our my your this these those multiple several some many all any no".split()
)
AUXILIARIES = frozenset(
    "is are was were be been am will would can could shall should may might must has have had do does did".split()
)
# Cues that take a clause, with or without "that" ("claims the sprinter took drugs"), in their
# forms: their object is what was said, whatever its first word.
CLAUSE_CUES = frozenset(
    form
    for lemma in """say tell add claim insist argue state explain note allege admit predict estimate maintain
    assert contend stress believe think write agree conclude reckon fear hope expect""".split()
    for form in inflections(lemma)
) | {"said", "told", "thought", "wrote", "written", "agreeing"}
# Past forms without "-ed" that make a clause of a noun phrase: "the sprinter took drugs".
IRREGULAR_PASTS = frozenset(
    """took made went won lost gave got ran saw knew began became fell rose paid sold bought left met sent
    spent built held kept brought came found chose drove grew hit hurt led let put quit set shut stood struck
    threw told thought understood wrote""".split()
)
RELATIVE = re.compile(r",|\s(?:which|who|whom|whose|that|where|when)\s")


def asserts(text: str, cue: Span, content: Span, quoted: bool) -> bool:
    """Whether the cue asserts its content: not denied a voice ("did not say", "refused to
    confirm", "made no mention of") and, unless the content is quoted, not a topic that a
    preposition introduces ("spoke of his dislike", "pointed to plans", "hit back at the claim")."""
    before = text[max(0, cue[1] - NEGATION_REACH) : cue[1]].lower()
    if NEGATION.search(before + " " + text[cue[1] : cue[2]].lower()):
        return False
    if quoted or content[1] < cue[2]:
        return True
    gap = WORD.findall(text[cue[1] : content[1]].lower())  # "spoke of": the cue may hold it
    first = WORD.findall(text[content[1] : content[1] + 12].lower())[:1]
    return not (set(gap[-1:] + first) & TOPIC_PREPOSITIONS)


def names_an_object(text: str, cue: Span, content: Span) -> bool:
    """Whether an unquoted content right after its cue is the cue's object, a noun phrase, not a
    clause: a determiner first and no verb of its own before any relative clause ("denied
    multiple charges of fraud", "announced his plan to ..., which includes ...", "reported the
    number of people with fever"). It names what was said, not the words ("Ebbers: multiple
    charges" would misquote him). "Say", "tell" and "add" take a clause ("said the talks failed")."""
    cue_words = WORD.findall(text[cue[1] : cue[2]].lower())
    if content[1] < cue[2] or text[cue[2] : content[1]].strip() or cue_words[-1:][0] in CLAUSE_CUES:
        return False
    words = WORD.findall(RELATIVE.split(text[content[1] : content[2]], maxsplit=1)[0].lower())
    if not words or words[0] not in DETERMINERS:
        return False
    verbs = (
        w in AUXILIARIES
        or w in IRREGULAR_PASTS
        or (w.endswith("ed") and len(w) > 3)
        or (w.endswith("s") and after == "to")  # "his side needs to show", "the firm plans to"
        for w, after in zip(words[1:], [*words[2:], ""], strict=True)
    )
    return not any(verbs)


def source_speaker(masked: str, start: int, end: int) -> Speaker | None:
    """The tagged source masked[start:end] as the rules' speaker phrase: a name ("Clinton
    campaign spokesman Brian Fallon" -> "Brian Fallon", "David Cohen, a professor at the
    University of Akron" -> "David Cohen"), else a pronoun, a group, or a role ("the campaign")."""
    cut = APPOSITION.search(masked, start, end)
    head_end = cut.start() if cut and cut.start() > start else end
    phrase = masked[start:head_end]
    words = WORD.findall(phrase.lower())
    if not words:
        return None
    if len(words) == 1 and words[0] in PRONOUN_SOURCES:
        return Speaker("pronoun", start, head_end, phrase)
    # A name that heads the phrase comes first, then one in apposition after a description ("Fellow
    # sports icon, Earvin Johnson, said"), then a name that describes the head ("the Trump
    # campaign"). Capitalised common words are no names: "Unions said", "Local press reported".
    heads: list[re.Match] = []
    modifiers: list[re.Match] = []
    for first, last in ((start, head_end), (head_end, end)):
        for run in reversed(list(NAME_RUN.finditer(masked, first, last))):
            single = " " not in run.group()
            described = bool(WORD.search(masked, run.end(), last))
            if single and run.group().lower().rstrip("s") in COMMON_HEADS:
                continue
            if single and described and _opens_sentence(masked, run.start()):
                continue
            if _post_modifies(masked[first : run.start()]):
                continue
            (modifiers if described else heads).append(run)
    if words[-1] in DESCRIBED_HEADS:
        modifiers = []
    for run in heads + [m for m in modifiers if m.start() < head_end]:
        named = name_speaker(masked, run.start(), run.end())
        if named:
            return named
    end = head_end
    if words[0] in ("a", "an") and not words[-1].startswith("spokes"):
        # An indefinite phrase brings in someone new ("a senior administration official"), never
        # a person named before; the rules leave such statements out too. A spokesman is the
        # voice of whoever spoke last ("The Vestey Group said ... But a spokesman added").
        return None
    if words[-1] in GROUPS:
        return Speaker("group", start, end, phrase)
    if words[-1] in ROLES or words[-1] in ORG_ROLES or words[0] in ("the", "his", "her", "their"):
        return Speaker("role", start, end, phrase)
    return None


def _post_modifies(before: str) -> bool:
    """Whether a name after `before` sits in what qualifies a common noun ("Most Democrats in the
    CBS/YouGov poll"), not in the name heading the phrase ("President-elect Donald Trump")."""
    return any(m.group("noun").islower() or m.group("noun").lower() in GROUPS for m in POST_MODIFIER.finditer(before))


def _opens_sentence(text: str, at: int) -> bool:
    """Whether the word at `at` is the first of its sentence (capitalised whatever it is)."""
    before = text[:at].rstrip(" \t\"“‘'")
    return not before or before[-1] in ".!?\n"
