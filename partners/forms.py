from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

from .choices import Province, TerminationReason, Tier
from .models import Contact, Partner, Tag

User = get_user_model()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def staff_in_role(role: Role) -> QuerySet:
    return User.objects.filter(groups__name=role, is_active=True).order_by("username")


class PartnerForm(forms.ModelForm):
    """Create and edit a partner's archive fields. Who may set the owner or the initial tier
    is decided by the view (`can_assign_owner`, `can_set_tier`)."""

    coverage = forms.MultipleChoiceField(
        label=_("Coverage"),
        choices=Province.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The provinces the partner covers."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Partner
        fields = [
            "code",
            "legal_name",
            "short_name",
            "partner_type",
            "tier",
            "province",
            "city",
            "coverage",
            "revenue_band",
            "headcount",
            "cooperation_start_date",
            "contract_end_date",
            "owner",
            "specialists",
            "tags",
            "notes",
        ]
        widgets = {
            "cooperation_start_date": DateInput(),
            "contract_end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "specialists": forms.SelectMultiple(attrs={"size": 4}),
            "tags": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(
        self,
        *args: Any,
        can_assign_owner: bool = False,
        can_assign_specialists: bool = False,
        can_set_tier: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        for name, queryset in (
            ("owner", staff_in_role(Role.CHANNEL_MANAGER)),
            ("specialists", staff_in_role(Role.CHANNEL_SPECIALIST)),
            ("tags", Tag.objects.all()),
        ):
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]
        if not can_assign_owner:
            del self.fields["owner"]
        if not can_assign_specialists:
            # Specialists decide who sees the partner: a row-level grant, not a profile field.
            del self.fields["specialists"]
        if not can_set_tier or self.instance.pk:
            # An existing partner changes tier only through a recorded tier change.
            del self.fields["tier"]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True  # optimistic locking on every edit
            self.fields["code"].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("cooperation_start_date"), cleaned.get("contract_end_date")
        if start and end and end < start:
            self.add_error(
                "contract_end_date", _("The contract cannot end before the cooperation starts.")
            )
        return cleaned


class TerminateForm(forms.Form):
    """Sent from the partner page with the version it showed."""

    terminated_on = forms.DateField(
        label=_("Terminated on"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=TerminationReason.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class StatusNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class TierChangeForm(forms.Form):
    to_tier = forms.ChoiceField(label=_("New tier"), choices=Tier.choices)
    effective_on = forms.DateField(
        label=_("Effective on"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "birthday", "is_primary", "language", "notes"]
        widgets = {"birthday": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx workbook or a .csv file (UTF-8 or GBK), one row per contact."),
    )
