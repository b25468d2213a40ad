"""Reads of the reference lists: resolve what people type (postal code, name, INSEE code) to
a commune, and NAF codes to their labels."""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from partners.models import Commune, NafCode

from .loader import read_nace_english, search_key

EXPLICIT_CODE = re.compile(r"\((\d{5}|2[AB]\d{3})\)\s*$", re.IGNORECASE)
CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)


def commune_label(commune: Commune) -> str:
    """« Valenciennes (59606) »: what the autocomplete offers and the resolver reads back."""
    return f"{commune.name} ({commune.code})"


def clear_reference_caches() -> None:
    """Forget what this process has read of the reference lists (after a refresh)."""
    _candidates.cache_clear()
    _commune.cache_clear()
    _NAF_LABELS.clear()


def commune_candidates(value: str, *, limit: int = 20) -> list[Commune]:
    """Communes matching ``value``: « Name (INSEE) » is exact; five characters match the
    INSEE code and the postal codes together; anything else matches names.

    Answers are kept per process (the reference changes once a year, by a command that
    clears them), so an import of 2 000 lines reads each distinct value once."""
    return list(_candidates((value or "").strip(), limit))


def commune_by_code(code: str) -> Commune | None:
    """The commune of an INSEE code, or None; kept per process like the candidates."""
    return _commune((code or "").strip().upper())


@lru_cache(maxsize=4096)
def _commune(code: str) -> Commune | None:
    return Commune.objects.filter(code=code).first() if code else None


@lru_cache(maxsize=4096)
def _candidates(value: str, limit: int) -> tuple[Commune, ...]:
    return tuple(_query_candidates(value, limit))


def _query_candidates(value: str, limit: int) -> list[Commune]:
    if not value:
        return []
    if match := EXPLICIT_CODE.search(value):
        return list(Commune.objects.filter(code=match.group(1).upper()))
    if CODE.match(value):
        code = value.upper()
        return list(
            Commune.objects.filter(Q(code=code) | Q(postal_codes__contains=[code])).order_by(
                "name", "code"
            )[:limit]
        )
    key = search_key(value)
    exact = list(Commune.objects.filter(search_name=key)[:limit])
    if exact:
        return exact
    return list(Commune.objects.filter(search_name__startswith=key)[:limit])


def commune_resolve(value: str, *, name: str = "") -> Commune:
    """The one commune ``value`` designates, or a ``ValidationError`` that lists the
    candidates (a postal code shared by several communes) or says it is unknown. A commune
    ``name``, when given, picks among several candidates."""
    value = (value or "").strip()
    candidates = commune_candidates(value)
    if len(candidates) > 1 and name:
        key = search_key(name)
        narrowed = [c for c in candidates if c.search_name == key]
        candidates = narrowed or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValidationError(
            _("Commune inconnue : « %(value)s » (code postal, nom ou code INSEE attendu).")
            % {"value": value},
            code="unknown_commune",
        )
    raise ValidationError(
        _("« %(value)s » désigne plusieurs communes : %(candidates)s. Précisez laquelle.")
        % {"value": value, "candidates": ", ".join(commune_label(c) for c in candidates)},
        code="ambiguous_commune",
    )


def communes_by_code(codes) -> dict[str, Commune]:
    """The communes of ``codes`` in one query, keyed by INSEE code."""
    return {c.code: c for c in Commune.objects.filter(code__in=list(codes))}


_NAF_LABELS: dict[str, str] = {}


def _naf_labels() -> dict[str, str]:
    if not _NAF_LABELS:  # read once per process, but never cache an empty table
        _NAF_LABELS.update(NafCode.objects.values_list("code", "label"))
    return _NAF_LABELS


def naf_label(code: str) -> str:
    """The NAF rev. 2 label of ``code`` in the active language ('' when unknown). The list
    is read once per process.

    INSEE names the sub-classes in French only; in English a sub-class (« 25.62B ») reads
    as the English title of its NACE rev. 2 class (« 25.62 »), which NAF refines, or of its
    division when the class had none (``data/nace_rev2_en.csv``)."""
    label = _naf_labels().get(code or "", "")
    if label and (get_language() or "fr").startswith("en"):
        english = read_nace_english()
        return english.get(code[:5]) or english.get(code[:2]) or label
    return label


def naf_exists(code: str) -> bool:
    return NafCode.objects.filter(code=code).exists()
