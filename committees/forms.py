"""Forms of the committee pages: scheduling, agenda, attendance, commitments, decisions.

Forms only parse input; the rules live in ``committees.services``, whose
refusals the views copy onto the form with ``alize.web.ServiceCall``. Choice lists
(organisations, projects) are built by the view from scoped queries, so an id from
another dispositif is an invalid choice.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from alize.forms import EMPTY_CHOICE_LABEL, Form, MoneyInputField
from pme.models import Project

from .models import CommitteeStatus, DecisionOutcome

EMPTY_LABEL = EMPTY_CHOICE_LABEL


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects already loaded by the view; cleans to the object.

    Several forms on one page share the same list without a query per form.
    """

    def __init__(self, *, objects, label_from=str, **kwargs):
        objects = list(objects)
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [("", EMPTY_LABEL)] + [(str(obj.pk), label_from(obj)) for obj in objects]
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(str(value)) if value not in (None, "") else None


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CommitteeForm(Form):
    """Date, time, host and place of a committee; on creation, its dispositif too.

    ``hosts`` are the organisations with an active seat in the dispositif; an empty place
    becomes the host's city.
    """

    dispositif = forms.ChoiceField(label=_("Dispositif"))
    date = forms.DateField(label=_("Date"), widget=_date_input())
    start_time = forms.TimeField(
        label=_("Heure"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    host = forms.ChoiceField(label=_("Accueilli par"), required=False)
    place = forms.CharField(
        label=_("Lieu"),
        max_length=200,
        required=False,
        help_text=_("Par défaut, la ville de l'organisation hôte."),
    )
    minutes = forms.CharField(label=_("Compte rendu"), required=False, widget=forms.Textarea)

    def __init__(self, *args, hosts, dispositifs=None, with_minutes=False, **kwargs):
        super().__init__(*args, **kwargs)
        if dispositifs is None:
            del self.fields["dispositif"]
        else:
            self.fields["dispositif"] = ObjectChoiceField(
                objects=dispositifs, label=_("Dispositif")
            )
        self.fields["host"] = ObjectChoiceField(
            objects=hosts,
            label=_("Accueilli par"),
            required=False,
            help_text=_("Organisations siégeant au tour de table du dispositif."),
        )
        if not with_minutes:
            del self.fields["minutes"]

    def clean(self):
        cleaned = super().clean()
        host = cleaned.get("host")
        if host is not None and not cleaned.get("place"):
            cleaned["place"] = host.city
        return cleaned


class PastCommitteeForm(CommitteeForm):
    """Record, for history, a committee already held: its details, minutes and the projects
    it examined (chosen among those ready for an agenda)."""

    def __init__(self, *args, ready_projects=(), **kwargs):
        kwargs["with_minutes"] = True
        super().__init__(*args, **kwargs)
        ready_projects = list(ready_projects)
        self.projects_by_pk = {str(project.pk): project for project in ready_projects}
        self.fields["projects"] = forms.MultipleChoiceField(
            label=_("Projets examinés"),
            required=False,
            choices=[
                (str(project.pk), f"{project.title} — {project.company.name}")
                for project in ready_projects
            ],
            widget=forms.CheckboxSelectMultiple,
            help_text=_(
                "Projets en instruction ou ajournés ; leurs décisions se saisissent ensuite."
            ),
        )

    def clean_projects(self):
        return [self.projects_by_pk[pk] for pk in self.cleaned_data.get("projects", [])]


class CommitteeStatusForm(Form):
    status = forms.ChoiceField(label=_("Statut"), choices=CommitteeStatus.choices)


class AgendaAddForm(Form):
    """Adds a project to the agenda: the list offers the ready projects; any project of
    the committee's dispositif is accepted here so that the service gives its reason."""

    project = forms.ModelChoiceField(label=_("Projet à inscrire"), queryset=Project.objects.none())

    def __init__(self, *args, committee, ready_projects, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        field.queryset = Project.objects.filter(dispositif_id=committee.dispositif_id)
        field.widget.choices = [("", EMPTY_LABEL)] + [
            (
                project.pk,
                f"{project.title} — {project.company.name} ({project.get_stage_display()})",
            )
            for project in ready_projects
        ]


class AgendaMoveForm(Form):
    direction = forms.ChoiceField(choices=[("up", _("Monter")), ("down", _("Descendre"))])

    @property
    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1


class AttendanceForm(Form):
    organisation = forms.ChoiceField(label=_("Organisation"))
    person_name = forms.CharField(label=_("Participant"), max_length=200)
    present = forms.BooleanField(label=_("Présent"), required=False, initial=True)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = ObjectChoiceField(
            objects=organisations, label=_("Organisation")
        )


class CommitmentForm(Form):
    """A partner's tool for a dossier. ``organisations`` is every seated organisation for
    an animateur, only their own for a committee member (another id is refused)."""

    organisation = forms.ChoiceField(label=_("Organisation"))
    tool = forms.CharField(
        label=_("Outil mobilisé"),
        max_length=200,
        help_text=_(
            "Texte libre ; les outils que l'organisation apporte d'habitude sont proposés."
        ),
    )
    amount = MoneyInputField(
        label=_("Montant (€)"), required=False, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(organisations)
        self.fields["organisation"] = ObjectChoiceField(
            objects=organisations, label=_("Organisation")
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk


class DecisionForm(Form):
    outcome = forms.ChoiceField(label=_("Décision"), choices=DecisionOutcome.choices)
    missions_granted = forms.IntegerField(
        label=_("Missions d'expertise accordées"), min_value=0, required=False, initial=0
    )
    missions_description = forms.CharField(
        label=_("Missions (compétences attendues)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    advance_amount = MoneyInputField(
        label=_("Avance remboursable (€)"), required=False, max_digits=12, decimal_places=2
    )
    conditions = forms.CharField(
        label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_missions_granted(self):
        return self.cleaned_data.get("missions_granted") or 0


class DecisionCorrectionForm(DecisionForm):
    """A corrected decision and why: the correction is kept as a visible entry."""

    reason = forms.CharField(
        label=_("Motif de la correction"), widget=forms.Textarea(attrs={"rows": 2})
    )
