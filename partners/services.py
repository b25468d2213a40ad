"""Write side of the partners directory: organisations and experts are global rows,
validated fully (``full_clean``, constraints included) so a refusal names its field.

Experts (contract for the callers; who may call — the firm's correspondent for its firm's
experts, the national coordination for all — is checked by the missions layer, which
holds the access policy's answer, ``missions.selectors.may_manage_expert``):
- ``expert_create(organisation=, first_name=, last_name=, skills=(), **fields)`` and
  ``expert_update(expert=, skills=None, **fields)``, fields among ``EXPERT_FIELDS``; the
  organisation must be a large firm and never changes.
- ``expert_invite(expert=)`` gives the expert an account (an existing user with the
  expert's e-mail address, if it holds no role but the expert role of that firm, or a new
  one without a password) holding the expert role for the firm, and mails a link to
  choose a password (Django's password-reset token), once per expert, user and day.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from alize.accounts.models import Role, RoleAssignment
from alize.errors import ApplicationError
from alize.mail import send_once
from alize.services import model_update

from .models import Expert, Organisation

ORGANISATION_FIELDS = ("name", "slug", "siren", "kind", "public_level", "address", "city")


def _set_fields(organisation: Organisation, fields: dict) -> None:
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown organisation fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(organisation, name, value)


@transaction.atomic
def organisation_create(**fields) -> Organisation:
    """Add an organisation to the directory."""
    organisation = Organisation()
    _set_fields(organisation, fields)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, **fields) -> Organisation:
    """Change an organisation; a public level stays reserved to public bodies."""
    _set_fields(organisation, fields)
    organisation.full_clean()
    organisation.save()
    return organisation


EXPERT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "hours_per_month",
    "availability_note",
    "lends_across_territories",
    "is_active",
)


def _check_firm(organisation: Organisation) -> None:
    if not organisation.is_large_firm:
        raise ApplicationError(
            _("Un expert appartient à une entreprise partenaire."),
            field="organisation",
            code="not_a_firm",
        )


@transaction.atomic
def expert_create(
    *, organisation: Organisation, first_name: str, last_name: str, skills=(), **fields
) -> Expert:
    """Add an expert to a partner firm, with their skills."""
    _check_firm(organisation)
    expert = Expert(organisation=organisation)
    model_update(
        expert, EXPERT_FIELDS, {"first_name": first_name, "last_name": last_name, **fields}
    )
    expert.full_clean()
    expert.save()
    expert.skills.set(skills)
    return expert


@transaction.atomic
def expert_update(*, expert: Expert, skills=None, **fields) -> Expert:
    """Change an expert's details, availability or skills (``skills=None`` keeps them)."""
    model_update(expert, EXPERT_FIELDS, fields)
    expert.full_clean()
    expert.save()
    if skills is not None:
        expert.skills.set(skills)
    return expert


def _send_invitation(expert_id: int, user_id: int) -> None:
    expert = Expert.objects.select_related("organisation").get(pk=expert_id)
    user = get_user_model().objects.get(pk=user_id)
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_once(
        key=f"partners:expert-invitation:{expert.pk}:user-{user.pk}:{timezone.localdate()}",
        to=user,
        template="partners/expert_invitation",
        context={
            "expert": expert.full_name,
            "firm": expert.organisation.name,
            "email": user.email,
            "set_password_path": path,
        },
    )


def _may_become_expert(user, organisation_id: int) -> bool:
    """An existing account joins an expert only if it is staff of nothing and holds no
    role but the expert role of that same firm."""
    if user.is_staff or user.is_superuser:
        return False
    return not (
        RoleAssignment.objects.filter(user=user)
        .exclude(role=Role.EXPERT, organisation_id=organisation_id)
        .exists()
    )


@transaction.atomic
def expert_invite(*, expert: Expert) -> Expert:
    """Give the expert an account with the expert role for their firm and mail them a link
    to choose their password (see the module contract)."""
    expert = Expert.objects.select_for_update().get(pk=expert.pk)
    if not expert.email:
        raise ApplicationError(
            _("Renseignez l'adresse e-mail de l'expert pour l'inviter."),
            field="email",
            code="required",
        )
    if not expert.is_active:
        raise ApplicationError(
            _("Un expert inactif ne peut pas être invité."), field="is_active", code="inactive"
        )
    User = get_user_model()
    user = expert.user or User.objects.filter(email__iexact=expert.email).first()
    if user is None:
        user = User.objects.create_user(email=expert.email, full_name=expert.full_name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif Expert.objects.filter(user=user).exclude(pk=expert.pk).exists():
        raise ApplicationError(
            _("Ce compte est déjà celui d'un autre expert."), field="email", code="taken"
        )
    elif user.pk != expert.user_id and not _may_become_expert(user, expert.organisation_id):
        # A correspondent must not hand the expert role (and the expert's record) to an
        # account that is someone else's way in: another role, another firm, the staff.
        raise ApplicationError(
            _("Cette adresse est celle d'un compte qui n'est pas un expert de l'entreprise."),
            field="email",
            code="taken",
        )
    RoleAssignment.objects.get_or_create(
        user=user, role=Role.EXPERT, organisation=expert.organisation, dispositif=None, region=""
    )
    if expert.user_id != user.pk:
        expert.user = user
        expert.save(update_fields=["user", "updated_at"])
    transaction.on_commit(lambda: _send_invitation(expert.pk, user.pk))
    return expert
