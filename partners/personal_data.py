"""The experts as a kind of person (alize.personal_data, docs/personal-data.md "Experts"):
their name, e-mail, phone, function and availability note are erased and the expert made
inactive; their hours, missions and firm stay. Their account, when they have one, is the
same person. The retention rule is the missions app's (it knows when an expert worked)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.personal_data.registry import PersonKind, full_names, register_person_kind

ERASED_FIRST_NAME = "Personne effacée"

EXPERT = register_person_kind(
    PersonKind(
        key="expert",
        label=_("Expert"),
        model="partners.Expert",
        name=lambda expert: expert.full_name,
        erased_values=lambda expert: {
            "first_name": ERASED_FIRST_NAME,
            "last_name": f"#{expert.pk}",
            "email": "",
            "phone": "",
            "job_title": "",
            "availability_note": "",
            "is_active": False,
        },
        identity=lambda expert: [
            *full_names(expert.full_name, f"{expert.last_name} {expert.first_name}"),
            expert.email,
            expert.phone,
        ],
        search_fields=("first_name", "last_name", "email"),
        holds_data=~Q(first_name=ERASED_FIRST_NAME) | ~Q(email="") | ~Q(phone=""),
        describe=lambda expert: ", ".join(
            part for part in (str(expert.organisation), expert.job_title) if part
        ),
        account_field="user",
        prefetch=("organisation",),
    )
)
