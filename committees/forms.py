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

from .models import (
    SCORE_MAX,
    AttendanceStatus,
    CommitteeStatus,
    DecisionOutcome,
    InterestKind,
    ReplyAnswer,
)
from .services import RosterLine

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
    becomes the host's address.
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
        help_text=_("Par défaut, l'adresse de l'organisation hôte."),
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
            cleaned["place"] = host.meeting_place
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


class RosterForm(Form):
    """The roster of the meeting in one form: a line per seated organisation (presence,
    who sat for it, who represented it). Lines left « — » are not recorded. ``initial``
    comes from the roster already recorded, else from the members' answers."""

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = list(organisations)
        choices = [("", EMPTY_LABEL), *AttendanceStatus.choices]
        for org in self.organisations:
            self.fields[f"status_{org.pk}"] = forms.ChoiceField(
                label=org.name, choices=choices, required=False
            )
            self.fields[f"person_{org.pk}"] = forms.CharField(
                label=_("Participant pour %(name)s") % {"name": org.name},
                max_length=200,
                required=False,
            )
            self.fields[f"represented_{org.pk}"] = forms.CharField(
                label=_("Représenté par (pour %(name)s)") % {"name": org.name},
                max_length=200,
                required=False,
            )

    def rows(self):
        """(organisation, status field, person field, represented field) for the template."""
        return [
            (org, self[f"status_{org.pk}"], self[f"person_{org.pk}"], self[f"represented_{org.pk}"])
            for org in self.organisations
        ]

    def lines(self) -> list[RosterLine]:
        data = self.cleaned_data
        return [
            RosterLine(
                organisation=org,
                status=data[f"status_{org.pk}"],
                person_name=data[f"person_{org.pk}"],
                represented_by=data[f"represented_{org.pk}"],
            )
            for org in self.organisations
            if data.get(f"status_{org.pk}")
        ]

    @staticmethod
    def initial_from(attendances, replies) -> dict:
        initial = {}
        for reply in replies:
            status = {"yes": AttendanceStatus.PRESENT, "no": AttendanceStatus.EXCUSED}.get(
                reply.answer
            )
            if status:
                initial[f"status_{reply.organisation_id}"] = status
                if status == AttendanceStatus.PRESENT:
                    initial[f"person_{reply.organisation_id}"] = reply.user.get_full_name()
        for attendance in attendances:
            pk = attendance.organisation_id
            initial[f"status_{pk}"] = attendance.status
            initial[f"person_{pk}"] = attendance.person_name
            initial[f"represented_{pk}"] = attendance.represented_by
        return initial


class InterestForm(Form):
    """An interest of one's organisation in a dossier (or, for the animateur, of a seated
    organisation on its behalf)."""

    organisation = forms.ChoiceField(label=_("Organisation"))
    kind = forms.ChoiceField(label=_("Nature de l'intérêt"), choices=InterestKind.choices)
    note = forms.CharField(
        label=_("Précision"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(organisations)
        self.fields["organisation"] = ObjectChoiceField(
            objects=organisations, label=_("Organisation")
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk


class ReplyForm(Form):
    """A member's answer to the invitation, with an optional word for the animateur."""

    answer = forms.ChoiceField(
        label=_("Viendrez-vous ?"), choices=ReplyAnswer.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Un mot pour l'animateur"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
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

    def __init__(self, *args, sitting=None, recused=(), **kwargs):
        """``sitting`` are the organisations present at the meeting: the animateur ticks
        those taking part (by default, every one not recused)."""
        super().__init__(*args, **kwargs)
        if sitting is None:
            return
        recused_ids = {org.pk for org in recused}
        self.participant_objects = {str(org.pk): org for org in sitting}
        self.fields["participants"] = forms.MultipleChoiceField(
            label=_("Organisations prenant part à la décision"),
            choices=[
                (
                    str(org.pk),
                    org.name + (" — " + str(_("récusé")) if org.pk in recused_ids else ""),
                )
                for org in sitting
            ],
            required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=[str(org.pk) for org in sitting if org.pk not in recused_ids],
            help_text=_("Une organisation récusée pour ce dossier ne peut pas y prendre part."),
        )

    def clean_participants(self):
        chosen = self.cleaned_data.get("participants") or []
        return [self.participant_objects[pk] for pk in chosen] or None

    def clean_missions_granted(self):
        return self.cleaned_data.get("missions_granted") or 0


class DecisionCorrectionForm(DecisionForm):
    """A corrected decision and why: the correction is kept as a visible entry."""

    reason = forms.CharField(
        label=_("Motif de la correction"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CriterionForm(Form):
    """A criterion of the dispositif's scoring grid (the rules live in the service)."""

    name = forms.CharField(label=_("Critère"), max_length=120)
    weight = forms.IntegerField(label=_("Poids (1 à 10)"), initial=1)
    order = forms.IntegerField(label=_("Ordre"), initial=0, min_value=0)
    active = forms.BooleanField(label=_("Actif"), required=False, initial=True)


SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(SCORE_MAX + 1)]


class ScoreForm(Form):
    """A member organisation's scores of a dossier, one 0–5 choice per active criterion."""

    def __init__(self, *args, organisations, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(organisations)
        self.criteria = list(criteria)
        self.fields["organisation"] = ObjectChoiceField(
            objects=organisations, label=_("Organisation")
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk
        for criterion in self.criteria:
            self.fields[f"c{criterion.pk}"] = forms.TypedChoiceField(
                label=f"{criterion.name} (×{criterion.weight})",
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )

    def scores(self) -> dict[int, int]:
        return {
            criterion.pk: self.cleaned_data[f"c{criterion.pk}"]
            for criterion in self.criteria
            if self.cleaned_data.get(f"c{criterion.pk}") is not None
        }
