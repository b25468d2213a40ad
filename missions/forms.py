"""Forms and list filters of the missions pages. They only read and check what was typed;
every rule (lifecycle, 12 hours a day, closed months, the firm's own experts) is the
services' to enforce, and their refusals come back onto the form's fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import PeriodFilter, SearchFilterSet
from alize.forms import DecimalInputField, Form, ModelForm
from dispositifs.access import dispositif_ids
from dispositifs.models import Dispositif
from partners.models import Expert, Organisation, Skill

from .models import REASON_MIN_LENGTH, HourLog, MissionStatus, SkillMission

HOURS_FIELD = DecimalField(max_digits=12, decimal_places=2)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MissionFilterSet(SearchFilterSet):
    """The missions list's filters: status, firm, skill and, for those who read several
    dispositifs, the dispositif; the search looks at the project, the company and the
    objective. Choices go through scoped managers: another dispositif is no valid choice."""

    search_fields = ("project__title", "project__company__name", "objective")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=lambda request: Dispositif.objects.for_user(
            getattr(request, "user", None), Action.VIEW_MISSION
        ).order_by("name"),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    status = django_filters.ChoiceFilter(choices=MissionStatus.choices, label=_("Statut"))
    firm = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.filter(kind="large_firm").order_by("name"),
        to_field_name="slug",
        label=_("Entreprise partenaire"),
    )
    skill = django_filters.ModelChoiceFilter(
        queryset=Skill.objects.order_by("name"), to_field_name="slug", label=_("Compétence")
    )
    cross_territory = django_filters.BooleanFilter(
        label=_("Prêt d'un autre territoire"),
        widget=forms.Select(choices=[("", _("Tous")), ("true", _("Oui")), ("false", _("Non"))]),
    )

    # Behind the missions' figures (missions.indicators): the missions with hours dated in
    # the period (expert-hours, their value, the firms involved), those starting in it
    # (hours asked).
    hours_in = PeriodFilter(method="filter_hours_in", label=_("Heures datées de"))
    starts_in = PeriodFilter(field_name="starts_on", label=_("Commence en"))

    class Meta:
        model = SkillMission
        fields = [
            "q",
            "dispositif",
            "status",
            "firm",
            "skill",
            "cross_territory",
            "hours_in",
            "starts_in",
        ]

    def filter_hours_in(self, queryset, name, value):
        """Missions with hours dated in the period, with those hours (``period_hours``)."""
        if value is None:
            return queryset
        logs = HourLog.objects.filter(
            mission=OuterRef("pk"), date__range=(value.start, value.end)
        ).order_by()
        period_hours = logs.values("mission").annotate(total=Sum("hours")).values("total")
        return queryset.filter(Exists(logs)).annotate(
            period_hours=Subquery(period_hours, output_field=HOURS_FIELD)
        )

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_dispositif_field_checked", False):
            self._dispositif_field_checked = True
            ids = dispositif_ids(getattr(self.request, "user", None), Action.VIEW_MISSION)
            if ids is not None and len(ids) <= 1:
                form.fields["dispositif"].widget = forms.HiddenInput()
        return form


class ProposeMissionForm(Form):
    """The animateur's proposal of a mission to a firm, from an approved decision."""

    skill = forms.ModelChoiceField(label=_("Compétence"), queryset=Skill.objects.none())
    firm = forms.ModelChoiceField(
        label=_("Entreprise partenaire"), queryset=Organisation.objects.none()
    )
    objective = forms.CharField(label=_("Objectif"), widget=forms.Textarea(attrs={"rows": 3}))
    planned_hours = DecimalInputField(
        label=_("Heures prévues"), min_value=Decimal("0.5"), max_digits=6, decimal_places=2
    )
    starts_on = forms.DateField(label=_("Début"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Fin"), widget=DATE_INPUT)

    def __init__(self, *args, skills, firms, firm_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = skills
        self.fields["firm"].queryset = firms
        labels = firm_labels or {}
        self.fields["firm"].label_from_instance = lambda firm: labels.get(firm.pk, firm.name)

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("La fin de la mission ne peut précéder son début."))
        return data


class DeclineForm(Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        min_length=REASON_MIN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(Form):
    """The firm's experts the correspondent puts on the mission; those without the
    mission's skill say so (``experts`` annotated with ``has_skill``)."""

    experts = forms.ModelMultipleChoiceField(
        label=_("Experts"),
        queryset=Expert.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, experts, skill=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = experts
        if skill is not None:
            without = _("sans la compétence « %(skill)s »") % {"skill": skill.name}
            self.fields["experts"].label_from_instance = lambda expert: (
                str(expert) if getattr(expert, "has_skill", True) else f"{expert} ({without})"
            )


class MoveForm(Form):
    """Start, complete or cancel a mission (a cancellation says why)."""

    MOVES = [
        (MissionStatus.IN_PROGRESS, _("Démarrer")),
        (MissionStatus.COMPLETED, _("Terminer")),
        (MissionStatus.CANCELLED, _("Annuler")),
    ]
    to_status = forms.ChoiceField(label=_("Nouveau statut"), choices=MOVES)
    reason = forms.CharField(
        label=_("Motif"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EvaluationForm(Form):
    """A short evaluation at completion, by the SME side or by the expert."""

    text = forms.CharField(label=_("Évaluation"), widget=forms.Textarea(attrs={"rows": 3}))
    rating = forms.TypedChoiceField(
        label=_("Note"),
        coerce=int,
        choices=[(n, f"{n} / 5") for n in range(5, 0, -1)],
    )


class CloseMonthForm(Form):
    dispositif = forms.ModelChoiceField(label=_("Dispositif"), queryset=Dispositif.objects.none())
    month = forms.DateField(
        label=_("Mois"), input_formats=["%Y-%m", "%Y-%m-%d"], widget=MONTH_INPUT
    )

    def __init__(self, *args, dispositifs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dispositif"].queryset = dispositifs
        choices = list(dispositifs)
        if len(choices) == 1:
            self.fields["dispositif"].initial = choices[0].pk
            self.fields["dispositif"].widget = forms.HiddenInput()

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)


class AdjustmentForm(Form):
    """A correction after a month was closed: a signed number of hours with a reason, as a
    line of its own (never a change of the locked entry)."""

    mission = forms.ModelChoiceField(label=_("Mission"), queryset=SkillMission.objects.none())
    expert = forms.ModelChoiceField(label=_("Expert"), queryset=Expert.objects.none())
    date = forms.DateField(label=_("Jour corrigé"), widget=DATE_INPUT)
    hours = DecimalInputField(
        label=_("Heures (négatives pour retirer)"), max_digits=5, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Motif"), min_length=REASON_MIN_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, missions, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        self.fields["mission"].label_from_instance = lambda m: (
            f"{m.project.title} — {m.skill} ({m.firm})"
        )
        self.fields["expert"].queryset = experts

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours == 0:
            raise forms.ValidationError(_("Une régularisation a des heures non nulles."))
        return hours


class ExpertForm(ModelForm):
    """An expert of the correspondent's firm: identity, contact, skills, availability."""

    class Meta:
        model = Expert
        fields = [
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "skills",
            "hours_per_month",
            "availability_note",
            "lends_across_territories",
            "is_active",
        ]
        widgets = {"skills": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].queryset = Skill.objects.order_by("name")


def month_choices(today: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the last ``count`` months, the current one first."""
    months = []
    month = today.replace(day=1)
    for _index in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months
