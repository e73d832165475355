"""``voc_language``: the language of each item on ``doc._.language`` (ISO 639-1 code, None when no words).

Running lingua on every item would cost more than the rest of the pipeline together (see
MEASUREMENTS.md), and most feedback of an English-speaking company is plainly English. So the
component decides cheaply first: when the text has two English function words that the other
languages do not share, or most of its words are English words (stop words, the lemma table, the
sentiment lexicon), the item is English. Only the rest goes to lingua, restricted to
the configured languages (short texts are too ambiguous to choose among 75).
"""

from __future__ import annotations

from functools import cache
from itertools import compress

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from voc.nlp.docdata import LANGUAGE, MENTIONS, URLS
from voc.nlp.lemmatize import lemma_table, token_table

if not Doc.has_extension("language"):
    Doc.set_extension("language", default=None)

DEFAULT_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")
# function words that are English and not words of the other default languages (as "no", "me", "in",
# "is", "was", "had", "do", "still" and "on" are): two of them make a text English without lingua
ENGLISH_MARKERS = frozenset({
    "the", "and", "you", "your", "my", "with", "this", "that", "have", "has", "not", "but", "are", "for",
    "of", "it", "its", "they", "we", "our", "from", "what", "why", "how", "will", "can", "would", "there",
    "their", "been", "just", "get", "got", "did", "does", "be", "to", "at", "when", "where", "who", "which",
    "were", "after", "again", "about", "because"})


@cache
def english_words() -> frozenset[str]:
    from voc.nlp.sentiment import vader_lexicon

    table = lemma_table()  # inflected forms and their lemmas: "services" is a key, "service" only a value
    return frozenset(STOP_WORDS) | frozenset(table) | frozenset(table.values()) | \
        frozenset(w for w in vader_lexicon() if w.isalpha())


@cache
def _detector(languages: tuple[str, ...]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    return LanguageDetectorBuilder.from_languages(*chosen).build()


class LanguageDetector:
    def __init__(self, languages: list[str], english_share: float) -> None:
        self.languages = tuple(languages)
        self.english_share = english_share
        self.english = english_words()
        self.stats = {"cheap": 0, "lingua": 0}

    def __call__(self, doc: Doc) -> Doc:
        data = doc.user_data  # doc._ values (see voc.nlp.docdata)
        table = token_table(doc)
        skip = set(data.get(MENTIONS, ())) | set(data.get(URLS, ()))
        alpha = table.alpha
        if skip and any(map(alpha.__getitem__, skip)):  # (mentions and links are not alphabetic tokens in English)
            words = [norm for i, norm in enumerate(table.norms) if alpha[i] and i not in skip]
        else:
            words = list(compress(table.norms, alpha))
        if not words:
            data[LANGUAGE] = None
            return doc
        markers = sum(map(ENGLISH_MARKERS.__contains__, words))
        if markers >= 2 or (markers and len(words) <= 6) or \
                sum(map(self.english.__contains__, words)) >= self.english_share * len(words):
            self.stats["cheap"] += 1
            data[LANGUAGE] = "en"
            return doc
        self.stats["lingua"] += 1
        text = " ".join(t for i, t in enumerate(table.texts) if i not in skip)
        found = _detector(self.languages).detect_language_of(text)
        data[LANGUAGE] = found.iso_code_639_1.name.lower() if found is not None else None
        return doc


@Language.factory("voc_language", default_config={"languages": list(DEFAULT_LANGUAGES), "english_share": 0.7})
def make_language_detector(nlp: Language, name: str, languages: list[str], english_share: float) -> LanguageDetector:
    return LanguageDetector(languages, english_share)
