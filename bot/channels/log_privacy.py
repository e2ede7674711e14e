"""No conversation id in any log line of the assistant's servers.

A conversation id lets whoever holds it read or continue the conversation through the REST channel,
and Rasa writes it into some of its own messages (« Circuit breaker tripped … for sender '…' »). Every
log record made in the process goes through the record factory installed here, which replaces such ids
with « … » before any handler sees them, whatever the handler or the level.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# « sender 'x' », « sender_id: x », « conversation ID 'x' », « conversation_id=x ».
CONVERSATION_ID = re.compile(
    r"(?P<label>\b(?:sender(?:[ _]id)?|conversation[ _](?:id|ID))\b['\"]?\s*[:=]?\s*)(?P<quote>['\"]?)[^\s'\",)]+(?P=quote)",
    re.IGNORECASE,
)
_original = logging.getLogRecordFactory()


def redact(text: str) -> str:
    return CONVERSATION_ID.sub(lambda m: f"{m['label']}{m['quote']}…{m['quote']}", text)


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _original(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 — a malformed record is left to logging's own error path
        return record
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    return record


if getattr(logging.getLogRecordFactory(), "__module__", "") != __name__:  # installed once
    logging.setLogRecordFactory(_record)
