"""Speaker phrases turned into names, in text order."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort

from qa.text.quotes.claims import Claim
from qa.text.quotes.lexicon import APOSTROPHE_S_END, CALENDAR, INSTITUTIONS, NAME_RUN, ORG_ROLES, ROLES, ROLES_RE
from qa.text.quotes.marks import Mark, inside_marks
from qa.text.quotes.names import clean_name, is_org, speaker_key, voices_of
from qa.text.quotes.speakers import Speaker, sentence_subject

CAPITALISED_AFTER_ARTICLE = re.compile(r"\b(?:a|an|A|An)\s+([A-Z][\w'’-]*)")  # "won a Bafta"
CAPITALISED_MID_SENTENCE = re.compile(r"(?<=[\w,;])\s+([A-Z][\w'’-]*)")
FOLLOWING_WORDS = re.compile(r"[^.;\n]{0,80}")
# A name with a role beside it, so a person: "the minister Jo Smith", "Jo Smith, the minister".
ROLE_AT_END = re.compile(rf"\b(?!official)(?:{ROLES_RE})\s+$")
COMMA_ROLE = re.compile(
    rf",\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,3}}?(?:[a-z]+-)?(?:{ROLES_RE})"
    rf"(?:\s+(?:of|at|for|in|with|from)\b|\s*[,.;])"
)
LOWER_THEN_UPPER = re.compile(r"[a-z][A-Z]")
POSSESSIVE_AT_END = re.compile(r"['’]s?$")  # "Matt Williams'", "Smith's"
APOSTROPHE_S_OPENING = re.compile(r"['’]s\b")
HYPHENATED_WORD = re.compile(r"[\w-]+")
SENTENCE_STOP = re.compile(r"[.!?]\s")


class Resolver:
    """Turns speaker phrases into names, in text order.

    Short names become the fuller name met before ("Blinken" -> "Antony Blinken"). "He" and "the
    minister" become the person the text was last about: the latest sentence that opens with a
    person's name ("Tait himself appeared unaffected. ... he said"), or the latest speaker; a
    sentence opening with "she" or "the singer" keeps the same person. Failing those, the latest
    person named outside quotations. "The company", "it" and "the conservancy" become the latest
    organisation quoted (whose name has that word, when it is not a generic noun).
    """

    def __init__(
        self, text: str, masked: str, marks: list[Mark], sentences: list[tuple[int, int]], claims: list[Claim]
    ):
        self.text, self.masked = text, masked
        in_marks = inside_marks(marks, len(text))
        quoted = in_marks[:]
        for claim in claims:  # names inside what someone said are not who is speaking
            quoted[claim.start : claim.end] = b"\x01" * (claim.end - claim.start)
        self.runs = []  # (start, end, name, context): every name, with the words around it
        self.fuller: dict[str, list[tuple[int, str, list[str]]]] = {}
        self.people = set()  # keys of names known to be people: titled, or speakers with a full name
        things = set(CAPITALISED_AFTER_ARTICLE.findall(text))  # "won a Bafta"
        for m in NAME_RUN.finditer(masked):
            name, titled = clean_name(text[m.start() : m.end()])
            if not name or name in things:
                continue
            before = text[max(0, m.start() - 40) : m.start()].lower()
            following = FOLLOWING_WORDS.match(text[m.end() :])
            assert following is not None  # {0,80} matches, empty if need be
            after = following.group().lower()
            if (
                not is_org(name)
                and name not in CALENDAR
                and (titled or ROLE_AT_END.search(before) or COMMA_ROLE.match(after))
            ):
                self.people.add(speaker_key(name))
            self.runs.append((m.start(), m.end(), name, f"{before} {name.lower()} {after}"))
            words = speaker_key(name).split()
            if len(words) > 1:  # for _full: the names each word may stand for
                for word in set(words):
                    self.fuller.setdefault(word, []).append((m.start(), name, words))
        for claim in claims:
            if claim.speaker.kind == "name":
                name = self._named(claim.speaker)
                # "Officials of MMC Sittipol said ... They said": an organisation, not a person.
                if len(name.split()) > 1 and not is_org(name) and not voices_of(claim.speaker.text):
                    self.people.add(speaker_key(name))
        self.openers = []  # (where, full name) of each sentence opening with any name
        self.subjects = []  # (where, full name) of each sentence opening with a person's name
        self.subject_ends: dict[int, int] = {}  # where each of those sentences ends
        self.possessors: set[int] = set()  # those written as possessives: "Matt Williams' side"
        continuing = bytearray(len(text))  # sentences whose subject is "he" or "she"
        mid_sentence = set(CAPITALISED_MID_SENTENCE.findall(text))
        for start, end in sentences:
            # A reported clause's own subject still tells which organisation a story is about.
            subject = None if in_marks[start] else sentence_subject(masked, start, end)
            if subject and subject.kind == "pronoun" and not quoted[start]:
                continuing[start:end] = b"\x01" * (end - start)
            if subject and subject.kind == "name":
                name = self._named(subject)
                # A lone word opening a sentence ("Unofficial results show") is a name only if
                # the text also writes it capitalised mid-sentence ("... said Mr Mallon") or opens
                # other sentences with it, or is spelt like a name ("DiCaprio, who lost out, will").
                written = APOSTROPHE_S_END.sub("", text[subject.start : subject.end])
                if (
                    " " not in written
                    and not {written, written + "'s", written + "’s"} & mid_sentence
                    # Built from a word of this text, so not a constant; not cached either: one
                    # word rarely comes back (537 calls, 364 words in 400 BBC articles), and a
                    # repeat within the article still finds it in `re`'s cache.
                    and len(re.findall(rf"\b{re.escape(written)}\b", text)) < 2
                    and not LOWER_THEN_UPPER.search(written)
                ):  # "DiCaprio", "McCain"
                    continue
                if name:
                    self.openers.append((subject.start, name))
                if name and not is_org(name) and not quoted[start]:
                    self.subjects.append((subject.start, name))
                    self.subject_ends[subject.start] = end
                    if POSSESSIVE_AT_END.search(text[subject.start : subject.end]):
                        self.possessors.add(subject.start)
        self.mentions = []  # (end, full name, name as written, context, a candidate for "he")
        for start, end, name, context in self.runs:
            full = self._full(name, start)
            # Not who speaks next: a name inside what someone said, a possessor ("Mr Mallon's
            # arguments"), or someone met in a sentence about "she" ("she made up with Nielsen").
            possessive = APOSTROPHE_S_OPENING.match(text[end : end + 2]) is not None
            if speaker_key(full) in self.people:
                self.mentions.append(
                    (end, full, name.lower(), context, not (quoted[start] or possessive or continuing[start]))
                )
        self.mention_ends = [end for end, *_ in self.mentions]
        self.subject_starts = [pos for pos, _ in self.subjects]
        self.candidates = [(end, full) for end, full, _, _, candidate in self.mentions if candidate]
        self.candidate_ends = [end for end, _ in self.candidates]
        self.spoken: list[tuple[int, str, bool]] = []  # (where, speaker, a person or a spokesman)
        self.spoken_people: list[tuple[int, str]] = []  # sorted by where
        self.voices: list[str] = []  # organisations that spoke through "an official", "a spokesman"
        self.org_keys: set[str] = set()  # keys of those: never "he" or "she"

    def __call__(self, speaker: Speaker, at: int, said: str) -> str:
        """The speaker's name, or "" when it cannot be told; the claim starts at `at`, and `said`
        are its words when they are a quotation."""
        if speaker.kind == "group":  # "analysts said": no one, but the latest to speak
            self.spoken.append((speaker.start, "", False))
            return ""
        name = self._resolve(speaker, min(at, speaker.start), said)
        if name and speaker.kind == "voice":
            self.voices.append(name)
            self.org_keys.add(speaker_key(name))
        if name and speaker.text.lower() in ("he", "she"):
            self.people.add(speaker_key(name))
        if name:
            person = (
                speaker.kind in ("voice", "pronoun")
                or speaker_key(name) in self.people
                or speaker.text.lower().split()[-1].startswith("spokes")
            )
            self.spoken.append((speaker.start, name, person))
            if person:
                insort(self.spoken_people, (speaker.start, name))
        return name

    def _resolve(self, speaker: Speaker, limit: int, said: str) -> str:
        if speaker.kind in ("name", "voice"):
            return self._named(speaker)
        head = speaker.text.lower().split()[-1]
        person_role = head in ROLES or head.endswith("year-old")
        if head.startswith("spokes") and speaker.kind == "role":
            # "The Toyota spokesman said", after "Toyota spokesman Jerry Giaquinta told Reuters".
            named = self._with_role(speaker, limit, adjacent=True)
            org = NAME_RUN.search(speaker.text[3:])  # else whose spokesman: "the Toyota spokesman"
            if named:
                return named
            if org:
                return self._full(clean_name(org.group())[0], speaker.start)
            if self.voices:  # "A spokesman for Yeutter said ... The spokesman said"
                return self.voices[-1]
        if head == "it" or head in ORG_ROLES or (speaker.kind == "role" and not person_role):
            return self._organisation(head, limit, speaker.start)
        # Not someone the quotation names ("I had a word with Olof"), nor an organisation
        # met as a name (one that spoke through a spokesman is "he" only as that spokesman).
        named_in_said = set(speaker_key(said).split())

        def fits(found: tuple[int, str], spoke: bool = False) -> bool:
            key = speaker_key(found[1])
            return not set(key.split()) & named_in_said and (spoke or key not in self.org_keys)

        # The latest of: a sentence opening with a person, a person speaking, a person named.
        i, j, k = (
            bisect_left(self.subject_starts, limit),
            bisect_left(self.spoken_people, (limit,)),
            bisect_right(self.candidate_ends, limit),
        )
        subject = next((f for f in reversed(self.subjects[max(0, i - 3) : i]) if fits(f)), None)
        spoken = self.spoken_people[j - 1] if j and fits(self.spoken_people[j - 1], spoke=True) else None
        candidate = next((f for f in reversed(self.candidates[max(0, k - 3) : k]) if fits(f)), None)
        if (
            subject
            and candidate
            and subject[0] <= candidate[0] <= self.subject_ends[subject[0]]
            and subject[0] not in self.possessors
        ):
            # "Mirza ... will now face Svetlana Kuznetsova. ... she said": a sentence's subject,
            # not someone named later in it, is who "she" goes on about (but in "Matt Williams'
            # side has shown little, but Johnson insisted", Johnson is).
            candidate = None
        latest = max((f for f in (subject, spoken, candidate) if f), default=(0, ""))[1]
        if speaker.kind == "pronoun":
            # A "they" is rarely one named person: the organisation or group last quoted, if any;
            # an unknown "they" is not attributed at all.
            if head == "they":
                return "" if self.spoken and not self.spoken[-1][1] else self._organisation("it", limit)
            return latest  # a "he" with no one to be is not attributed
        # "said the minister": the latest person named with that role; "the official" after "a
        # Commission official said", the Commission; else the latest person.
        named = self._with_role(speaker, limit, adjacent=head == "official")
        if named:
            return named
        if head == "official" and self.voices:
            return self.voices[-1]
        return self._with_role(speaker, limit) or latest

    def _with_role(self, speaker: Speaker, limit: int, adjacent: bool = False) -> str:
        """The latest person named with the role words of "the minister", "the Toyota spokesman";
        `adjacent`: only a name the role is written next to ("spokesman Jerry Giaquinta",
        "Giaquinta, a spokesman"), not one merely near it."""
        wanted = {w for w in speaker.text.lower().split() if w in ROLES}
        earlier = self.mentions[: bisect_right(self.mention_ends, limit)]
        for _, full, name, context, _ in reversed(earlier):
            if not wanted or not wanted <= set(HYPHENATED_WORD.findall(context)):
                continue
            role = "|".join(wanted)
            # Built from words of this text, so not a constant; not cached either: only "the
            # spokesman" and "the official" get here (8 times in 3,000 Reuters articles).
            if not adjacent or re.search(
                rf"\b(?:{role})\s+{re.escape(name)}\b|\b{re.escape(name)},\s+"
                rf"(?:[\w'’-]+\s+){{0,4}}?(?:{role})\b",
                context,
            ):
                return full
        return ""

    def _organisation(self, head: str, limit: int, at: int = -1) -> str:
        """The organisation "it", "the company" or "the commission" stands for: one that spoke or
        was named before `limit`; else, for a company noun, one opening a sentence before `at`
        (where the speaker phrase is)."""
        orgs = [
            name
            for _, name, person in self.spoken
            if name and (not person or speaker_key(name) not in self.people or speaker_key(name) in self.org_keys)
        ]
        for name in reversed(orgs):
            if head in name.lower().split():
                return name  # "the conservancy" -> "Conservancy of Southwest Florida"
        if head in INSTITUTIONS:  # "the commission": one named before, else no one
            return next(
                (name for start, _, name, _ in reversed(self.runs) if start < limit and head in name.lower().split()),
                "",
            )
        publication = head in ("newspaper", "paper", "magazine", "website", "broadcaster")
        if head != "it":
            # "The paper said", after "The trade paper Automotive News reported" or "quoted by
            # The Australian newspaper": the name written next to that noun; "the report said"
            # after "the NY Fed said in the report": the one that spoke of it.
            after = 5 if head in ("report", "release", "statement", "bulletin") else 1
            for start, end, name, _ in reversed(self.runs):
                if start >= limit or not (name in orgs or publication):
                    continue
                near = (
                    self.text[max(0, start - 30) : start].lower().split()[-1:]
                    + HYPHENATED_WORD.findall(self.text[end : end + 60].lower())[:after]
                )
                if head in near:
                    return name
        if head not in ORG_ROLES:
            return orgs[-1] if orgs and head == "it" else ""
        opener = next(
            (
                (start, name)
                for start, name in reversed(self.openers)
                if start < at and speaker_key(name) not in self.people
            ),
            None,
        )
        if opener and not SENTENCE_STOP.search(self.masked[opener[0] : at]):
            return opener[1]  # "Kestrel Shipping plans ..., company officials said": the sentence's own
        # Else the latest organisation to speak; if none has, the one a sentence before opens with.
        return orgs[-1] if orgs else opener[1] if opener else ""

    def _named(self, speaker: Speaker) -> str:
        name = clean_name(self.text[speaker.start : speaker.end])[0]
        return self._full(name, speaker.start) if name else ""

    def _full(self, name: str, pos: int) -> str:
        """A one-word name ("Blinken", "Lula") as a fuller name met before it: the one named most
        often, else the first ("Mack Rutherford", not his sister Zara named later)."""
        if len(name.split()) != 1:
            return name
        key = speaker_key(name)
        fuller = self.fuller.get(key, [])
        # A surname fits any fuller name; a first or middle name only a known person's.
        fitting = [
            other
            for _, other, words in fuller[: bisect_left(fuller, (pos,))]
            if (words[-1] == key and not is_org(other)) or speaker_key(other) in self.people
        ]
        return max(fitting, key=lambda other: (fitting.count(other), -fitting.index(other)), default=name)
