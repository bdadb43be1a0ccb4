"""Small presentation helpers shared by every app's templates."""

from typing import Any

from django import forms, template
from django.db import models

register = template.Library()

CHECK_WIDGETS = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)


@register.filter
def with_class(field: forms.BoundField) -> str:
    """Render a form field with Bootstrap's class for its widget (and is-invalid on error)."""
    widget = field.field.widget
    if isinstance(widget, CHECK_WIDGETS):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(field: forms.BoundField) -> bool:
    """Checkboxes or radio buttons, one per choice."""
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


def _model_field(spec: str) -> models.Field | None:
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    app_label, model_name, name = spec.split(".")
    try:
        return apps.get_model(app_label, model_name)._meta.get_field(name)
    except (LookupError, FieldDoesNotExist):
        return None


@register.filter
def field_label(spec: str) -> str:
    """`"partners.Partner.city"|field_label` → the field's verbose name in the reader's
    language."""
    model_field = _model_field(spec)
    return str(model_field.verbose_name) if model_field else spec.rsplit(".", 1)[-1]


@register.filter
def field_value(value: Any, spec: str) -> Any:
    """`value|field_value:"partners.Partner.tier"` → the choice label in the reader's language;
    lists are shown joined."""
    model_field = _model_field(spec)
    choices = dict(model_field.choices or []) if model_field else {}
    if spec.endswith(".coverage"):
        from partners.choices import Province

        choices = dict(Province.choices)
    if isinstance(value, list):
        return "、".join(str(choices.get(item, item)) for item in value) or "—"
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    return choices.get(value, value)


@register.filter
def holiday_name(key: str) -> str:
    """A holiday's name in the reader's language ("mid_autumn" → 中秋节)."""
    from reminders.holidays import NAMES

    return str(NAMES.get(key, key))


@register.filter
def lookup(mapping: Any, key: str) -> Any:
    """`figures|lookup:key`: a dict's value under a key held in a variable."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def split(text: str) -> list[str]:
    """`"a b c"|split` → ["a", "b", "c"]: a list of names written in a template."""
    return text.split()


@register.filter
def field(form: forms.Form, name: str) -> forms.BoundField:
    """`form|field:name` → the bound field called `name`."""
    return form[name]


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    """`labels|get_item:code` → labels[code] (empty when missing)."""
    return mapping.get(key, "")
