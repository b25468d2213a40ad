"""What the missions selectors share."""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal("0")
