"""What the loans models share: the cent and the zero of money columns."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
