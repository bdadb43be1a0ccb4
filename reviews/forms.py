from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channelhub.lib.periods import QUARTER_PATTERN, Quarter
from maintenance.forms import DateTimeInput, MultipleFileField, people_who_see
from partners.forms import DateInput
from partners.models import Partner

from .choices import Dimension
from .models import BusinessReview, ScorecardWeights

User = get_user_model()
SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


def _record_widgets() -> dict[str, forms.Widget]:
    widgets: dict[str, forms.Widget] = {
        "notes": forms.Textarea(attrs={"rows": 5}),
        "partner_requests": forms.Textarea(attrs={"rows": 3}),
    }
    for key in Dimension.values:
        widgets[f"{key}_score"] = forms.RadioSelect(choices=SCORE_CHOICES)
        widgets[f"{key}_comment"] = forms.Textarea(attrs={"rows": 2})
    return widgets


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = BusinessReview
        fields = ["scheduled_at", "format", "agenda", "staff", "contacts"]
        widgets = {
            "scheduled_at": DateTimeInput(),
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "staff": forms.CheckboxSelectMultiple,
            "contacts": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheduled_at"].required = True
        self.fields["format"].required = True
        self.fields["contacts"].queryset = partner.contacts.all()  # type: ignore[attr-defined]
        self.fields["staff"].queryset = people_who_see(partner)  # type: ignore[attr-defined]


class RecordForm(forms.ModelForm):
    """Notes, the partner's requests and (once held) the scorecard."""

    class Meta:
        model = BusinessReview
        fields = [
            "notes", "partner_requests",
            *(f"{key}_{part}" for key in Dimension.values for part in ("score", "comment")),
        ]  # fmt: skip
        widgets = _record_widgets()

    def __init__(self, *args: Any, with_scorecard: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_scorecard:
            for key in Dimension.values:
                del self.fields[f"{key}_score"], self.fields[f"{key}_comment"]

    def scorecard_rows(self, weights: dict[str, int]) -> list[tuple[str, int, Any, Any]]:
        """(label, weight, score field, comment field) per dimension, once held."""
        if "sales_score" not in self.fields:
            return []
        return [
            (str(label), weights[key], self[f"{key}_score"], self[f"{key}_comment"])
            for key, label in Dimension.choices
        ]


class HoldForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ActionForm(forms.Form):
    """An action item; its owner is one of our people or one of the partner's contacts."""

    title = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ChoiceField(label=_("Owner"))
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people_who_see(partner)}
        self.contacts = {str(contact.pk): contact for contact in partner.contacts.all()}
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            (str(_("Our side")), [(f"user:{pk}", str(user)) for pk, user in self.people.items()]),
            (
                str(_("Partner side")),
                [(f"contact:{pk}", contact.name) for pk, contact in self.contacts.items()],
            ),
        ]
        self.fields["owner"].initial = f"user:{partner.owner_id}"

    def owners(self) -> dict[str, Any]:
        """{"owner_user": …} or {"owner_contact": …} from the chosen owner."""
        kind, _sep, pk = self.cleaned_data["owner"].partition(":")
        if kind == "user":
            return {"owner_user": self.people[pk]}
        return {"owner_contact": self.contacts[pk]}


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(
        label=_("Files"),
        help_text=_("Minutes, slides, photos: JPEG, PNG, HEIC, PDF or Office files, 10 MB each."),
    )


class WeightsForm(forms.ModelForm):
    class Meta:
        model = ScorecardWeights
        fields = Dimension.values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(key) for key in Dimension.values):
            raise forms.ValidationError(_("At least one dimension needs a weight."))
        return data


class PlanPartnerForm(forms.Form):
    """Plan one partner's review for a quarter (this one by default)."""

    quarter = forms.RegexField(
        label=_("Quarter"), regex=QUARTER_PATTERN, help_text=_("For example 2026Q4.")
    )

    def clean_quarter(self) -> Quarter:
        quarter = Quarter.parse(self.cleaned_data["quarter"])
        assert quarter is not None  # the regex validated it
        return quarter
