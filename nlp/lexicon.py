"""Customer-feedback adjustments to VADER's lexicon (VADER was built on general social media text).

Each entry is a rule about how customers write to companies, not about one data set:
- requests and politeness are not praise ("please help", "kindly refund", "hope you can fix it");
- service failures are negative even when no emotion word is used ("delayed", "stuck", "on hold");
- brand-like words and nouns that VADER reads as emotion ("United", "customer care", "like 3 hours").
"""

from __future__ import annotations

import re

# word -> valence on VADER's -4..+4 scale; 0.0 removes a word's sentiment
WORD_VALENCE: dict[str, float] = {
    # requests and politeness
    "please": 0.0, "pls": 0.0, "plz": 0.0, "kindly": 0.0, "help": 0.0, "helping": 0.0, "hope": 0.0,
    "hoping": 0.0, "hopefully": 0.0, "sure": 0.0, "yes": 0.0, "ok": 0.0, "okay": 0.0, "want": 0.0,
    "wants": 0.0, "wanted": 0.0, "like": 0.0, "care": 0.0, "united": 0.0, "joke": -1.5, "jokes": -1.0,
    "lol": 0.5, "haha": 0.5, "hahaha": 0.5, "hahahaha": 0.5, "lmao": 0.5, "rofl": 0.5, ";)": 0.0, ";-)": 0.0,
    "pretty": 0.5, "well": 0.0, "fine": 0.5, "share": 0.0, "sharing": 0.0, "free": 0.8,
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
    "holdup": -1.5, "bull": -1.5, "bs": -2.0, "insufficient": -1.5, "inadequate": -1.8, "unusable": -2.0,
    "fav": 2.0, "fave": 2.0, "kudos": 2.5, "props": 2.0, "shoutout": 2.0,
    "fix": -0.3, "issue": -1.0, "issues": -1.0, "complaint": -1.5, "complaints": -1.5,
    "hassle": -1.5, "nightmare": -2.0, "nightmares": -2.0,
}

# emoji whose lexicon description carries no sentiment word ("unamused face", "thumbs down")
EMOJI_VALENCE: dict[str, float] = {"😒": -1.5, "😡": -2.5, "😤": -2.0, "🙄": -1.5, "👎": -2.0, "💩": -2.0, "🤬": -3.0,
                                   "👍": 1.8, "👏": 2.0, "🙌": 2.0, "💯": 1.5, "🙏": 0.8}

# multi-word cues, matched on lower-cased lemmas: valence added to the sentence they appear in
PHRASE_VALENCE: dict[str, float] = {
    "on hold": -1.5, "no response": -1.5, "no answer": -1.5, "no reply": -1.5, "no update": -1.5,
    "no info": -1.5, "no information": -1.5, "no one": -1.5, "no help": -1.5, "no call": -1.2,
    "no email": -1.2, "still wait": -1.5, "still no": -1.2, "hang up": -1.5, "never receive": -1.8,
    "never arrive": -1.8, "never get": -1.5, "not work": -1.5, "do not work": -1.5, "not receive": -1.5,
    "not arrive": -1.5, "waste of": -2.0, "not ok": -1.5, "not okay": -1.5, "thank for nothing": -2.5,
    "no complaint": 1.5, "can not wait": 1.5, "could not be happy": 3.0, "could not ask for": 2.5,
    "are you kidding": -2.0, "you have to be kidding": -2.0, "anyone there": -1.2, "anybody there": -1.2,
    "yea right": -2.0, "learn my lesson": -1.5, "time out": -1.0, "keep crash": -1.5, "shout out": 2.0,
    "do better": -1.2, "work harder": -1.0, "should know better": -1.5, "as usual": -0.8, "yet again": -1.0,
    "once again": -0.8, "every single time": -1.0, "not the first time": -1.5,
    # waiting and silence: "took far too long", "never called back", "no explanation"
    "too long": -1.5, "not too long": 1.5, "take forever": -1.5, "never call back": -1.5, "never hear back": -1.5,
    "no call back": -1.5, "no explanation": -1.2, "no compensation": -1.2,
    "above and beyond": 2.5, "the extra mile": 2.5, "you rock": 2.5, "huge fan": 2.0, "big fan": 2.0,
    "fingers crossed": 0.8, "well done": 2.0,
    "would recommend": 2.0, "would highly recommend": 2.5, "would definitely recommend": 2.5,
    "never disappoint": 2.5, "never fail to disappoint": -2.5, "never fail to amaze": 2.5,
}

# words that soften or request rather than judge; a sentence that is only a request stays neutral
REQUEST_WORDS = frozenset({"please", "pls", "plz", "kindly", "help", "could", "can", "would"})

TIME_UNITS = frozenset({"min", "mins", "minute", "minutes", "hr", "hrs", "hour", "hours", "day", "days", "week",
                        "weeks", "month", "months"})
NUMBER_AND_UNIT = re.compile(r"^\d+(min|mins|minutes|hr|hrs|hour|hours|day|days|wk|wks|weeks)$")
WAIT_LEADS = frozenset({"for", "been", "over", "after", "waited", "waiting", "almost", "nearly", "another"})
WAIT_FILLERS = frozenset({"a", "an", "the", "about", "over", "almost", "nearly", "like", "another", "several",
                          "many", "few", "couple", "of"})
WAIT_AFTER = frozenset({"now", "later", "late", "delay", "delayed", "wait", "waiting", "and", "ago"})
FAILURE_WORDS = frozenset({"not", "never", "cannot", "nothing", "unable"})
AUXILIARIES = frozenset({"is", "are", "does", "do", "did", "can", "would", "will", "has", "have", "was", "were",
                         "am", "should"})
ELAPSED_TIME, NEGATED_ACTION, WHY_QUESTION, WHERE_IS_MY = -1.2, -0.7, -1.0, -1.0
CUE_WORDS = FAILURE_WORDS | TIME_UNITS | {"why", "come", "where"}  # the words a cue below starts from


_CUE_START: dict[str, bool] = {}  # norm -> whether a cue below may start from it


def _cue_start(norm: str) -> bool:
    found = _CUE_START.get(norm)
    if found is None:
        found = _CUE_START[norm] = norm in CUE_WORDS or norm[:1].isdigit()
    return found


def token_cues(norms: list[str], punct: list[bool], num: list[bool]) -> list[tuple[int, float]]:
    """(token index, valence) of cues that need a look at neighbouring tokens:

    - elapsed waiting time is a complaint: "for 2 hours", "been 6 days", "59 minutes now", "24hrs";
    - a negated action states a failure: "can't book online", "won't answer", "not able to get through";
    - a "why" or "how come" question to a company is a complaint, not a request for information;
    - "where is my ..." asks after something that has not arrived.
    """
    cues = []
    n = len(norms)
    # most tokens: none of the branches below applies ("24hrs" starts with a digit)
    starts = list(map(_CUE_START.get, norms))
    if None in starts:
        if len(_CUE_START) > 200_000:  # one entry per distinct norm: keep it bounded
            _CUE_START.clear()
        starts = [_cue_start(norm) for norm in norms]
    if not any(starts):
        return cues
    for i in [k for k, start in enumerate(starts) if start]:
        norm = norms[i]
        if norm in FAILURE_WORDS:
            cues.append((i, NEGATED_ACTION))
        elif norm == "why" and i + 1 < n and (punct[i + 1] or norms[i + 1] in AUXILIARIES):
            cues.append((i, WHY_QUESTION))
        elif norm == "come" and i and norms[i - 1] == "how":
            cues.append((i - 1, WHY_QUESTION))
        elif norm == "where" and i + 2 < n and norms[i + 1] in ("is", "are", "'s") and norms[i + 2] in ("my", "our"):
            cues.append((i, WHERE_IS_MY))
        elif norm in TIME_UNITS:
            j = i - 1
            while j >= max(0, i - 4) and (num[j] or norms[j] in WAIT_FILLERS) and norms[j] not in WAIT_LEADS:
                j -= 1
            if j >= 0 and norms[j] in WAIT_LEADS or (
                    i and num[i - 1] and i + 1 < n and norms[i + 1] in WAIT_AFTER):
                cues.append((i, ELAPSED_TIME))
        elif i and norms[i - 1] in WAIT_LEADS and NUMBER_AND_UNIT.match(norm):
            cues.append((i, ELAPSED_TIME))
    return cues


# VADER reads these only as intensifiers; standing alone ("your staff are incredible") they are praise
ADJECTIVE_BOOSTERS: dict[str, float] = {"incredible": 2.8, "exceptional": 2.8, "tremendous": 2.5,
                                        "remarkable": 2.5, "fabulous": 2.8, "extraordinary": 2.5}
