"""The one application error raised by services and rendered by web and API layers."""


class ApplicationError(Exception):
    """A refused business operation, with an optional field it concerns."""

    def __init__(self, message, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.extra = extra or {}

    def field_errors(self) -> dict:
        return {self.field or "non_field_errors": [self.message]}
