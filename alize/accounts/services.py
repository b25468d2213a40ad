"""Writes to accounts that the views need (the rest goes through the admin)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError

from .models import User


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Store the language a person chose (their interface and their e-mails)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ApplicationError(_("Langue inconnue."), field="language", code="unknown_language")
    user.language = language
    user.save(update_fields=["language"])
    return user
