from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.forms import DateInput
from partners.models import Partner

from .models import Interaction, TierPolicy

User = get_user_model()


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.docx,.xlsx,.pptx"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def people_who_see(partner: Partner) -> QuerySet:
    """Staff who may be named on the partner's interactions and tasks."""
    ids = [partner.owner_id, *partner.specialists.values_list("pk", flat=True)]
    return User.objects.filter(is_active=True, pk__in=[pk for pk in ids if pk]).order_by("username")


class InteractionForm(forms.ModelForm):
    """The visit report and every other contact; laid out to be filled in on a phone."""

    attachments = MultipleFileField(
        label=_("Photos and files"),
        required=False,
        help_text=_("Visit photos, minutes: JPEG, PNG, HEIC, PDF or Office files, 10 MB each."),
    )

    class Meta:
        model = Interaction
        fields = [
            "kind",
            "channel",
            "occurred_at",
            "contacts",
            "staff",
            "summary",
            "next_steps",
            "follow_up_on",
        ]
        widgets = {
            "occurred_at": DateTimeInput(),
            "follow_up_on": DateInput(),
            "contacts": forms.CheckboxSelectMultiple,
            "staff": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 4}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = partner.contacts.all()  # type: ignore[attr-defined]
        self.fields["staff"].queryset = people_who_see(partner)  # type: ignore[attr-defined]
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class AdhocTaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people_who_see(partner)  # type: ignore[attr-defined]
        self.fields["assignee"].initial = partner.owner_id


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people_who_see(partner)  # type: ignore[attr-defined]


class TaskNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class TierPolicyForm(forms.ModelForm):
    class Meta:
        model = TierPolicy
        fields = [
            "contact_every_days",
            "visit_every_days",
            "review_every",
            "rebate_multiplier",
            "issue_sla_days",
        ]
