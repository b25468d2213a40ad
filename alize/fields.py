"""Model fields shared by the apps."""

from typing import Any

from django.db import models


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
