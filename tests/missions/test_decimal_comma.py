"""Hours typed the French way: « 3,5 » is three and a half hours wherever hours are typed
(the week grid's cells, a mission's planned hours, an adjustment), never 35; the inputs are
text inputs, since a number input in a French browser drops the comma."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from missions import grid
from missions.forms import AdjustmentForm, ProposeMissionForm
from missions.models import SkillMission
from partners.models import Expert, Organisation, Skill


@pytest.mark.parametrize("typed", ["3,5", "3.5", " 3,50 ", "3\u00a0,5"])
def test_a_grid_cell_reads_a_comma_or_a_point(typed):
    assert grid.parse_hours(typed) == Decimal("3.5")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.django_db
def test_planned_and_adjusted_hours_read_a_decimal_comma_in_either_language(language):
    with translation.override(language):
        propose = ProposeMissionForm(
            {"planned_hours": "12,5"},
            skills=Skill.objects.none(),
            firms=Organisation.objects.none(),
        )
        propose.is_valid()
        assert propose.cleaned_data.get("planned_hours") == Decimal("12.5")
        adjust = AdjustmentForm(
            {"hours": "-1,5"},
            missions=SkillMission.unscoped_objects.none(),
            experts=Expert.objects.none(),
        )
        adjust.is_valid()
        assert adjust.cleaned_data.get("hours") == Decimal("-1.5")


@pytest.mark.parametrize("typed", ["1,234.5", "3,5,0", "3;5", "1e2"])
@pytest.mark.django_db
def test_what_is_not_one_decimal_number_is_refused_not_guessed(typed):
    adjust = AdjustmentForm(
        {"hours": typed},
        missions=SkillMission.unscoped_objects.none(),
        experts=Expert.objects.none(),
    )
    assert not adjust.is_valid() and "hours" in adjust.errors


@pytest.mark.django_db
def test_hours_inputs_are_text_inputs_with_a_decimal_keyboard():
    form = ProposeMissionForm(skills=Skill.objects.none(), firms=Organisation.objects.none())
    html = str(form["planned_hours"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html
