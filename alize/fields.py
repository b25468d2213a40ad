"""Model fields shared by the apps."""

from typing import Any

from django.conf import settings
from django.db import models

from alize.forms import MoneyInputField


class MoneyField(models.DecimalField):
    """An amount in euros, exact to the cent: a ``Decimal`` with two decimal places, never a
    float. ``max_digits`` defaults to 14 (up to a thousand billion euros); advances use 12."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_digits", 14)
        kwargs["decimal_places"] = 2
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        """Model forms read the amount as every money input does (``MoneyInputField``)."""
        return super().formfield(**{"form_class": MoneyInputField, **kwargs})


def user_field(verbose_name, *, on_delete=models.SET_NULL, null: bool = True) -> models.ForeignKey:
    """The person who did something to a row (``proposed_by``, ``approved_by``…): a user
    with no reverse accessor, kept null when the account goes unless ``on_delete`` says
    otherwise (``PROTECT`` where the name must stay, as for a write-off's signatures)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        null=null,
        blank=null,
        related_name="+",
        verbose_name=verbose_name,
    )
