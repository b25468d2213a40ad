"""The indicators layer (docs/architecture.md §14).

One definition per figure. Each app publishes its own figures in its ``indicators.py``: the
``Indicator`` definitions (what it counts, from which date, what it excludes) and a
``Source`` that computes them for one dispositif, every year and month, from its own rows.
The computed cells are kept in ``IndicatorFact`` (per dispositif, year, month and, for the
partner firms' figures, firm); writes to the rows behind them mark the dispositif stale and a
scoped job recomputes it. Reports, dashboards, the API and exports read the facts through
``alize.indicators.reading`` and nothing else; ``manage.py check_indicators`` proves that the
kept facts equal a recomputation from scratch.
"""

from .registry import (
    INDICATORS,
    SOURCES,
    Cell,
    Indicator,
    Kind,
    Source,
    Unit,
    indicator,
)
from .wiring import register_source

__all__ = [
    "INDICATORS",
    "SOURCES",
    "Cell",
    "Indicator",
    "Kind",
    "Source",
    "Unit",
    "indicator",
    "register_source",
]
