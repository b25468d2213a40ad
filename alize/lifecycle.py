"""One way to move a row through its states, for every state machine of the platform.

A ``Lifecycle`` holds a model's table of allowed moves (``Transitions``), the moves that must
say why (``ReasonRule``) and its log (a ``alize.models.TransitionLog``). ``move`` locks the
row, checks the move against the table and the reason rule, saves the new state and writes
the log row (who, when, from, to, why). Every illegal move is refused with one
``ApplicationError`` coded ``illegal_transition``, carrying the app's own message and field.

An app's own checks (a stage reached only through a committee…) run between ``lock`` and
``move(..., locked=True)``; a move the app allows outside the table (reopening an abandoned
project) passes ``check=False`` after the app has checked it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Field
from django.utils import timezone

from alize.errors import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from alize.models import TransitionLog

ILLEGAL_TRANSITION = "illegal_transition"

# Each state → the states a row may move to next (an end state maps to an empty set).
Transitions = Mapping[str, frozenset[str]]
# The model whose rows a lifecycle moves.
_Row = TypeVar("_Row", bound=models.Model)


@dataclass(frozen=True)
class ReasonRule:
    """The moves that must say why, in at least ``min_length`` characters once stripped.

    ``applies(current, target)`` picks the moves; ``message`` (or ``message(current,
    target)`` when it differs by move) is formatted with ``min`` and ``count``, both the
    minimum length."""

    applies: Callable[[str, str], bool]
    message: StrOrPromise | Callable[[str, str], StrOrPromise]
    field: str = "reason"
    code: str = "invalid"
    min_length: int = 10

    def clean(self, reason: str | None, *, current: str, target: str) -> str:
        """The reason stripped, or a refusal when the move needs a longer one."""
        reason = (reason or "").strip()
        if len(reason) >= self.min_length or not self.applies(current, target):
            return reason
        message = self.message(current, target) if callable(self.message) else self.message
        raise ApplicationError(
            str(message) % {"min": self.min_length, "count": self.min_length},
            field=self.field,
            code=self.code,
        )


class Lifecycle(Generic[_Row]):
    """The state machine of one model: its table of moves, its reason rule and its log.

    ``illegal_message`` is formatted with the labels of ``current`` and ``target``, and
    ``unknown_message`` (a target that is no state) with ``state`` or the state field's
    name; the refusal names ``field``. ``changed_at_field`` (if any) takes the time of each
    move, and the lock also reads (and locks) the relations in ``lock_related``."""

    def __init__(
        self,
        *,
        model: type[_Row],
        state_field: str,
        transitions: Transitions,
        log: type[TransitionLog],
        illegal_message: StrOrPromise,
        field: str = "status",
        unknown_message: StrOrPromise | None = None,
        changed_at_field: str | None = None,
        reason: ReasonRule | None = None,
        lock_related: Sequence[str] = (),
    ):
        self.model = model
        self.state_field = state_field
        self.transitions = transitions
        self.log = log
        self.illegal_message = illegal_message
        self.field = field
        self.unknown_message = unknown_message
        self.changed_at_field = changed_at_field
        self.reason = reason
        self.lock_related = tuple(lock_related)
        self.states = [value for value, _label in self._choices()]
        self._check_table()

    def _check_table(self) -> None:
        """Every state has a row in the table, and every move leads to a known state."""
        missing = set(self.states) - set(self.transitions)
        unknown = {
            target
            for targets in self.transitions.values()
            for target in targets
            if target not in self.states
        } | (set(self.transitions) - set(self.states))
        if missing or unknown:
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.state_field}: transitions table without "
                f"{sorted(missing)}, with unknown states {sorted(unknown)}"
            )

    # -- Reading the table ---------------------------------------------------------------

    def allowed(self, current: str) -> frozenset[str]:
        """The states a row in ``current`` may move to (none for an unknown state)."""
        return self.transitions.get(current, frozenset())

    def next_states(self, current: str) -> list[str]:
        """The allowed next states in the order of the model's choices."""
        allowed = self.allowed(current)
        return [state for state in self.states if state in allowed]

    def label(self, state: str | None) -> str:
        """The state's label in the active language (the raw value when unknown)."""
        if state is None:
            return ""
        return str(dict(self._choices()).get(state, state))

    def _choices(self) -> list[tuple[str, str]]:
        """The state field's (value, label) pairs."""
        field = self.model._meta.get_field(self.state_field)
        assert isinstance(field, Field), f"{self.state_field} is a column, not a relation"
        return list(field.flatchoices)

    # -- Refusing --------------------------------------------------------------------------

    def illegal(
        self,
        message: str | None = None,
        *,
        current: str | None = None,
        target: str | None = None,
        field: str | None = None,
    ) -> ApplicationError:
        """The refusal of an illegal move: ``message``, or the table's message naming
        ``current`` and ``target``; raise it."""
        if message is None:
            message = str(self.illegal_message) % {
                "current": self.label(current),
                "target": self.label(target),
            }
        return ApplicationError(message, field=field or self.field, code=ILLEGAL_TRANSITION)

    def check(self, current: str, target: str) -> None:
        """Refuse an unknown state, or a move the table does not allow."""
        if target not in self.states and self.unknown_message is not None:
            values = {"state": target, self.state_field: target}
            raise self.illegal(str(self.unknown_message) % values)
        if target not in self.allowed(current):
            raise self.illegal(current=current, target=target)

    def clean_reason(self, reason: str | None, *, current: str, target: str) -> str:
        """The reason stripped; refused when the reason rule asks for a longer one."""
        if self.reason is None:
            return (reason or "").strip()
        return self.reason.clean(reason, current=current, target=target)

    # -- Moving ----------------------------------------------------------------------------

    def lock(self, instance: _Row) -> _Row:
        """Lock the row (``SELECT … FOR UPDATE``, in the active scope) until the transaction
        ends and reload it into ``instance`` (Django's ``refresh_from_db``: relations other
        than ``lock_related`` are read again when next used); returns ``instance``."""
        queryset = self.model._default_manager.select_for_update()
        if self.lock_related:
            queryset = queryset.select_related(*self.lock_related)
        instance.refresh_from_db(from_queryset=queryset)
        return instance

    def move(
        self,
        instance: _Row,
        target: str,
        *,
        by,
        reason: str | None = "",
        at=None,
        changes: Mapping[str, object] | None = None,
        locked: bool = False,
        check: bool = True,
    ) -> TransitionLog:
        """Move ``instance`` to ``target`` and log who, when and why; returns the log row.

        The row is locked first unless the caller did (``locked=True``, through ``lock``).
        ``changes`` are other fields saved with the move (a project's committee dates);
        ``check=False`` skips the table for a move the app allows outside it."""
        if not locked:
            self.lock(instance)
        current = getattr(instance, self.state_field)
        if check:
            self.check(current, target)
        reason = self.clean_reason(reason, current=current, target=target)
        at = at or timezone.now()
        values = {self.state_field: target, **(changes or {})}
        if self.changed_at_field:
            values[self.changed_at_field] = at
        for name, value in values.items():
            setattr(instance, name, value)
        self.save_moved(instance, [*values, *self._auto_now_fields()], at=at)
        return self.record(
            instance, from_state=current, to_state=target, by=by, at=at, reason=reason
        )

    def record_start(self, instance: _Row, *, by, reason: str = "", at=None):
        """Log a new row's first state (from nothing), at its ``changed_at_field`` time."""
        if at is None and self.changed_at_field:
            at = getattr(instance, self.changed_at_field)
        return self.record(
            instance,
            from_state="",
            to_state=getattr(instance, self.state_field),
            by=by,
            at=at or timezone.now(),
            reason=reason,
        )

    def record(self, instance, *, from_state: str, to_state: str, by, at, reason: str = ""):
        """Write one log row."""
        entry = self.log.entry(
            instance, from_state=from_state, to_state=to_state, by=by, at=at, reason=reason
        )
        entry.save()
        return entry

    def save_moved(self, instance: _Row, update_fields: list[str], *, at) -> None:
        """Save the moved columns; a lifecycle with more to do on save overrides this."""
        instance.save(update_fields=update_fields)

    def _auto_now_fields(self) -> list[str]:
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if getattr(field, "auto_now", False)
        ]
