"""``ListSelect`` renders in Python the very HTML of Django's select templates."""

import pytest
from django import forms

from alize.filters import ListSelect

CHOICES = [
    ("", "Tous"),
    ("a", "Alpha & <b>"),
    (2, "Deux"),
    ("Groupe « x »", [("g1", "Un"), ("g2", 'Deux "quoted"')]),
]


@pytest.mark.parametrize("value", [None, "", "a", 2, "2", "g2", "absent"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_stage", "class": "a<b"}, {"required": True, "disabled": False}]
)
def test_list_select_renders_the_templates_html(value, attrs):
    expected = forms.Select(choices=CHOICES).render("stage", value, attrs=attrs)
    rendered = ListSelect(choices=CHOICES).render("stage", value, attrs=attrs)
    assert "<option" in expected and rendered == expected


@pytest.mark.django_db
def test_the_filter_forms_selects_are_list_selects_with_djangos_html(world):
    from django.test import RequestFactory

    from alize.tenancy import enter_scope, leave_scope, scope_for_user
    from pme.filtersets import ProjectFilterSet

    request = RequestFactory().get("/")
    request.user = world.user("coordinator")
    token = enter_scope(scope_for_user(request.user))
    try:
        form = ProjectFilterSet({"stage": "approved"}, request=request).form
        selects = [
            bound for bound in form.visible_fields() if bound.field.widget.input_type == "select"
        ]
        assert {bound.name for bound in selects} >= {"stage", "project_type", "referred_by"}
        for bound in selects:
            widget = bound.field.widget
            assert isinstance(widget, ListSelect)
            plain = forms.Select(attrs=widget.attrs, choices=widget.choices)
            value = widget.format_value(bound.value())
            assert widget.render(bound.html_name, value) == plain.render(bound.html_name, value)
    finally:
        leave_scope(token)
