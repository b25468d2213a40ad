"""The platform's form renderer writes inputs, selects and options in Python: byte for byte
what Django's templates give, for every value, attribute and choice a form can hold."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from alize.form_renderer import FormRenderer

CHOICES = [
    ("", "Tous"),
    ("a", "Alpha & <b>"),
    (2, "Deux"),
    ("Groupe « x »", [("g1", "Un"), ("g2", 'Deux "quoted"')]),
    # Labels a template localises: a decimal, a date, and a decimal naming a group.
    ("d", Decimal("1.5")),
    ("t", dt.date(2026, 3, 1)),
    (Decimal("2.5"), [("g3", "Trois")]),
]
ATTRS = [
    None,
    {"id": "id_f", "class": "a<b", "aria-describedby": "id_f_helptext id_f_error"},
    {"required": True, "disabled": False, "maxlength": 20, "data-x": mark_safe("<safe>")},
]
VALUES = [
    None,
    "",
    "a",
    2,
    "2",
    "g2",
    "absent",
    "l'été & <x>",
    Decimal("12.50"),
    dt.date(2026, 3, 1),
]
WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.CheckboxInput,
    forms.FileInput,
    lambda: forms.Select(choices=CHOICES),
    lambda: forms.SelectMultiple(choices=CHOICES),
    lambda: forms.NullBooleanSelect(),
    # Left to their templates: the renderer must hand them over unchanged.
    lambda: forms.RadioSelect(choices=CHOICES),
    forms.Textarea,
]


@pytest.mark.parametrize("make", WIDGETS)
@pytest.mark.parametrize("attrs", ATTRS)
def test_each_widget_renders_djangos_html(make, attrs):
    widget = make()
    for value in VALUES:
        if isinstance(widget, forms.SelectMultiple):
            value = None if value is None else [value, "g1"]
        expected = widget.render("f", value, attrs=attrs, renderer=DjangoTemplates())
        assert widget.render("f", value, attrs=attrs, renderer=FormRenderer()) == expected


def test_labels_are_localised_as_a_template_prints_them():
    html = forms.Select(choices=CHOICES).render("f", "d", renderer=FormRenderer())
    assert ">1,5</option>" in html and ">1 mars 2026</option>" in html
    assert '<optgroup label="2,5">' in html


def test_inputs_selects_and_options_take_no_template(monkeypatch):
    def refused(self, template_name):
        raise AssertionError(template_name)

    monkeypatch.setattr(FormRenderer, "get_template", refused)
    renderer = FormRenderer()
    assert "<option" in forms.Select(choices=CHOICES).render("f", "a", renderer=renderer)
    assert "<input" in forms.DateInput().render("f", None, renderer=renderer)
    with pytest.raises(AssertionError, match="textarea"):
        forms.Textarea().render("f", "x", renderer=renderer)


def test_it_is_the_platforms_renderer():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.django_db
def test_the_filter_and_fund_forms_render_djangos_html(world):
    """A list's filters (hundreds of options) and a fund page's forms, whole, as Django's
    templates write them."""
    from django.test import RequestFactory

    from alize.tenancy import enter_scope, leave_scope, scope_for_user
    from loans.forms import ContributionForm
    from pme.filtersets import ProjectFilterSet

    request = RequestFactory().get("/")
    request.user = world.user("coordinator")
    token = enter_scope(scope_for_user(request.user))
    try:
        filters = ProjectFilterSet({"stage": "approved", "q": "<é>"}, request=request).form
        contribution = ContributionForm({"kind": "x", "amount": "abc"})
        contribution.is_valid()
        for form in (filters, contribution):
            for bound in form:
                ours = bound.as_widget()
                form.renderer = DjangoTemplates()
                theirs = type(bound)(form, bound.field, bound.name).as_widget()
                form.renderer = None
                assert ours == theirs, bound.name
    finally:
        leave_scope(token)
