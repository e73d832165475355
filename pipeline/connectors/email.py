"""E-mail (unaided feedback): ``.eml`` files and mbox archives from a drop folder, and an IMAP mailbox.

A message becomes one item holding the customer's own words: plain text (from the HTML part when there
is no plain one), with quoted replies and the signature removed; the subject, thread (Message-ID,
In-Reply-To, References) and attachments (recorded, not loaded) go to the item's context and the
sender's address becomes the identifier. IMAP is read by UID: each batch is loaded together with the
mailbox's UIDVALIDITY and last UID, so a scheduled run fetches only messages it has not stored.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import mailbox
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.connectors.columns import language, parse_when
from voc.pipeline.connectors.files import undecodable_reason
from voc.schemas import item_id

SUFFIXES = (".eml", ".mbox")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailOptions:
    """How messages become items: whose mail is not feedback, and which languages the reply parser knows."""

    ignore_senders: tuple[str, ...] = ()  # addresses or ``@domain``: the company's own replies
    languages: tuple[str, ...] = ("en", "de", "fr", "nl", "it", "es")


# -- reading -----------------------------------------------------------------------------------------------------

def _unfolded(value: str) -> str:
    """The header value without its line breaks (what ``"".join(re.split(r"\\n|\\r", value))`` gives)."""
    return value.replace("\n", "").replace("\r", "") if "\n" in value or "\r" in value else value


@lru_cache(maxsize=4096)
def _parsed_header(factory, name: str, value: str):
    return factory(name, value)


class _MemoPolicy(EmailPolicy):
    """``policy.default`` whose parsed header objects are remembered by (name, value).

    The default policy parses a header again each time it is read, and ``get_body``, ``iter_attachments``
    and ``get_content_charset`` read Content-Type and Content-Disposition many times per message: with
    the header registry's parser that was most of a message's cost. The objects are the ones the registry
    makes for the same name and value, so the results are the same.
    """

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return _parsed_header(self.header_factory, name, _unfolded(value))


PARSE_POLICY = _MemoPolicy()


def read_email_file(path: Path) -> Iterator[SourceRecord]:
    """Yield one record per message of an ``.eml`` file or an mbox archive (``file:message N``)."""
    suffix = path.suffix.lower()
    if suffix == ".eml":
        yield message_record(path.read_bytes(), f"{path.name}")
    elif suffix == ".mbox":
        box = mailbox.mbox(str(path), create=False)
        try:
            for number, key in enumerate(box.iterkeys(), start=1):
                yield message_record(box.get_bytes(key), f"{path.name}:message {number}")
        finally:
            box.close()
    else:
        raise ValueError(f"{path}: unsupported e-mail file type {suffix!r} (use {', '.join(SUFFIXES)})")


def _decode_part(part: EmailMessage, what: str) -> str:
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except LookupError:  # an unknown charset name: most such mail is UTF-8 in practice
        charset = "utf-8"
    except UnicodeDecodeError as exc:
        raise RecordError(f"not valid {charset}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                          f"of the {what} part") from None
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        raise RecordError(f"not valid {charset}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                          f"of the {what} part") from None


# Header values whose header-registry text is known without the registry's parser: plain printable ASCII
# without encoded words, and for addresses and message ids only the plainest forms. Anything else is parsed.
_PLAIN = re.compile(r"[\x20-\x7e\t]*")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_MAILBOX = re.compile(rf"(?:[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{_ADDR_SPEC}>|{_ADDR_SPEC})")
_AS_IS = {"subject": None, "in-reply-to": None, "references": None, "content-language": None,
          "message-id": re.compile(rf"<{_ADDR_SPEC}>"), "from": _MAILBOX, "to": _MAILBOX}


def _first_headers(msg: EmailMessage) -> dict[str, object]:
    """The first raw value of each header of a message, by lower-cased name (what ``msg.get`` would read)."""
    first: dict[str, object] = {}
    for name, value in msg.raw_items():
        first.setdefault(name.lower(), value)
    return first


def _plain_header(msg: EmailMessage, name: str, first: dict | None = None) -> tuple[bool, str | None]:
    """Return (True, the text ``str(msg.get(name))`` would give) for a plain value, else (False, None).
    ``first``: the message's ``_first_headers``, when the caller reads several headers."""
    raw = (_first_headers(msg) if first is None else first).get(name.lower())
    if raw is None:
        return True, None
    if not isinstance(raw, str):
        return False, None
    key = name.lower()
    value = _unfolded(raw)
    if not _PLAIN.fullmatch(value) or "=?" in value:
        return False, None
    if key == "date":  # what the registry's DateHeader gives: the date re-formatted, or the text it cannot read
        try:
            return True, format_datetime(parsedate_to_datetime(value)) if value else ""
        except ValueError:
            return True, value
        except Exception:  # noqa: BLE001 - the registry's own path decides what such a value means
            return False, None
    if key in _AS_IS and (_AS_IS[key] is None or _AS_IS[key].fullmatch(value)):
        return True, value
    return False, None


def _header(msg: EmailMessage, name: str, first: dict | None = None) -> str | None:
    plain, value = _plain_header(msg, name, first)
    if plain:
        value = " ".join(value.split()) if value is not None else None
        return value or None
    try:
        value = msg.get(name)
    except (IndexError, ValueError, TypeError):  # a header the parser cannot even fold back
        raw = msg.get_all(name, failobj=[None])[0] if hasattr(msg, "get_all") else None
        value = str(raw) if raw is not None else None
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


# a mailbox in one of the plainest forms ("Name Words <addr-spec>" or a bare addr-spec): its display name and address
_PLAIN_MAILBOX = re.compile(rf"([A-Za-z0-9]+(?: [A-Za-z0-9]+)*) <({_ADDR_SPEC})>|({_ADDR_SPEC})")


def _mailbox(value: str) -> tuple[str, str]:
    """``parseaddr(value)``: (display name, address); a plain mailbox is split by a pattern, anything else parsed."""
    plain = _PLAIN_MAILBOX.fullmatch(value)
    if plain:
        return plain[1] or "", plain[2] or plain[3]
    return parseaddr(value)


def _addresses(value: str) -> list[str]:
    """The addresses ``getaddresses([value])`` finds in a To header; a plain mailbox is split by a pattern."""
    plain = _PLAIN_MAILBOX.fullmatch(value)
    if plain:
        return [plain[2] or plain[3]]
    return [a for _, a in getaddresses([value]) if a]


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def message_record(raw: bytes, location: str) -> SourceRecord:
    """Parse one RFC 5322 message into its record: headers, bodies and attachment metadata, never the attachments."""
    try:
        return _message_record(raw, location)
    except Exception as exc:  # the e-mail package has corners hostile input can reach; never lose the batch
        log.warning("%s: unparseable message", location, exc_info=True)
        return SourceRecord(location, {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()},
                            error=f"unparseable message ({type(exc).__name__}: {exc})", original=raw)


def _message_record(raw: bytes, location: str) -> SourceRecord:
    msg = BytesParser(policy=PARSE_POLICY).parsebytes(raw)
    attachments = []
    try:
        for part in msg.iter_attachments():
            data = part.get_payload(decode=True) or b""
            attachments.append({"filename": part.get_filename(), "content_type": part.get_content_type(),
                                "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        bodies = {}
        for kind in ("plain", "html"):
            part = msg.get_body(preferencelist=(kind,))
            if part is not None and part.get_content_type() == f"text/{kind}":
                bodies[kind] = _decode_part(part, f"text/{kind}")
    except RecordError as exc:
        return SourceRecord(location, {"message_id": _header(msg, "Message-ID"), "bytes": len(raw)},
                            error=str(exc), original=raw)
    first = _first_headers(msg)
    name, address = _mailbox(_header(msg, "From", first) or "")
    payload = {
        "message_id": (_ids(_header(msg, "Message-ID", first)) or [None])[0],
        "in_reply_to": (_ids(_header(msg, "In-Reply-To", first)) or [None])[0],
        "references": _ids(_header(msg, "References", first)),
        "from": address or None,
        "from_name": name or None,
        "to": _addresses(_header(msg, "To", first) or ""),
        "date": _header(msg, "Date", first),
        "subject": _header(msg, "Subject", first),
        "language": _header(msg, "Content-Language", first),
        "text": bodies.get("plain"),
        "html": bodies.get("html"),
        "attachments": attachments,
    }
    for key in ("subject", "date", "from", "from_name"):
        if isinstance(payload[key], str) and (reason := undecodable_reason(payload[key], f" in the {key} header")):
            return SourceRecord(location, {"message_id": payload["message_id"], "bytes": len(raw)}, error=reason,
                                original=raw)
    return SourceRecord(location, payload, original=raw)


# -- items -------------------------------------------------------------------------------------------------------

BLOCK_TAGS = ["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "section"]


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML body, one block per line (scripts, styles and quoted blocks dropped)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "blockquote"]):
        tag.decompose()
    for tag in soup.select("div.gmail_quote, div.gmail_signature, div[id=appendonsend], div.moz-cite-prefix"):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(BLOCK_TAGS):  # inline tags (<b>, <a>) stay inside their line
        block.insert_after("\n")
    text = soup.get_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


SIGN_OFF = re.compile(r"^(cheers|thanks|thank you|many thanks|best|regards|kind regards|best regards|warm regards|"
                      r"sincerely|yours|mit freundlichen|gr(ü|ue)(ss|ß)e|cordialement|saludos|groeten)\b[ ,.!]*(\n|$)",
                      re.I)


def _starts_at_line(items) -> bool:
    """True when every match of the parsed pattern ``items`` begins at a line start or at a newline character."""
    from re import _constants as c

    if not items:
        return False
    op, av = items[0]
    if op is c.AT:
        return av in (c.AT_BEGINNING, c.AT_BEGINNING_LINE, c.AT_BEGINNING_STRING)
    if op is c.LITERAL:
        return av == ord("\n")
    if op in (c.ASSERT, c.ASSERT_NOT) and av[0] == 1:  # a lookahead matches nothing: the next element decides
        return _starts_at_line(items[1:])
    if op is c.SUBPATTERN:
        return _starts_at_line(av[3])
    if op is c.BRANCH:
        return all(_starts_at_line(branch) for branch in av[1])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        return av[0] >= 1 and _starts_at_line(av[2])
    return False


def _line_anchored(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` with its match positions narrowed to line starts and newline characters, when no match of it
    can begin anywhere else: the same matches, but the engine no longer tries every alternative at every
    character (the reply parser's header pattern, 13 alternatives, 4x faster). Else ``pattern`` itself."""
    try:
        from re import _parser

        if not _starts_at_line(list(_parser.parse(pattern.pattern, pattern.flags))):
            return pattern
        return re.compile(r"(?:^|(?=\n))(?:" + pattern.pattern + ")", pattern.flags)
    except Exception:  # noqa: BLE001 - a private module of another Python version, inline flags: keep the pattern
        return pattern


_NO_MATCH = re.compile(r"(?!)")


@lru_cache(maxsize=64)
def _reply_regexes(languages: tuple[str, ...]) -> tuple:
    """The reply parser's patterns for ``languages`` (as its message normalised them), built once: its header
    pattern narrowed to line starts (``_line_anchored``: the same matches), its disclaimer pattern replaced by
    one that matches nothing (``own_words`` never reads the disclaimers), its signature pattern as it is."""
    from mailparser_reply.parser import EmailMessage as ReplyMessage

    message = ReplyMessage(text="", languages=list(languages))
    return _line_anchored(message.HEADER_REGEX), _NO_MATCH, message.SIGNATURE_REGEX


def _reply_parts(text: str, languages: tuple[str, ...]) -> list:
    """``EmailReplyParser(languages=...).read(text).replies`` with their content, headers and signatures (not
    their disclaimers), with the parser's patterns built once per set of languages (``_reply_regexes``): the
    parser builds and looks up three large patterns again for every message (about a third of its time per
    message), and its header search tried 13 alternatives at every character (most of the rest)."""
    from mailparser_reply import EmailReplyParser
    from mailparser_reply.parser import EmailMessage as ReplyMessage

    message = ReplyMessage(text=text, languages=list(EmailReplyParser(languages=list(languages)).languages))
    message._header_regex, message._disclaimers_regex, message._signature_regex = _reply_regexes(
        tuple(message.languages))
    return message.read().replies


def own_words(text: str, languages: tuple[str, ...] = EmailOptions.languages) -> str:
    """Return the newest reply of a message body without quoted replies, headers of quotes or the signature."""
    text = text.replace("\r\n", "\n")
    text = re.split(r"^-- ?$", text, maxsplit=1, flags=re.M)[0]  # the RFC 3676 signature separator
    try:
        replies = _reply_parts(text, languages)
    except Exception:  # the parser is heuristic: its failure must not lose the message
        log.warning("reply parser failed; keeping the body without quoted lines", exc_info=True)
        replies = []
    if replies:
        newest = replies[0]
        text = newest.content if newest.headers is None else newest.content.replace(newest.headers, "", 1)
        signature = (newest.signatures or "").strip()
        # The parser's signature pattern also matches a sentence that starts "Thanks, ..."; drop only a
        # short block of short lines, which is what signatures look like.
        if signature and signature.count("\n") < 6 and all(len(line) <= 60 for line in signature.splitlines()):
            text = text[:text.rfind(signature)] if signature in text else text
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines).strip())
    if len(paragraphs) > 1 and SIGN_OFF.match(paragraphs[-1]) and paragraphs[-1].count("\n") < 4:
        paragraphs.pop()  # a sign-off block the parser did not recognise: "Cheers\nBob"
    return "\n\n".join(paragraphs).strip()


def _ignored(address: str | None, ignore: tuple[str, ...]) -> bool:
    address = (address or "").lower()
    return any(address == rule.lower() or (rule.startswith("@") and address.endswith(rule.lower()))
               for rule in ignore)


DEFAULT_OPTIONS = EmailOptions()


def to_items(record: SourceRecord, source: str, options: EmailOptions = DEFAULT_OPTIONS) -> list[dict]:
    """Return the item of one message (none for the company's own mail), or raise ``RecordError``."""
    msg = record.payload
    if not isinstance(msg, dict):
        raise RecordError("a message must be an object of header and body fields")
    key = msg.get("message_id")
    if not key:
        raise RecordError("message_id: the message has no Message-ID header")
    if not msg.get("date"):
        raise RecordError("occurred_at: the message has no Date header")
    when = parse_when(msg["date"], "the Date header")
    if _ignored(msg.get("from"), options.ignore_senders):
        return []
    body = msg.get("text") or (html_to_text(msg["html"]) if msg.get("html") else "")
    text = own_words(body, options.languages) or msg.get("subject")
    if not text:
        raise RecordError("text: no words of the sender's own after removing quoted replies and the signature")
    references = msg.get("references") or []
    context = {
        "thread_key": (references or [msg.get("in_reply_to") or key])[0],
        "parent_key": msg.get("in_reply_to"),
        "title": msg.get("subject"),
        "attachments": msg.get("attachments") or [],
    }
    return [{
        "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "email",
        "aided": False, "occurred_at": when, "customer_ids": {"email": msg["from"]} if msg.get("from") else {},
        "text": text, "language": language(msg.get("language")), "raw_ref": record.location,
        "context": {k: v for k, v in context.items() if v},
    }]


# -- IMAP --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in. The password comes from the environment, never from a file."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int | None = None
    ssl: bool = True
    mailbox: str = "INBOX"
    batch_size: int = 100
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0

    @property
    def state_key(self) -> str:
        return f"imap:{self.username}@{self.host}/{self.mailbox}"


@dataclass(frozen=True)
class ImapBatch:
    """Messages fetched by UID, and the mailbox state to store with them."""

    records: list[SourceRecord]
    state: dict


class ImapError(RuntimeError):
    """The mailbox cannot be read (login refused, mailbox missing, retries exhausted)."""


class ImapReader:
    """Fetch the messages of one mailbox newer than the stored UID, in batches, reconnecting on drops."""

    def __init__(self, settings: ImapSettings, state: dict | None = None) -> None:
        self.settings = settings
        self.state = dict(state or {})
        self._conn: imaplib.IMAP4 | None = None
        self.uidvalidity: int | None = None
        self.reconnects = 0

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        cls = imaplib.IMAP4_SSL if s.ssl else imaplib.IMAP4
        conn = cls(s.host, s.port or (993 if s.ssl else 143), timeout=s.timeout)
        try:
            conn.login(s.username, s.password)
        except imaplib.IMAP4.error as exc:
            conn.shutdown()
            raise ImapError(f"imap://{s.host}: login refused for {s.username!r}: {exc}") from None
        typ, _ = conn.select(_quote(s.mailbox), readonly=True)  # read-only: fetching never changes flags
        if typ != "OK":
            conn.logout()
            raise ImapError(f"imap://{s.host}: mailbox {s.mailbox!r} cannot be selected")
        validity = int(conn.response("UIDVALIDITY")[1][0])
        if self.uidvalidity is not None and validity != self.uidvalidity:
            raise ImapError(f"imap://{s.host}/{s.mailbox}: UIDVALIDITY changed during the run; run again")
        self.uidvalidity = validity
        return conn

    def _with_retries(self, action):
        """Run ``action(conn)``; on a dropped connection reconnect with backoff, at most ``retries`` times."""
        for attempt in range(self.settings.retries + 1):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                return action(self._conn)
            except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
                self._drop()
                if attempt == self.settings.retries:
                    raise ImapError(f"imap://{self.settings.host}: connection failed {attempt + 1} times: {exc}") \
                        from exc
                self.reconnects += 1
                log.warning("IMAP connection lost (%s); reconnecting", exc)
                time.sleep(self.settings.backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.shutdown()
            except OSError:
                pass
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self._conn = None

    def batches(self) -> Iterator[ImapBatch]:
        """Yield batches of new messages in UID order; each carries the state to store with it."""
        try:
            self._with_retries(lambda conn: None)
            last = int(self.state.get("last_uid", 0)) if self.state.get("uidvalidity") == self.uidvalidity else 0
            uids = self._with_retries(lambda conn: self._search(conn, last))
            for start in range(0, len(uids), self.settings.batch_size):
                chunk = uids[start:start + self.settings.batch_size]
                fetched = self._with_retries(lambda conn, chunk=chunk: self._fetch(conn, chunk))
                records = [message_record(raw, self.location(uid)) for uid, raw in sorted(fetched.items())]
                yield ImapBatch(records, {"uidvalidity": self.uidvalidity, "last_uid": max(chunk)})
        finally:
            self.close()

    def location(self, uid: int) -> str:
        s = self.settings
        return f"imap://{s.host}/{s.mailbox};UIDVALIDITY={self.uidvalidity};UID={uid}"

    @staticmethod
    def _search(conn: imaplib.IMAP4, last: int) -> list[int]:
        typ, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
        if typ != "OK":
            raise ImapError(f"UID SEARCH failed: {data!r}")
        # ``N:*`` always matches the newest message, even when its UID is below N
        return sorted(uid for uid in map(int, (data[0] or b"").split()) if uid > last)

    @staticmethod
    def _fetch(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
        typ, data = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        if typ != "OK":
            raise ImapError(f"UID FETCH failed: {data!r}")
        out = {}
        for entry in data:
            if isinstance(entry, tuple) and (match := re.search(rb"UID (\d+)", entry[0])):
                out[int(match.group(1))] = entry[1]
        missing = set(uids) - set(out)
        if missing:  # expunged between SEARCH and FETCH: nothing to store for them
            log.info("UIDs %s vanished before they were fetched", sorted(missing))
        return out


def _quote(mailbox_name: str) -> str:
    return '"' + mailbox_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
