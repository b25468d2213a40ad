"""The users as a kind of person (alize.personal_data): their account's name and address
are erased, the account closed, its sign-in means and roles removed; retention erases the
accounts unused for the retention period (docs/personal-data.md, "Users")."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from alize.personal_data.registry import (
    KINDS,
    PersonKind,
    Retention,
    erased_name,
    full_names,
    register_person_kind,
    register_retention,
)

from .models import LoginFailure, RecoveryCode, Role, RoleAssignment

ERASED_DOMAIN = "effacee.invalid"


def erased_email(user_id: int) -> str:
    """A unique address that no mail can reach (``.invalid`` is reserved, RFC 2606)."""
    return f"personne-effacee-{user_id}@{ERASED_DOMAIN}"


def describe(user) -> str:
    roles = []
    for assignment in user.role_assignments.all():
        target = assignment.dispositif or assignment.organisation or assignment.region
        label = str(assignment.get_role_display())
        roles.append(f"{label} ({target})" if target else label)
    return ", ".join(roles) or str(_("aucun rôle"))


def on_erase(user, by) -> None:
    """Close the account: no password, inactive, no second factor, recovery codes, API
    token, roles (their removal stays in the roles' history) or login failures left."""
    LoginFailure.objects.filter(email__iexact=user.email).delete()
    RecoveryCode.objects.filter(user=user).delete()
    for label in ("otp_totp.TOTPDevice", "authtoken.Token"):
        apps.get_model(label)._default_manager.filter(user=user).delete()
    for assignment in RoleAssignment.objects.filter(user=user):
        assignment._history_user = by  # type: ignore[attr-defined]  # simple-history
        assignment.delete()
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["password", "is_active"])


def inactive_users(cutoff, dispositif):
    """Accounts not signed in since ``cutoff`` (or never, and created before it), API
    clients aside (machines, not persons), nor the accounts of a person another kind still
    keeps (an expert's, left to the experts' rule)."""
    User = get_user_model()
    api_only = Q(role_assignments__role=Role.API_CLIENT) & ~Exists(
        RoleAssignment.objects.filter(user=OuterRef("pk")).exclude(role=Role.API_CLIENT)
    )
    users = (
        User._default_manager.filter(USER.holds_data)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__date__lt=cutoff)
        .exclude(api_only)
    )
    for kind in KINDS.values():
        if kind.account_field:
            kept = kind.queryset().filter(kind.holds_data).exclude(**{kind.account_field: None})
            users = users.exclude(pk__in=kept.values(kind.account_field))
    return users.values_list("pk", flat=True).distinct()


USER = register_person_kind(
    PersonKind(
        key="user",
        label=_("Utilisateur"),
        model="accounts.User",
        name=lambda user: user.full_name or user.email,
        erased_values=lambda user: {
            "full_name": erased_name(user.pk),
            "email": erased_email(user.pk),
        },
        identity=lambda user: [*full_names(user.full_name), user.email],
        search_fields=("full_name", "email"),
        holds_data=~Q(email__endswith=f"@{ERASED_DOMAIN}"),
        describe=describe,
        on_erase=on_erase,
        prefetch=("role_assignments__dispositif", "role_assignments__organisation"),
    )
)
register_retention(
    "user",
    Retention(
        description=_("compte inutilisé depuis la durée de conservation"),
        candidates=inactive_users,
    ),
)
