"""The local SMTP server's mailbox (``settings.DEMO_MAILBOX_DIR``), read for the /mailbox/
page: one ``.eml`` file per message, named so that newer messages sort last.

Only the local settings set the folder; everywhere else these functions find nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

# Names the local server gives its files: a timestamp, then a random part.
MESSAGE_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8}$")
HEADERS_ONLY = BytesParser(policy=policy.default)


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageSummary:
    name: str
    subject: str
    sender: str
    to: str
    date: object


def mailbox_dir() -> Path | None:
    """The mailbox folder, or None when the page is off (no setting)."""
    folder = getattr(settings, "DEMO_MAILBOX_DIR", None)
    return Path(folder) if folder else None


def message_names() -> list[str]:
    """Every message name, newest first."""
    folder = mailbox_dir()
    if folder is None or not folder.is_dir():
        return []
    names = [path.stem for path in folder.glob("*.eml") if MESSAGE_NAME.match(path.stem)]
    return sorted(names, reverse=True)


def _path(name: str) -> Path | None:
    folder = mailbox_dir()
    if folder is None or not MESSAGE_NAME.match(name):
        return None
    path = folder / f"{name}.eml"
    return path if path.is_file() else None


def _date(message: EmailMessage):
    try:
        return parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        return None


def summaries(names: list[str]) -> list[MessageSummary]:
    """The headers of the named messages (a page of the list), parsed without the bodies."""
    result = []
    for name in names:
        path = _path(name)
        if path is None:
            continue
        with path.open("rb") as handle:
            message = HEADERS_ONLY.parse(handle, headersonly=True)
        result.append(
            MessageSummary(
                name=name,
                subject=str(message["Subject"] or ""),
                sender=str(message["From"] or ""),
                to=str(message["To"] or ""),
                date=_date(message),
            )
        )
    return result


def read_message(name: str) -> EmailMessage | None:
    """The whole message, or None when there is no such message (or no mailbox)."""
    path = _path(name)
    if path is None:
        return None
    return HEADERS_ONLY.parsebytes(path.read_bytes())


def text_body(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def _payload(part: Message) -> bytes:
    """The decoded bytes of a MIME part (none for a multipart container)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def attachments(message: EmailMessage) -> list[Attachment]:
    return [
        Attachment(
            index=index,
            filename=part.get_filename() or f"piece-{index + 1}",
            content_type=part.get_content_type(),
            size=len(_payload(part)),
        )
        for index, part in enumerate(message.iter_attachments())
    ]


def attachment_content(message: EmailMessage, index: int) -> tuple[Attachment, bytes] | None:
    """One attachment's description and bytes, by its position."""
    for position, part in enumerate(message.iter_attachments()):
        if position == index:
            content = _payload(part)
            info = Attachment(
                index=index,
                filename=part.get_filename() or f"piece-{index + 1}",
                content_type=part.get_content_type(),
                size=len(content),
            )
            return info, content
    return None
