"""Write side of the pme app: companies, projects and their stage machine, follow-ups and
the follow-ups the SMEs declare themselves (asked, declared, validated or corrected).

Every service runs inside the caller's tenancy scope, validates fully (``full_clean``)
and is atomic: a refused operation changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize import links
from alize.errors import ApplicationError
from alize.formats import money
from alize.models import SignedLink
from alize.services import model_update

from .models import (
    AGENDA_STAGE,
    DECISION_STAGES,
    PROJECT_LIFECYCLE,
    REOPEN_MOVES,
    Company,
    DeclarationStatus,
    FollowUpDeclaration,
    FollowUpReminder,
    FollowUpSource,
    JobsFollowUp,
    Project,
    ProjectSource,
    Stage,
    StageTransition,
    reopen_stage,
)

COMPANY_FIELDS = (
    "siren",
    "siret",
    "name",
    "naf_code",
    "creation_date",
    "headcount",
    "turnover",
    "commune_code",
    "commune_name",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
)
PROJECT_FIELDS = (
    "title",
    "project_type",
    "description",
    "referred_by",
    "referred_on",
    "total_budget",
    "financing_plan",
    "jobs_at_start",
    "jobs_planned_3y",
    "requested_advance",
)


SIREN_CONSTRAINT = "company_siren_unique_per_dispositif"


def _siret_mismatch_error(company: Company) -> str | None:
    if company.siret and company.siren and not company.siret.startswith(company.siren):
        return _("Le SIRET doit commencer par le SIREN de l'entreprise.")
    return None


def duplicate_siren_message(company: Company) -> str | None:
    """A SIREN appears once per dispositif; the message says which company holds it."""
    if not company.siren or company.dispositif_id is None:
        return None
    existing = (
        Company.objects.filter(dispositif_id=company.dispositif_id, siren=company.siren)
        .exclude(pk=company.pk)
        .first()
    )
    if existing is None:
        return None
    return _("Le SIREN %(siren)s est déjà enregistré dans ce dispositif (%(name)s).") % {
        "siren": company.siren,
        "name": existing.name,
    }


def _save_company(company: Company) -> Company:
    errors: dict[str, list[str]] = {}
    try:
        # The per-dispositif SIREN uniqueness is checked below, with a message on the field.
        company.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    if "siren" not in errors and (duplicate := duplicate_siren_message(company)):
        errors["siren"] = [duplicate]
    if not {"siren", "siret"} & set(errors) and (mismatch := _siret_mismatch_error(company)):
        errors["siret"] = [mismatch]
    if errors:
        raise ValidationError(errors)
    company.validate_constraints(exclude={"siren"})
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError as error:
        # Another transaction registered the same SIREN between the check and the insert.
        if SIREN_CONSTRAINT not in str(error):
            raise
        message = duplicate_siren_message(company) or _(
            "Une entreprise avec ce SIREN existe déjà ici."
        )
        raise ValidationError({"siren": [message]}) from None
    return company


@transaction.atomic
def company_create(*, dispositif, **fields) -> Company:
    """Register an SME in a dispositif; a SIREN already known there is refused by name."""
    unknown = set(fields) - set(COMPANY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown company fields: {sorted(unknown)}")
    return _save_company(Company(dispositif=dispositif, **fields))


@transaction.atomic
def company_update(*, company: Company, **fields) -> Company:
    """Change a company's data (never its dispositif)."""
    model_update(company, COMPANY_FIELDS, fields)
    return _save_company(company)


@transaction.atomic
def company_record_exception(*, company: Company, reason: str, by) -> Company:
    """Record a justified eligibility exception (counted in the indicators)."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(
            {"exception_reason": _("Justifiez la dérogation (au moins 10 caractères).")}
        )
    company.eligibility_exception = True
    company.exception_reason = reason
    company.exception_by = by
    company.exception_at = timezone.now()
    company.save()
    return company


@transaction.atomic
def company_clear_exception(*, company: Company) -> Company:
    company.eligibility_exception = False
    company.exception_reason = ""
    company.exception_by = None
    company.exception_at = None
    company.save()
    return company


def check_requested_advance(project: Project) -> None:
    """The requested advance lies within the dispositif's bounds (a field error otherwise)."""
    amount = project.requested_advance
    dispositif = project.dispositif
    if amount is not None and not (dispositif.advance_min <= amount <= dispositif.advance_max):
        raise ValidationError(
            {
                "requested_advance": _(
                    "L'avance doit être comprise entre %(min)s et %(max)s dans ce dispositif."
                )
                % {"min": money(dispositif.advance_min), "max": money(dispositif.advance_max)}
            }
        )


@transaction.atomic
def project_create(
    *, company: Company, by, needs=(), source: str = ProjectSource.ANIMATEUR, **fields
) -> Project:
    """Open a project for a company; it starts at « referred » with its first timeline entry.
    ``source`` says who brought it (the animateur, or the SME through the public door)."""
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown project fields: {sorted(unknown)}")
    project = Project(
        dispositif_id=company.dispositif_id, company=company, created_by=by, source=source, **fields
    )
    project.full_clean()
    check_requested_advance(project)
    project.save()
    project.needs.set(needs)
    PROJECT_LIFECYCLE.record_start(project, by=by)
    return project


@transaction.atomic
def project_update(*, project: Project, needs=None, **fields) -> Project:
    """Change a project's description and plan (its stage moves only by transition)."""
    model_update(project, PROJECT_FIELDS, fields)
    project.full_clean()
    check_requested_advance(project)
    project.save()
    if needs is not None:
        project.needs.set(needs)
    return project


def _abandoned_from(project: Project) -> str | None:
    """The stage the project was in when it was last abandoned (from its timeline)."""
    return (
        StageTransition.objects.filter(project_id=project.pk, to_stage=Stage.ABANDONED)
        .order_by("-at", "-id")
        .values_list("from_stage", flat=True)
        .first()
    )


def project_reopen_target(project: Project) -> str | None:
    """Where reopening takes the project: an abandoned one back to the stage it was
    abandoned from (``pme.models.reopen_stage``), a deferred one back in instruction;
    None for any other stage."""
    if project.stage == Stage.ABANDONED:
        return reopen_stage(_abandoned_from(project))
    return next((to for current, to in REOPEN_MOVES if current == project.stage), None)


def _move(project: Project, to_stage: str, *, by, comment: str) -> Project:
    """Move the project along the stage machine (``PROJECT_LIFECYCLE``: locked, checked,
    logged)."""
    PROJECT_LIFECYCLE.move(project, to_stage, by=by, reason=comment)
    return project


@transaction.atomic
def project_transition(*, project: Project, to_stage: str, by, comment: str = "") -> Project:
    """Move a project by hand along the stage machine and record who, when and why.

    Decision stages (approved, deferred, rejected) are reached only through a committee
    decision, and « on agenda » (and back) only through a committee's agenda: those moves
    belong to the committee services below. Abandoning and reopening need a reason
    (``comment``); an abandoned project only reopens, to ``project_reopen_target``. The row
    is locked, so two concurrent moves cannot both succeed from the same stage.
    """
    PROJECT_LIFECYCLE.lock(project)
    current = project.stage
    if current == Stage.ABANDONED:
        return _reopen_abandoned(project, to_stage, by=by, comment=comment)
    PROJECT_LIFECYCLE.check(current, to_stage)
    if to_stage in DECISION_STAGES:
        raise PROJECT_LIFECYCLE.illegal(
            _("Cette étape résulte d'une décision de comité : enregistrez la décision.")
        )
    if to_stage == AGENDA_STAGE:
        raise PROJECT_LIFECYCLE.illegal(_("Inscrivez le projet à l'ordre du jour d'un comité."))
    if current == AGENDA_STAGE and to_stage == Stage.IN_INSTRUCTION:
        raise PROJECT_LIFECYCLE.illegal(_("Retirez le projet de l'ordre du jour du comité."))
    PROJECT_LIFECYCLE.move(project, to_stage, by=by, reason=comment, locked=True)
    return project


def _reopen_abandoned(project: Project, to_stage: str, *, by, comment: str) -> Project:
    """Reopen a locked abandoned project where it was abandoned: the one move made outside
    the stage machine."""
    target = reopen_stage(_abandoned_from(project))
    if to_stage != target:
        raise PROJECT_LIFECYCLE.illegal(
            _("Un projet abandonné se rouvre à l'étape où il était : « %(stage)s ».")
            % {"stage": Stage(target).label}
        )
    PROJECT_LIFECYCLE.move(project, to_stage, by=by, reason=comment, locked=True, check=False)
    return project


@transaction.atomic
def project_reopen(*, project: Project, by, reason: str) -> Project:
    """Reopen an abandoned or deferred project, with its reason, as a move on the timeline
    (see ``project_reopen_target`` for where it goes)."""
    target = project_reopen_target(PROJECT_LIFECYCLE.lock(project))
    if target is None:
        raise PROJECT_LIFECYCLE.illegal(_("Seul un projet abandonné ou ajourné peut être rouvert."))
    return project_transition(project=project, to_stage=target, by=by, comment=reason)


@transaction.atomic
def project_put_on_agenda(*, project: Project, by, comment: str) -> Project:
    """The project joins a committee's agenda (called by the committee's agenda service)."""
    return _move(project, AGENDA_STAGE, by=by, comment=comment)


@transaction.atomic
def project_take_off_agenda(*, project: Project, by, comment: str) -> Project:
    """The project leaves a committee's agenda before any decision: back in instruction."""
    if project.stage != AGENDA_STAGE:
        raise PROJECT_LIFECYCLE.illegal(_("Ce projet n'est pas inscrit à un ordre du jour."))
    return _move(project, Stage.IN_INSTRUCTION, by=by, comment=comment)


@transaction.atomic
def project_record_committee_outcome(
    *, project: Project, to_stage: str, committee_date: dt.date, by, comment: str
) -> Project:
    """A committee decided on the project: its stage, the date of its first committee and,
    when approved, its approval date (which starts the jobs follow-up) move together."""
    if to_stage not in DECISION_STAGES:
        raise ApplicationError(_("Décision inconnue."), field="outcome")
    PROJECT_LIFECYCLE.lock(project)
    dates = {}
    if project.first_committee_on is None:
        dates["first_committee_on"] = committee_date
    if to_stage == Stage.APPROVED:
        dates["approved_on"] = committee_date
    PROJECT_LIFECYCLE.move(project, to_stage, by=by, reason=comment, changes=dates, locked=True)
    return project


@transaction.atomic
def project_correct_committee_outcome(
    *, project: Project, to_stage: str, committee_date: dt.date, by, comment: str
) -> Project:
    """A committee decision was corrected: the project moves from one decision stage to
    another as a visible timeline entry (outside the stage machine, which has no such
    move). Approval sets ``approved_on`` to the committee's date; leaving approval clears it
    and the open follow-up reminders it had planned."""
    PROJECT_LIFECYCLE.lock(project)
    current = project.stage
    if current not in DECISION_STAGES or to_stage not in DECISION_STAGES or current == to_stage:
        raise PROJECT_LIFECYCLE.illegal(
            _("Un projet « %(current)s » ne peut pas être corrigé en « %(target)s ».")
            % {
                "current": Stage(current).label,
                "target": Stage(to_stage).label if to_stage in Stage.values else to_stage,
            },
            field="outcome",
        )
    if current == Stage.APPROVED and JobsFollowUp.objects.filter(project=project).exists():
        raise ApplicationError(
            _("Des suivis des emplois sont enregistrés pour ce projet : supprimez-les d'abord."),
            field="outcome",
        )
    approved_on = committee_date if to_stage == Stage.APPROVED else None
    if current == Stage.APPROVED:
        FollowUpReminder.objects.filter(project=project, resolved_at__isnull=True).delete()
        _withdraw_open_declarations(project)
    PROJECT_LIFECYCLE.move(
        project,
        to_stage,
        by=by,
        reason=comment,
        changes={"approved_on": approved_on},
        locked=True,
        check=False,
    )
    return project


def follow_up_due_date(project: Project, year: int) -> dt.date | None:
    """The ``year``-th anniversary of approval (28 February for a 29 February); None when the
    project is not approved or the anniversary falls past the calendar's end (year 9999)."""
    if project.approved_on is None:
        return None
    approved = project.approved_on
    target = approved.year + year
    if target > dt.MAXYEAR:
        return None
    if approved.month == 2 and approved.day == 29 and not calendar.isleap(target):
        return approved.replace(year=target, day=28)
    return approved.replace(year=target)


# What a jobs follow-up records for a year (the one list the form, the API, the history and
# the service share).
FOLLOW_UP_FIELDS = (
    "as_of",
    "headcount",
    "jobs_created",
    "jobs_maintained",
    "turnover",
    "source",
    "note",
)
FOLLOW_UP_STAGES = frozenset({Stage.APPROVED, Stage.IN_PROGRESS, Stage.FOLLOWED_UP, Stage.CLOSED})


@transaction.atomic
def follow_up_record(
    *,
    project: Project,
    year: int,
    headcount: int,
    jobs_created: int,
    jobs_maintained: int,
    source: str,
    by,
    as_of: dt.date | None = None,
    turnover=None,
    note: str = "",
) -> JobsFollowUp:
    """Record (or correct) the jobs of year 1, 2 or 3 after approval; resolves its reminder.

    The source « declared online by the SME » is set only by validating the SME's
    declaration (``follow_up_declaration_validate``): here it stays only on a follow-up that
    already has it, with the figures the SME declared. A year whose SME declaration awaits
    review is validated or corrected, not typed over."""
    figures = {
        "headcount": headcount,
        "jobs_created": jobs_created,
        "jobs_maintained": jobs_maintained,
        "turnover": turnover,
    }
    existing = JobsFollowUp.objects.filter(project=project, year=year).first()
    if source == FollowUpSource.SELF_DECLARED and not _keeps_declared_figures(existing, figures):
        raise ApplicationError(
            _(
                "« Déclaré en ligne par la PME » vient de la validation de sa déclaration : "
                "pour d'autres chiffres, choisissez une autre source."
            ),
            field="source",
            code="self_declared_figures",
        )
    if FollowUpDeclaration.objects.filter(
        project=project, year=year, status=DeclarationStatus.DECLARED
    ).exists():
        raise ApplicationError(
            _(
                "La PME a déclaré ce suivi en ligne : validez ou corrigez sa déclaration "
                "(tâches de l'accueil)."
            ),
            field="year",
            code="follow_up_declaration_pending",
        )
    return _follow_up_save(
        project=project,
        year=year,
        figures=figures,
        source=source,
        by=by,
        as_of=as_of,
        note=note,
        existing=existing,
    )


def _keeps_declared_figures(follow_up: JobsFollowUp | None, figures: dict) -> bool:
    """Does ``follow_up`` come from an SME's declaration, with the same figures?"""
    if follow_up is None or follow_up.source != FollowUpSource.SELF_DECLARED:
        return False
    return all(_same(getattr(follow_up, name), value) for name, value in figures.items())


def _same(stored, given) -> bool:
    if stored is None or given is None:
        return stored is None and given is None
    return Decimal(str(stored)) == Decimal(str(given))


def _follow_up_save(
    *, project, year, figures: dict, source: str, by, as_of, note: str, existing=None
) -> JobsFollowUp:
    if project.stage not in FOLLOW_UP_STAGES or project.approved_on is None:
        raise ApplicationError(
            _("Seul un projet accepté en comité a un suivi des emplois."), field="year"
        )
    max_years = project.dispositif.follow_up_years
    if not 1 <= int(year) <= max_years:
        raise ValidationError(
            {"year": _("L'année de suivi va de 1 à %(max)s.") % {"max": max_years}}
        )
    follow_up = existing or JobsFollowUp(
        dispositif_id=project.dispositif_id, project=project, year=year
    )
    as_of = as_of or follow_up_due_date(project, int(year))
    if as_of is None:  # the anniversary falls past the calendar's end (year 9999)
        null = JobsFollowUp._meta.get_field("as_of").error_messages["null"]
        raise ValidationError({"as_of": ValidationError(null, code="null")})
    follow_up.as_of = as_of
    for name, value in figures.items():
        setattr(follow_up, name, value)
    follow_up.source = source
    follow_up.note = note
    follow_up.recorded_by = by
    follow_up.full_clean()
    follow_up.save()
    FollowUpReminder.objects.filter(project=project, year=year, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    return follow_up


@transaction.atomic
def follow_up_reminders_refresh(*, today: dt.date | None = None) -> int:
    """Create a reminder for every follow-up whose anniversary has passed with nothing
    recorded, within the active scope, in one bulk insert. Idempotent (a reminder exists
    once per project and year); returns how many were created."""
    today = today or timezone.localdate()
    projects = (
        Project.objects.filter(stage__in=FOLLOW_UP_STAGES, approved_on__isnull=False)
        .select_related("dispositif")
        .prefetch_related("follow_ups", "reminders")
    )
    new = []
    for project in projects:
        recorded = {f.year for f in project.follow_ups.all()}
        reminded = {r.year for r in project.reminders.all()}
        for year in range(1, project.dispositif.follow_up_years + 1):
            due = follow_up_due_date(project, year)
            if due is None or due > today or year in recorded or year in reminded:
                continue
            new.append(
                FollowUpReminder(
                    dispositif_id=project.dispositif_id, project=project, year=year, due_on=due
                )
            )
    FollowUpReminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def company_delete(*, company: Company) -> None:
    """Remove a company entered by mistake; one with projects is kept (their history counts)."""
    if company.projects.exists():
        raise ApplicationError(
            _("Cette entreprise a des projets : elle ne peut pas être supprimée.")
        )
    company.delete()


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Remove a project entered by mistake while still « referred »; later ones are abandoned
    through the stage machine so that the pipeline keeps their trace."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.stage != Stage.REFERRED:
        raise ApplicationError(
            _("Seul un projet au stade « signalé » peut être supprimé : abandonnez-le plutôt."),
            field="stage",
        )
    locked.delete()


@transaction.atomic
def follow_up_delete(*, follow_up: JobsFollowUp) -> None:
    """Remove a follow-up recorded by mistake (the history keeps it); a due year is reminded
    again by the next refresh."""
    follow_up.delete()


# The SME's own follow-up declaration ----------------------------------------------------

FOLLOW_UP_LINK_PURPOSE = "pme.follow-up-declaration"


def follow_up_link_lifetime() -> dt.timedelta:
    """How long a follow-up link opens (``FOLLOW_UP_LINK_DAYS``, 60 days by default)."""
    return dt.timedelta(days=settings.FOLLOW_UP_LINK_DAYS)


@transaction.atomic
def follow_up_declarations_request(*, today: dt.date | None = None) -> list[FollowUpDeclaration]:
    """Ask the SMEs for the follow-ups that are due: for each open reminder (anniversary
    passed, nothing recorded) of the last ``FOLLOW_UP_LINK_DAYS`` days whose company has a
    contact e-mail and whose year was never asked, a declaration « requested » with its
    signed link. Within the active scope; idempotent (a year is asked once). The e-mails go
    from the job (``pme.notifications``)."""
    today = today or timezone.localdate()
    since = today - follow_up_link_lifetime()
    reminders = (
        FollowUpReminder.objects.filter(resolved_at__isnull=True, due_on__gte=since)
        .exclude(project__company__contact_email="")
        .select_related("project__company")
        .order_by("due_on", "id")
    )
    asked = set(
        FollowUpDeclaration.objects.filter(
            project_id__in=[r.project_id for r in reminders]
        ).values_list("project_id", "year")
    )
    created = []
    for reminder in reminders:
        if (reminder.project_id, reminder.year) in asked:
            continue
        declaration = FollowUpDeclaration(
            dispositif_id=reminder.dispositif_id,
            project=reminder.project,
            year=reminder.year,
            sent_to=reminder.project.company.contact_email,
        )
        declaration.link = links.link_issue(
            purpose=FOLLOW_UP_LINK_PURPOSE,
            dispositif_id=reminder.dispositif_id,
            object_id=0,  # set below, once the declaration has its id
            lifetime=follow_up_link_lifetime(),
        )
        declaration.full_clean()
        declaration.save()
        SignedLink.objects.filter(pk=declaration.link_id).update(object_id=declaration.pk)
        declaration.link.object_id = declaration.pk
        created.append(declaration)
    return created


def follow_up_declaration_open(declaration: FollowUpDeclaration) -> None:
    """Refuse a declaration the SME can no longer make (already declared, or the year
    recorded by the animateur in the meantime): ``ApplicationError`` saying so."""
    if declaration.status != DeclarationStatus.REQUESTED:
        raise ApplicationError(
            _("Ce suivi a déjà été déclaré : ce lien ne sert plus."),
            code="follow_up_already_declared",
        )
    if JobsFollowUp.objects.filter(
        project_id=declaration.project_id, year=declaration.year
    ).exists():
        raise ApplicationError(
            _("Ce suivi est déjà enregistré par l'animateur du dispositif : ce lien ne sert plus."),
            code="follow_up_already_recorded",
        )


@transaction.atomic
def follow_up_declaration_submit(
    *,
    link: links.OpenedLink,
    headcount: int,
    jobs_created: int,
    jobs_maintained: int,
    turnover=None,
    comment: str = "",
) -> FollowUpDeclaration:
    """The SME declares its figures through its link: stored as declared, pending the
    animateur's review, and the link used (once). Runs in the link's dispositif's scope
    (``alize.tenancy.public_door_scope``); writes only the declaration the link names. Raises
    ``alize.links.LinkRefused`` for a used or expired link."""
    links.link_check(link)
    declaration = (
        FollowUpDeclaration.objects.select_for_update()
        .select_related("link")
        .filter(pk=link.object_id)
        .first()
    )
    if declaration is None or declaration.link.nonce != link.nonce:
        raise links.LinkRefused(links.LinkRefusal.INVALID)
    follow_up_declaration_open(declaration)
    declaration.headcount = headcount
    declaration.jobs_created = jobs_created
    declaration.jobs_maintained = jobs_maintained
    declaration.turnover = turnover
    declaration.comment = (comment or "").strip()
    declaration.status = DeclarationStatus.DECLARED
    declaration.declared_at = timezone.now()
    declaration.full_clean()
    links.link_use(link)
    declaration.save()
    return declaration


def _lock_for_review(declaration: FollowUpDeclaration) -> FollowUpDeclaration:
    locked = (
        FollowUpDeclaration.objects.select_for_update()
        .select_related("project__dispositif")
        .get(pk=declaration.pk)
    )
    if locked.status != DeclarationStatus.DECLARED:
        raise ApplicationError(
            _("Cette déclaration a déjà été revue (%(status)s).")
            % {"status": locked.get_status_display()},
            code="follow_up_declaration_reviewed",
        )
    return locked


def _reviewed(declaration, follow_up, *, status: str, by) -> JobsFollowUp:
    declaration.status = status
    declaration.reviewed_by = by
    declaration.reviewed_at = timezone.now()
    declaration.follow_up = follow_up
    declaration.save(update_fields=["status", "reviewed_by", "reviewed_at", "follow_up"])
    return follow_up


@transaction.atomic
def follow_up_declaration_validate(*, declaration: FollowUpDeclaration, by) -> JobsFollowUp:
    """The animateur validates the SME's figures as they are: they become the year's
    follow-up, source « declared online by the SME », which the indicators count."""
    declaration = _lock_for_review(declaration)
    follow_up = _follow_up_save(
        project=declaration.project,
        year=declaration.year,
        figures=declaration.figures,
        source=FollowUpSource.SELF_DECLARED,
        by=by,
        as_of=None,
        note=declaration.comment,
        existing=JobsFollowUp.objects.filter(
            project_id=declaration.project_id, year=declaration.year
        ).first(),
    )
    return _reviewed(declaration, follow_up, status=DeclarationStatus.VALIDATED, by=by)


@transaction.atomic
def follow_up_declaration_correct(
    *,
    declaration: FollowUpDeclaration,
    by,
    headcount: int,
    jobs_created: int,
    jobs_maintained: int,
    source: str,
    turnover=None,
    note: str = "",
) -> JobsFollowUp:
    """The animateur corrects the SME's figures: the corrected ones become the year's
    follow-up (typed by the animateur: declared or verified), the SME's stay on the
    declaration as declared, with who corrected them and when."""
    declaration = _lock_for_review(declaration)
    if source not in (FollowUpSource.DECLARED, FollowUpSource.VERIFIED):
        raise ApplicationError(
            _("Une correction est saisie par l'animateur : déclarée ou vérifiée."),
            field="source",
        )
    figures = {
        "headcount": headcount,
        "jobs_created": jobs_created,
        "jobs_maintained": jobs_maintained,
        "turnover": turnover,
    }
    if all(_same(declaration.figures[name], value) for name, value in figures.items()):
        raise ApplicationError(
            _("Ce sont les chiffres déclarés par la PME : validez-les plutôt."),
            code="correction_without_change",
        )
    follow_up = _follow_up_save(
        project=declaration.project,
        year=declaration.year,
        figures=figures,
        source=source,
        by=by,
        as_of=None,
        note=note,
        existing=JobsFollowUp.objects.filter(
            project_id=declaration.project_id, year=declaration.year
        ).first(),
    )
    return _reviewed(declaration, follow_up, status=DeclarationStatus.CORRECTED, by=by)


def _withdraw_open_declarations(project: Project) -> None:
    """A project no longer approved asks nothing more: its declarations not yet reviewed go,
    and their links stop opening."""
    open_ones = FollowUpDeclaration.objects.filter(
        project=project, status__in=(DeclarationStatus.REQUESTED, DeclarationStatus.DECLARED)
    )
    link_ids = list(open_ones.values_list("link_id", flat=True))
    open_ones.delete()
    links.link_revoke(SignedLink.objects.filter(pk__in=link_ids))
