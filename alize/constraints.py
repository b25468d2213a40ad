"""Check constraints that report a violation on the field at fault."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models


class FieldCheckConstraint(models.CheckConstraint):
    """A ``CheckConstraint`` whose violation ``full_clean`` reports on ``field``, so forms
    and the API name that field instead of a bare non-field error (or a database 500)."""

    def __init__(self, *args, field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.field = field

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        if isinstance(other, FieldCheckConstraint):
            return super().__eq__(other) and self.field == other.field
        return super().__eq__(other)

    __hash__ = models.CheckConstraint.__hash__
