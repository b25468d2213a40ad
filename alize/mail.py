"""The one way the platform sends e-mail: ``send_once``, idempotent by a key.

A mail is rendered from ``templates/mail/<template>/subject.txt``, ``body.txt`` and, when
present, ``body.html``, in the recipient's language (``User.language``, or ``language=``),
and sent through Django's e-mail backend (SMTP from the environment in production, the
local SMTP server of ``make run``, a real test SMTP server in the e-mail tests).

Idempotency. Each mail has a key that is unique forever (``SentMail.key``). Before talking
to the SMTP server, ``send_once`` *claims* the key by inserting its row with the status
"sending" and commits that row at once, on a connection of its own when the caller is
inside a transaction (a job's or a request's), so that:

- the same key never sends twice, also when a job runs twice or two workers run it at the
  same time: the second insert meets the unique key (waiting for the first claim to commit
  if need be) and ``send_once`` returns ``False``;
- a caller whose transaction rolls back after the SMTP server accepted the mail cannot
  erase the claim, so a retried job does not send it again.

After the SMTP server accepts the message the row becomes "sent". A refused or failed SMTP
exchange marks it "failed" with the error and re-raises: the next ``send_once`` with that
key claims it again (one of two concurrent retries wins) and retries.

A worker killed between the SMTP acceptance and the row update leaves the row "sending".
That mail may or may not have left, and the platform prefers no duplicate to a possible
duplicate: a "sending" row is never sent again automatically. The coordination sees such
rows in the admin ("E-mails envoyés", status "en cours d'envoi") and may mark one "failed"
there to have it sent again by the next run.

Since the claim is made on another connection, a caller must not hold, in its own open
transaction, an uncommitted write to the same ``SentMail`` row (the claim would wait for
it forever); only the admin's release writes these rows besides this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from email.utils import make_msgid
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext

from alize.models import SentMail, SentMailStatus

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]


def absolute_url(path: str) -> str:
    """``path`` (e.g. a ``reverse`` result) as an absolute link for a mail body."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def send_once(
    *,
    key: str,
    to,
    template: str,
    context: Mapping | None = None,
    language: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> bool:
    """Send the mail ``template`` to ``to`` (a User or an address) unless ``key`` was
    already claimed; returns whether this call sent it.

    ``context`` holds plain values (ids, names, links); ``site_url`` and ``recipient_name``
    are added. ``attachments`` are ``(file name, bytes, MIME type)`` triples. An SMTP
    failure marks the key "failed" (retried by the next call) and is raised.
    """
    if not key or len(key) > cast(int, SentMail._meta.get_field("key").max_length):
        raise ValueError("A mail key is required and holds at most 255 characters.")
    address, name, language = _recipient(to, language)
    with translation.override(language):
        values = {"site_url": settings.SITE_URL, "recipient_name": name, **(context or {})}
        subject = " ".join(_render(f"mail/{template}/subject.txt", values).split())
        body = _render(f"mail/{template}/body.txt", values)
        try:
            html = get_template(f"mail/{template}/body.html").render(values)
        except TemplateDoesNotExist:
            html = None
    subject = subject[: SentMail._meta.get_field("subject").max_length]

    if not _claim(key=key, address=address, template=template, language=language, subject=subject):
        logger.info("Mail %s already claimed: not sent again.", key)
        return False
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": make_msgid(domain="alize"), "Auto-Submitted": "auto-generated"},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    try:
        message.send(fail_silently=False)
    except Exception as error:
        _settle(key, status=SentMailStatus.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    _settle(key, status=SentMailStatus.SENT, error="")
    return True


@transaction.atomic
def sent_mails_release(*, ids: list[int]) -> int:
    """Mark the given "sending" mails (left by a worker stopped mid-send) "failed", so that
    the next ``send_once`` with their key sends them; returns how many were released."""
    return SentMail.objects.filter(pk__in=ids, status=SentMailStatus.SENDING).update(
        status=SentMailStatus.FAILED,
        error=gettext("Renvoi demandé par la coordination."),
    )


def _recipient(to, language: str | None) -> tuple[str, str, str]:
    """(address, display name, language) of a User or a plain address."""
    available = {code for code, _label in settings.LANGUAGES}
    if isinstance(to, get_user_model()) and to.email:
        address, name, preferred = to.email, to.get_full_name(), to.language
    elif isinstance(to, str) and "@" in to:
        address, name, preferred = to.strip(), "", None
    else:
        raise ValueError(f"Cannot send a mail to {to!r}: give a User or an e-mail address.")
    chosen = language or preferred or settings.LANGUAGE_CODE
    return address, name, chosen if chosen in available else settings.LANGUAGE_CODE


def _render(name: str, values: Mapping) -> str:
    """A plain-text template rendered without HTML escaping (mail text is not HTML)."""
    return Engine.get_default().get_template(name).render(Context(dict(values), autoescape=False))


@contextmanager
def _claim_connection():
    """A connection whose statements commit at once: the default one when no transaction
    is open, else a connection of its own (closed afterwards), so that the claim outlives
    a rollback of the caller's transaction and concurrent claimers see it."""
    if not connection.in_atomic_block:
        yield connection
        return
    aside = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield aside
    finally:
        aside.close()


def _claim(*, key: str, address: str, template: str, language: str, subject: str) -> bool:
    """Insert the key as "sending", or take back a "failed" one; False when it is taken."""
    table = SentMail._meta.db_table
    now = timezone.now()
    with _claim_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's own
            "(key, recipient, template, language, subject, status, attempts, claimed_at, error)"
            " VALUES (%s, %s, %s, %s, %s, %s, 1, %s, '') ON CONFLICT (key) DO NOTHING"
            " RETURNING id",
            [key, address, template, language, subject, SentMailStatus.SENDING, now],
        )
        if cursor.fetchone() is not None:
            return True
        cursor.execute(
            f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_at = %s, "  # noqa: S608
            "recipient = %s, subject = %s, language = %s, error = '' "
            "WHERE key = %s AND status = %s RETURNING id",
            [SentMailStatus.SENDING, now, address, subject, language, key, SentMailStatus.FAILED],
        )
        return cursor.fetchone() is not None


def _settle(key: str, *, status: str, error: str) -> None:
    """Record the outcome of the SMTP exchange on the claimed row."""
    table = SentMail._meta.db_table
    sent_at = timezone.now() if status == SentMailStatus.SENT else None
    with _claim_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, error = %s WHERE key = %s",  # noqa: S608
            [status, sent_at, error, key],
        )
