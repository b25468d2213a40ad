"""Write side of the public door. Both services run inside
``alize.tenancy.public_door_scope`` of the one dispositif concerned (the views enter it), so
they touch that dispositif's rows and no other, in the code and in PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from dispositifs.models import Dispositif
from partners.models import Skill
from partners.reference.selectors import commune_by_code, commune_label

from ..models import Company, Project, ProjectSource, SelfReferral, SelfReferralStatus
from ..services import check_requested_advance, company_create, project_create
from . import tasks

# The company's values compared with those of a company already known by its SIREN.
COMPARED_FIELDS = (
    "name",
    "siret",
    "naf_code",
    "creation_date",
    "headcount",
    "turnover",
    "commune_code",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
)
DATE_FIELDS = {"creation_date"}
AMOUNT_FIELDS = {"turnover", "total_budget", "requested_advance"}


class LinkRefused(ApplicationError):
    """A confirmation that cannot go through: expired (``code="expired"``) or unknown."""


def _plain(value):
    """A form value as JSON keeps it."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(name: str, value):
    """A kept JSON value back to what the models take."""
    if value in (None, ""):
        return None if name in AMOUNT_FIELDS else value
    if name in DATE_FIELDS:
        return dt.date.fromisoformat(value)
    if name in AMOUNT_FIELDS:
        return Decimal(value)
    return value


def _company(dispositif: Dispositif, values: dict) -> Company:
    return Company(dispositif=dispositif, **values)


@transaction.atomic
def self_referral_submit(
    *, dispositif_id: int, company: dict, project: dict, needs, language: str
) -> SelfReferral:
    """Keep an SME's submission as a pending row, seen by nobody, and queue the mail with
    its confirmation link. It is validated now as it will be on confirmation (the company
    and the project as the pipeline's services check them, the commune inside the
    perimeter); a SIREN already known is not an error: it is matched on confirmation."""
    dispositif = Dispositif.objects.get(pk=dispositif_id)
    if company.get("commune_code") not in dispositif.perimeter:
        raise ApplicationError(
            _("Cette commune n'est pas dans le périmètre de %(dispositif)s.")
            % {"dispositif": dispositif.name},
            field="commune_code",
            code="outside_perimeter",
        )
    probe = _company(dispositif, company)
    probe.full_clean(validate_unique=False, validate_constraints=False)
    draft = Project(dispositif=dispositif, title=project["title"], **_project_rest(project))
    draft.full_clean(exclude=["company"])
    check_requested_advance(draft)
    now = timezone.now()
    referral = SelfReferral(
        dispositif=dispositif,
        email=company["contact_email"],
        data={
            "company": {name: _plain(value) for name, value in company.items()},
            "project": {name: _plain(value) for name, value in project.items()},
            "needs": sorted(skill.pk for skill in needs),
        },
        submitted_at=now,
        expires_at=now + settings.SELF_REFERRAL_CONFIRM_WINDOW,
    )
    referral.full_clean()
    referral.save()
    tasks.send_self_referral_confirmation.enqueue(
        dispositif_id=dispositif.pk, referral_id=referral.pk, language=language
    )
    return referral


def _project_rest(project: dict) -> dict:
    return {name: value for name, value in project.items() if name != "title"}


def self_referral_pending(*, referral_id: int) -> SelfReferral:
    """The submission a confirmation link names, still to confirm or already confirmed;
    ``LinkRefused`` when it is gone (purged) or its time is over."""
    referral = (
        SelfReferral.objects.select_related("dispositif", "project", "company")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise LinkRefused(_("Ce lien a expiré."), code="expired")
    if referral.status == SelfReferralStatus.PENDING and referral.expires_at <= timezone.now():
        raise LinkRefused(_("Ce lien a expiré."), code="expired")
    return referral


def _display(name: str, value) -> str:
    if value in (None, ""):
        return ""
    if name == "commune_code":
        commune = commune_by_code(value)
        return commune_label(commune) if commune else str(value)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def company_differences(known: Company, submitted: dict) -> list[dict]:
    """The values the SME gave that differ from the known company's (what it left empty is
    no difference): ``[{"field", "known", "submitted"}]``, shown to the animateur, who
    decides; nothing of the known company is overwritten."""
    found = []
    for name in COMPARED_FIELDS:
        new = submitted.get(name)
        if new in (None, ""):
            continue
        old = getattr(known, name)
        if _display(name, old) != _display(name, new):
            found.append(
                {"field": name, "known": _display(name, old), "submitted": _display(name, new)}
            )
    return found


@transaction.atomic
def self_referral_confirm(*, referral_id: int, language: str) -> tuple[SelfReferral, bool]:
    """The SME opened its link: the submission lands in its dispositif. The company is the
    one already known by its SIREN (with the differences kept for the animateur) or a new
    one; the project starts at « referred » with the source « self-referral ». Confirming
    twice changes nothing (the row is locked, and a confirmed one is returned as it is):
    the answer says whether this call confirmed it. The SME gets an acknowledgement; what
    it typed is kept no longer than needed."""
    referral = self_referral_pending(referral_id=referral_id)
    referral = SelfReferral.objects.select_for_update().get(pk=referral.pk)
    if referral.status == SelfReferralStatus.CONFIRMED:
        return referral, False
    if referral.expires_at <= timezone.now():
        raise LinkRefused(_("Ce lien a expiré."), code="expired")
    values = {k: _typed(k, v) for k, v in referral.data["company"].items()}
    known = Company.objects.select_for_update().filter(siren=values["siren"]).first()
    if known is not None:
        company, differences = known, company_differences(known, values)
    else:
        company, differences = company_create(dispositif=referral.dispositif, **values), []
    project_values = {k: _typed(k, v) for k, v in referral.data["project"].items()}
    project = project_create(
        company=company,
        by=None,
        needs=Skill.objects.filter(pk__in=referral.data.get("needs") or []),
        source=ProjectSource.SELF_REFERRAL,
        referred_on=timezone.localdate(),
        **project_values,
    )
    referral.status = SelfReferralStatus.CONFIRMED
    referral.confirmed_at = timezone.now()
    referral.company = company
    referral.project = project
    referral.company_matched = known is not None
    referral.differences = differences
    referral.data = {}
    referral.save()
    tasks.send_self_referral_received.enqueue(
        dispositif_id=referral.dispositif_id, referral_id=referral.pk, language=language
    )
    return referral, True


def self_referrals_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the submissions of the current scope never confirmed in time; how many."""
    expired = SelfReferral.objects.filter(
        status=SelfReferralStatus.PENDING, expires_at__lte=now or timezone.now()
    )
    deleted, _by_model = expired.delete()
    return deleted
