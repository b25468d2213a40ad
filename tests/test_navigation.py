"""The menu files each role's entries under its sections (docs/architecture.md §8)."""

from django.urls import reverse

from alize.navigation import entries_for, menu_of


def menu(client, user, path="/"):
    client.force_login(user)
    return client.get(path).context["menu"]


def shape(items) -> list:
    """Each item as its label, and a section as (label, [its entries' labels])."""
    return [
        (str(item["label"]), [str(e["label"]) for e in item["entries"]])
        if "entries" in item
        else str(item["entry"]["label"])
        for item in items
    ]


def test_each_role_sees_its_entries_under_the_sections(world, client):
    assert shape(menu(client, world.coordinator)) == [
        "Accueil",
        ("Pipeline", ["Entreprises", "Projets", "Entonnoir"]),
        "Comités",
        ("Entreprises partenaires", ["Missions", "Experts", "Fatigue"]),
        ("Financement", ["Avances", "Impayés", "Fonds"]),
        ("Pilotage", ["Indicateurs", "Dispositifs", "Documents"]),
        ("Administration", ["Organisations", "Données personnelles"]),
    ]
    # The animateur has no personal data to manage: the section's one entry shows alone.
    assert shape(menu(client, world.animateur_a)) == [
        *shape(menu(client, world.coordinator))[:-1],
        "Organisations",  # a section with one entry shows as that entry
    ]
    assert shape(menu(client, world.expert_a)) == [
        "Accueil",
        ("Entreprises partenaires", ["Missions", "Mes heures", "Experts"]),
        "Dispositifs",
    ]


def test_the_current_page_marks_its_entry_and_its_section(world, client):
    items = menu(client, world.animateur_a, reverse("loans:arrears"))
    financing = next(i for i in items if "entries" in i and str(i["label"]) == "Financement")
    assert financing["active"]
    assert [str(e["label"]) for e in financing["entries"] if e["active"]] == ["Impayés"]
    assert not any(i.get("active") for i in items if i is not financing)
    page = client.get(reverse("loans:arrears")).content.decode()
    assert 'aria-controls="menu-financing" aria-current="true"' in page
    assert page.count('aria-current="true"') == 1
    assert f'href="{reverse("loans:arrears")}" aria-current="page"' in page


def test_staff_reach_the_django_admin_from_the_administration_section(world, client, rf):
    world.coordinator.is_staff = True
    world.coordinator.save()
    administration = menu(client, world.coordinator)[-1]
    assert [str(e["label"]) for e in administration["entries"]] == [
        "Organisations",
        "Données personnelles",
        "Administration Django",
    ]
    request = rf.get("/")
    request.user = world.animateur_a
    assert reverse("admin:index") not in [e["url"] for e in entries_for(request)]
    assert menu_of([]) == []
