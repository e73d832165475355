"""Keep secrets out of httpx's and httpcore's log records.

httpx logs every request URL at INFO and httpcore traces each step at DEBUG, response headers included. The
sources.yaml check and ``TicketApiSettings`` refuse credentials in URLs; this filter is the second line: a
``user:password@`` in a URL or the value of an authorization or cookie header is masked before any handler
sees the record.
"""

from __future__ import annotations

import logging
import re

# Logger filters do not apply to child loggers' records, so each logger the two libraries use is named.
HTTP_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
                "httpcore.socks")
_USERINFO = re.compile(r"(?<=://)[^/@\s'\"]+@")
_HEADER = re.compile(r"(?i)(b?['\"](?:proxy-)?authorization['\"],\s*b?['\"]|b?['\"](?:set-)?cookie['\"],\s*b?['\"])"
                     r"[^'\"]*")


class HideSecrets(logging.Filter):
    """Mask URL credentials and authorization/cookie header values in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _HEADER.sub(r"\1***", _USERINFO.sub("***@", message))
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = HideSecrets()


def hide_secrets_in_http_logs() -> None:
    """Attach the filter to every httpx/httpcore logger (idempotent)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
