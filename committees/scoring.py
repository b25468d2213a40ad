"""The optional scoring grid, computed: each organisation's weighted score of a dossier
(Σ weight × score ÷ Σ weight over the criteria it scored), then, per dossier, the average
of the organisations' weighted scores and their spread (lowest–highest), to one decimal.
Scores inform the tour de table; they are never a vote. Pure: the rows are loaded by
``committees.selectors``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def weighted_score(marks: Iterable[tuple[int, int]]) -> Decimal:
    """Σ weight × score ÷ Σ weight of ``(weight, score)`` pairs (not rounded)."""
    pairs = list(marks)
    total_weight = sum(weight for weight, _score in pairs)
    if not total_weight:
        raise ValueError("A weighted score needs at least one weighted mark.")
    return Decimal(sum(weight * score for weight, score in pairs)) / Decimal(total_weight)


@dataclass(frozen=True)
class DossierScoring:
    """A dossier's scores: the average and the spread of the organisations' weighted
    scores, and how many organisations scored."""

    average: Decimal
    low: Decimal
    high: Decimal
    organisations: int


def dossier_scoring(by_organisation: dict[int, list[tuple[int, int]]]) -> DossierScoring | None:
    """The scoring of a dossier from each organisation's ``(weight, score)`` marks; None
    when no organisation scored it."""
    weighted = [weighted_score(marks) for marks in by_organisation.values() if marks]
    if not weighted:
        return None
    return DossierScoring(
        average=one_decimal(sum(weighted, Decimal(0)) / len(weighted)),
        low=one_decimal(min(weighted)),
        high=one_decimal(max(weighted)),
        organisations=len(weighted),
    )
