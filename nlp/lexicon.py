"""Customer-feedback adjustments to VADER's lexicon (VADER was built on general social media text).

Each entry is a rule about how customers write to companies, not about one data set:
- requests and politeness are not praise ("please help", "kindly refund", "hope you can fix it");
- service failures are negative even when no emotion word is used ("delayed", "stuck", "on hold");
- brand-like words and nouns that VADER reads as emotion ("United", "customer care", "like 3 hours").
"""

from __future__ import annotations

# word -> valence on VADER's -4..+4 scale; 0.0 removes a word's sentiment
WORD_VALENCE: dict[str, float] = {
    # requests and politeness
    "please": 0.0, "pls": 0.0, "plz": 0.0, "kindly": 0.0, "help": 0.0, "helping": 0.0, "hope": 0.0,
    "hoping": 0.0, "hopefully": 0.0, "sure": 0.0, "yes": 0.0, "ok": 0.0, "okay": 0.0, "want": 0.0,
    "wants": 0.0, "wanted": 0.0, "like": 0.0, "care": 0.0, "united": 0.0, "joke": -1.5, "jokes": -1.0,
    "lol": 0.5, "pretty": 0.5, "well": 0.0, "fine": 0.5, "share": 0.0, "sharing": 0.0, "free": 0.8,
    "better": 0.0, "promise": 0.0, "promised": 0.0, "promises": 0.0, "chance": 0.0, "number": 0.0,
    "reward": 0.0, "rewards": 0.0, "clearly": 0.0,
    "thank": 1.0, "thanks": 1.0, "thx": 1.0, "ty": 1.0, "appreciate": 1.0, "appreciated": 1.5,
    # service failures that customers report without an emotion word
    "delayed": -1.5, "delay": -1.5, "delays": -1.5, "late": -1.2, "later": 0.0, "cancelled": -1.5,
    "canceled": -1.5, "cancellation": -1.2, "cancelation": -1.2, "stuck": -1.5, "stranded": -2.0,
    "waiting": -0.8, "waited": -1.0, "lost": -1.5, "missing": -1.2, "missed": -1.2, "broken": -1.5,
    "damaged": -1.8, "wrong": -1.5, "overbooked": -1.5, "rebooked": -0.5, "diverted": -1.0,
    "unacceptable": -2.5, "ridiculous": -2.0, "nobody": -1.0, "again": -0.3, "still": -0.6,
    "worst": -3.1, "rude": -2.5, "unhelpful": -2.0, "useless": -2.0, "disappointed": -2.0,
    "disappointing": -2.0, "crashed": -1.5, "crashing": -1.5, "charged": -0.5, "overcharged": -2.0,
    "refused": -1.5, "ignored": -1.5, "ignoring": -1.5, "hung": -0.5, "incompetent": -2.5,
    "fix": -0.3, "issue": -1.0, "issues": -1.0, "complaint": -1.5, "complaints": -1.5,
}

# multi-word cues, matched on lower-cased lemmas: valence added to the sentence they appear in
PHRASE_VALENCE: dict[str, float] = {
    "on hold": -1.5, "no response": -1.5, "no answer": -1.5, "no reply": -1.5, "no update": -1.5,
    "no info": -1.5, "no information": -1.5, "no one": -1.5, "no help": -1.5, "no call": -1.2,
    "no email": -1.2, "still wait": -1.5, "still no": -1.2, "hang up": -1.5, "never receive": -1.8,
    "never arrive": -1.8, "never get": -1.5, "not work": -1.5, "do not work": -1.5, "not receive": -1.5,
    "not arrive": -1.5, "waste of": -2.0, "not ok": -1.5, "not okay": -1.5, "thank for nothing": -2.5,
    "no complaint": 1.5, "can not wait": 1.5, "could not be happy": 3.0, "could not ask for": 2.5,
    "never disappoint": 2.5, "never fail": 2.0,
}

# words that soften or request rather than judge; a sentence that is only a request stays neutral
REQUEST_WORDS = frozenset({"please", "pls", "plz", "kindly", "help", "could", "can", "would"})

_TIME_UNIT = {"LOWER": {"IN": ["min", "mins", "minute", "minutes", "hr", "hrs", "hour", "hours", "day", "days",
                               "week", "weeks", "month", "months"]}}
_AMOUNT = {"LIKE_NUM": True}
_AUX = ["is", "are", "does", "do", "did", "can", "would", "will", "has", "have", "was", "were", "am", "should"]
_SOME = {"LOWER": {"IN": ["a", "an", "several", "many", "few", "couple", "two", "three", "24"]}}
# token patterns (spaCy Matcher) -> valence added to the clause they appear in
PATTERN_VALENCE: dict[str, tuple[float, list[list[dict]]]] = {
    # elapsed waiting time is a complaint: "for 2 hours", "been 6 days", "59 minutes now", "over an hour"
    "elapsed_time": (-1.2, [
        [{"LOWER": {"IN": ["for", "been", "over", "after", "waited", "waiting", "almost", "nearly", "another"]}},
         {"LOWER": {"IN": ["a", "an", "the", "about", "over", "almost", "nearly", "like", "another"]}, "OP": "?"},
         _AMOUNT | {"OP": "?"}, _SOME | {"OP": "?"}, _TIME_UNIT],
        [_AMOUNT, _TIME_UNIT, {"LOWER": {"IN": ["now", "later", "late", "delay", "delayed", "wait", "waiting",
                                                "and", "ago"]}}],
    ]),
    # a negated action states a failure: "can't book online", "won't answer", "not able to get through"
    "negated_action": (-0.7, [[{"NORM": {"IN": ["not", "never", "cannot", "nothing", "unable"]}}]]),
    # a "why" or "how come" question to a company is a complaint, not a request for information
    "why_question": (-1.0, [[{"LOWER": "why"}, {"IS_PUNCT": True}], [{"LOWER": "how"}, {"LOWER": "come"}],
                            [{"LOWER": "why"}, {"NORM": {"IN": _AUX}}]]),
}

# VADER reads these only as intensifiers; standing alone ("your staff are incredible") they are praise
ADJECTIVE_BOOSTERS: dict[str, float] = {"incredible": 2.8, "exceptional": 2.8, "tremendous": 2.5,
                                        "remarkable": 2.5, "fabulous": 2.8, "extraordinary": 2.5}
