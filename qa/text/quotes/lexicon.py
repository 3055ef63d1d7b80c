"""Words and regex building blocks of the quote rules: verbs of saying, titles, roles, names."""

from __future__ import annotations

import re

# Verbs of saying. A direct quotation needs one right next to it; reported speech needs one
# between a speaker and a clause.
_CUE_WORDS = """said says say stated states added adds told tells explained explains warned warns
insisted insists argued argues claimed claims noted notes wrote writes announced announces asked
asks replied replies continued continues admitted admits declared declares suggested suggests
commented comments remarked remarks acknowledged acknowledges confirmed confirms maintained
maintains stressed stresses emphasised emphasises emphasized emphasizes urged urges predicted
predicts conceded concedes recalled recalls observed observes responded responds revealed reveals
reiterated reiterates countered counters cautioned cautions concluded concludes joked jokes
tweeted tweets posted vowed vows reported reports alleged alleges estimated estimates forecast
forecasts""".split()


def inflections(lemma: str) -> set[str]:
    """A verb's regular forms: "note" -> note, notes, noted, noting; "quip" -> quipped, quipping."""
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = {lemma, lemma + "s", lemma + "d", stem + "ed", stem + "ing"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    if re.search(r"(?:s|sh|ch|x|z)$", lemma):
        forms.add(lemma + "es")
    if re.search(r"[^aeiou][aeiou][pgtm]$", lemma):  # "quipped", "admitted"
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


CUE = r"\b(?:went on to say|goes on to say|pointed out|points out|went on|goes on|" + "|".join(_CUE_WORDS) + r")\b"
PARTICIPLE = r"\b(?:saying|stating|adding|telling|warning|noting|insisting|arguing|explaining|claiming)\b"
# The patterns below are compiled once: built at each call, they were evicted from `re`'s cache
# (512 patterns, shared with every other module's) and compiled again thousands of times in one ingest.
CUE_VERB = re.compile(CUE)
PARTICIPLE_VERB = re.compile(PARTICIPLE)
# Verbs that put someone's words in quotation marks without a clause: `called him "a disappointment"`.
CHARACTERISE = re.compile(
    r"\b(?:called|calls|described|describes|labelled|labeled|branded|dubbed|"
    r"accused|accuses|praised|criticised|criticized|hailed|condemned|questioned|"
    r"credited|promised|pledged|hoped|hopes|denied|welcomed|attacked|blamed)\b"
)
# Reported speech without "that" ("He said the plan failed") is trusted only after these verbs;
# the others too often take a plain object ("warned the government", "confirmed the deal").
BARE_CUES = {"said", "says", "say", "added", "adds", "saying", "adding"}
# Words that may stand between a subject and its verb: "Smith has also said", "he did say".
AUX = (
    r"(?:\s+(?:has|have|had|did|does|do|also|later|earlier|previously|then|again|once|would|"
    r"will|further|yesterday|today|in\s+an?\s+(?:statement|interview)|"
    r"on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|[a-z]+ly))*"
)
# A clause after a bare "said" cannot start with these ("said in a statement", "said it was").
NOT_CLAUSE_START = set(
    """in on at to of for with by from about after before during when while as if
so and but or yes nothing goodbye hello thanks sorry was is were are had has have would will
could should can may might did does do been being this last earlier later yesterday today tonight
previously recently also again once then now repeatedly so-called that""".split()
)
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# Openers of "said on Friday (Mar 22) that" and the like: only these may come between verb and "that".
ADVERBIAL = (
    rf"(?:on|in|at|during|after|before|to|from|via|through|last|this|earlier|later|"
    rf"yesterday|today|tonight|late|early|recently|previously|also|again|separately|"
    rf"publicly|privately|repeatedly|then|now|when|while|{_DAY})\b"
)
# When a bare "said" is followed by a time before its clause: "said on Wednesday it had bought".
WHEN = (
    rf"(?:\s+(?:on\s+{_DAY}|{_DAY}|yesterday|today|earlier|later|last\s+(?:week|month|year|night)|"
    rf"this\s+(?:week|month|year|morning)|in\s+a\s+statement|in\s+an\s+interview|"
    rf"in\s+(?:{_MONTH}|\d{{4}})(?:\s+\d{{4}})?|on\s+{_MONTH}\s+\d{{1,2}})\b)?"
)

TITLES = set(
    """mr mrs ms miss dr prof professor sir dame lord lady baroness baron rev reverend
president vice prime minister secretary chancellor senator sen rep representative congressman
congresswoman governor gov mayor judge justice gen general lt lieutenant col colonel capt captain
sgt sergeant officer chief executive director chairman chairwoman chairperson chair ceo cfo
spokesman spokeswoman spokesperson ambassador envoy commissioner deputy undersecretary assistant
asst shadow attorney king queen prince princess pope sheikh emir coach manager boss leader
inspector detective det supt superintendent constable mp mep premier speaker archbishop bishop
cardinal rabbi imam special adviser advisor administrator comptroller treasurer""".split()
)
# Role nouns that refer back to a named person: "said the minister", "the 45-year-old said".
ROLES = TITLES - {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "sir",
    "dame",
    "lord",
    "lady",
    "sen",
    "rep",
    "gov",
    "gen",
    "lt",
    "col",
    "capt",
    "sgt",
    "det",
    "supt",
    "asst",
    "vice",
    "prime",
    "special",
    "shadow",
    "assistant",
    "deputy",
} | set(
    """official economist analyst lawyer prosecutor founder striker player actor actress singer
    star winner champion author writer producer designer head guru icon pundit campaigner activist
    dancer presenter host musician rapper comedian veteran winger defender midfielder goalkeeper
    critic""".split()
)
ROLES_RE = "|".join(sorted(ROLES))
# Family words, which an apposition names: "Kim's sister, Kim Yo Jong, said".
KIN = frozenset(
    """wife husband son daughter mother father sister brother widow widower niece nephew cousin aunt
    uncle grandson granddaughter grandmother grandfather fiancee fiance""".split()
)
# Words that, capitalised before a name, describe rather than name: "Striker Marco Vidal".
NAME_TITLES = TITLES | set(
    """striker player actor actress singer economist analyst lawyer
prosecutor founder author writer producer designer guru bowler batsman""".split()
)
# Nouns that refer back to an organisation: "the company said".
ORG_ROLES = set(
    """company firm group bank club institute organisation organization network
retailer carrier airline manufacturer broadcaster regulator union agency studio label newspaper
paper magazine channel website spokesman spokeswoman spokesperson release report statement
bulletin maker lender insurer supplier subsidiary""".split()
)
# Nouns for one particular institution: "the commission said" is the Electoral Commission named
# before, never merely the latest organisation quoted.
INSTITUTIONS = set(
    """government ministry department commission council committee authority
watchdog university college school court parliament board""".split()
)
ORG_WORDS = set(
    """ministry agency office council department bank company co corp corporation inc ltd
plc llc spa ag sa nv gmbh group party association union commission authority committee police
service news times post court government university universities college academy institute
foundation board federation league club team network organisation organization programme program
movement reuters bbc cnn alliance army forces force museum centre center hospital school society
trust fund guard house parliament congress senate assembly airlines airline motors industries
holdings community campaign bureau administration exchange reserve treasury division institution
unit affairs""".split()
)
# Capitalised words that start sentences without naming anyone.
LEADING = set(
    """The A An But And Or So Yet However Meanwhile Also In On At For From With By After
Before During When While As If Although Though Since Still Instead Then Now Earlier Later Last
This That These Those Today Yesterday Speaking Asked According Following Despite Under Over It
There Here We I You He She They His Her Their Our My Its Even Only Some Many Most Both Currently
Finally Similarly Recently Separately Additionally Ultimately Initially Eventually Clearly Obviously
Unfortunately Fortunately Interestingly Importantly Previously Originally Apparently Reportedly
Nevertheless Nonetheless Elsewhere Overall""".split()
)
GROUPS = set(
    """police officials analysts experts critics authorities witnesses residents
researchers scientists sources others reports prosecutors investigators doctors observers
economists campaigners fans organisers organizers staff officers lawyers protesters supporters
opponents democrats republicans diplomats traders dealers bankers insiders aides negotiators
delegates ministers""".split()
)
INTRO = re.compile(
    r"(?:In|On|At|During|After|Before|Following|Speaking|When|While|As|Since|"
    r"Despite|Asked|Last|Earlier|Later|Separately|Today|Yesterday|Addressing)\b"
)

_TOKEN = (
    r"(?<![\w'’\-])(?:[A-Z][\w'’\-]*|[a-z]{1,2}[A-Z][\w'’\-]*|(?:al|el|bin|ibn)-[A-Z][\w'’\-]*"
    r"|(?<=\s)['‘][A-Z][\w-]*['’](?=\s+[A-Z]))"
)  # eBay, al-Assad, Ahmed 'Mido' Hossam
CONNECTOR = r"(?:(?:of|for)(?:\s+the)?|de|da|di|dos|das|du|del|della|van|von|der|den|le|la|bin|ibn|al)"
# A run of capitalised words, the shape of a name: "Benjamin Netanyahu", "Luiz Inácio Lula da
# Silva", "US Secretary of State Antony Blinken", "Ambassador to the United States Hamdullah Mohib".
RUN = (
    rf"{_TOKEN}(?:(?:\s+{CONNECTOR})?\s+{_TOKEN}|"
    rf"(?:(?<=Ambassador)|(?<=Envoy))\s+to(?:\s+the)?\s+{_TOKEN})*"
)
NAME_RUN = re.compile(RUN)
RUN_END = re.compile(rf"(?<![\w'’\-]){RUN}$")
APOSTROPHE_S_END = re.compile(r"['’]s$")  # "Netanyahu’s"
ROLE_END = re.compile(r"\b(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[\w'’-]+\s+){0,3}?(?P<head>[A-Za-z0-9][\w-]*)$")
# Who speaks for an organisation, or what it publishes.
VOICE = (
    r"(?:spokes(?:man|woman|person)|official|statement|bulletin|jury|panel|report|tweet|post|letter|"
    r"memo|release|magazine|newspaper|paper|website|channel|agency)"
)
# "a spokesman for the Foreign Office said", "a Downing Street spokesman said", "Broadcast
# magazine said": the organisation.
ORG_VOICE_END = re.compile(
    rf"\b(?:[Aa]n?|[Tt]he)\s+(?:[a-z]+\s+){{0,2}}?{VOICE}\s+(?:for|from|at|of|by|with)\s+(?:the\s+)?"
    rf"(?P<org>{RUN})$|(?:\b(?:[Aa]n?|[Tt]he)\s+(?:[a-z][\w-]*\s+)?)?(?<![\w'’-])(?P<org2>{RUN})\s+{VOICE}$"
)
QUOTE_CHARS = '"“”'
# A reported clause ends at a semicolon, a quotation it introduces, or another attribution.
CLAUSE_STOP = re.compile(
    rf";|[,:]\s*[\"“]|,\s+{PARTICIPLE}|,\s+according to\b|,\s+{RUN}{AUX}\s+{CUE}"
    rf"|,\s+the\s+(?:[\w-]+\s+){{0,2}}?[a-z]+{AUX}\s+{CUE}(?=(?:\s+[^\s,.;]+){{0,6}}[\s.]*$)"
)
CALENDAR = set(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December""".split()
)
