"""Speaker names: titles stripped, keys for matching, organisations told from people."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from qa.text.quotes.lexicon import APOSTROPHE_S_END, GROUPS, LEADING, NAME_TITLES, ORG_WORDS, ROLES, TITLES

KEY_WORD = re.compile(r"[\w'-]+")
STRAIGHT_APOSTROPHE_S = re.compile(r"'s\b")
DESCRIBING_COMPOUND = re.compile(r"-(?:nominated|winning|based|born|led|run|owned|backed|funded|bound)$")
PRONOUNS = {"he", "she", "they", "him", "her", "them", "his", "its"}
POSSESSIVE_END = re.compile(r"['’]s$|s['’]$")  # "the BBC's", "Matt Williams'"


@lru_cache(maxsize=4096)
def speaker_key(name: str) -> str:
    """Normalise a speaker name for matching.

    Args:
        name: a name as written, e.g. "Prime Minister Benjamin Netanyahu’s".

    Returns:
        Casefolded words without accents, titles or possessives: "benjamin netanyahu".
    """
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    words = [w.strip("'-") for w in KEY_WORD.findall(STRAIGHT_APOSTROPHE_S.sub("", plain.replace("’", "'")))]
    return " ".join(w for w in words if w and w not in TITLES and w != "the")  # "Ahmed 'Mido' Hossam"


def name_words(speaker: str) -> set[str]:
    """The words of a speaker's proper name that a text naming them must use: capitalised, of 3
    letters or more, keyed as speaker_key does. Empty for a role or a pronoun ("the minister",
    "he"), and for initials ("UN", which an article may write "U.N."): nothing to look for."""
    words = {speaker_key(word) for word in speaker.split() if word[:1].isupper()}
    return {word for word in words if len(word) >= 3 and word not in PRONOUNS}


def speaker_matches(query_name: str, speaker: str) -> bool:
    """Whether a name asked about refers to a quote's speaker.

    Args:
        query_name: the name in a question: "Netanyahu", "prime minister benjamin netanyahu".
        speaker: a Quote's speaker, e.g. "Benjamin Netanyahu".

    Returns:
        True when the words of one name are all among the words of the other, so a last name
        or a first name alone matches the full name, and a different surname does not.
    """
    query, said = set(speaker_key(query_name).split()), set(speaker_key(speaker).split())
    return bool(query and said) and (query <= said or said <= query)


def clean_name(run: str) -> tuple[str, bool]:
    """A name without its titles: "Israeli Prime Minister Benjamin Netanyahu" -> "Benjamin Netanyahu".

    Returns the name ("" when the run is only titles) and whether a title was removed.
    """
    words = run.replace("_", ".").replace("<", " ").replace(">", " ").split()
    while words and (words[0] in LEADING or (len(words) > 1 and DESCRIBING_COMPOUND.search(words[0]))):
        words.pop(0)  # "The", "Oscar-nominated Owen"
    if words and POSSESSIVE_END.search(words[-1]):
        words[-1] = words[-1][:-2] if words[-1][-1] == "s" else words[-1][:-1]  # "Matt Williams'"
    while len(words) > 1 and APOSTROPHE_S_END.search(words[0]):
        words.pop(0)  # "the BBC's Rachel Harvey"
    titled = [i for i, w in enumerate(words[:-1]) if w.lower().strip(".") in NAME_TITLES]
    if titled:
        words = words[titled[-1] + 1 :]
        if words and words[0] in ("of", "for", "to"):
            # "Secretary of State Antony Blinken", "Commissioner for Refugees": after the office
            # come its department and then, maybe, the name (one word after an organisation).
            if len(words) <= 2 or (len(words) == 3 and words[1] == "the"):  # "Director of the Banco"
                return "", True
            words = words[-1:] if len(words) == 3 or words[-2].lower() in ORG_WORDS else words[-2:]
    elif words and all(w.lower().strip(".") in NAME_TITLES for w in words):
        return "", True
    if voices_of(" ".join(words)):
        words = words[2:]  # "Officials of MMC Sittipol", "Analysts at Barclays": the organisation
    for link in ("of", "for"):
        # "Paul Sheard of Lehman Brothers", but "Bank of England" stays whole.
        if link in words and not any(w.lower() in ORG_WORDS for w in words[: words.index(link)]):
            words = words[: words.index(link)]
    return " ".join(words), bool(titled)


def voices_of(run: str) -> bool:
    """Whether a name run is people who speak for an organisation: "Officials of MMC Sittipol"."""
    words = run.split()
    if len(words) < 3 or words[1] not in ("of", "at", "for", "from"):
        return False
    head = words[0].lower()
    return head in GROUPS or head in ROLES or head.removesuffix("s") in ROLES


def is_org(name: str) -> bool:
    return any(w.lower().strip(".") in ORG_WORDS for w in name.split())
