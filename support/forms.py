from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLES_SEEING_ALL_PARTNERS
from channelhub.lib.periods import Quarter
from maintenance.forms import MultipleFileField
from partners.forms import DateInput
from partners.models import Partner

from .choices import IssueCategory, IssueGrouping
from .models import Article, PartnerIssue

User = get_user_model()


def assignable_users(partners: QuerySet[Partner]) -> QuerySet:
    """Who may be assigned an issue of these partners: their owners and specialists, and
    the people who see every partner (support, sales VPs). The service checks the issue's
    own partner."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(owned_partners__in=partners)
            | Q(supported_partners__in=partners)
            | Q(groups__name__in=ROLES_SEEING_ALL_PARTNERS)
        )
        .distinct()
    )


def issue_workers(partner: Partner) -> QuerySet:
    """Who may be assigned the partner's issues."""
    return assignable_users(Partner.objects.filter(pk=partner.pk)).order_by("username")


class IssueForm(forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Photos and files"),
        required=False,
        help_text=_("Screenshots, photos, PDF or Office files, 10 MB each."),
    )

    class Meta:
        model = PartnerIssue
        fields = ["title", "category", "priority", "description", "contact", "assignee"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = partner.contacts.all()  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = issue_workers(partner)  # type: ignore[attr-defined]
        self.fields["assignee"].help_text = _("Empty: the partner's owner.")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = issue_workers(partner)  # type: ignore[attr-defined]


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("What the partner should send or do"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution (shared with the partner)"), max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), max_length=2000)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    is_internal = forms.BooleanField(
        label=_("Internal (never shown to the partner)"), required=False, initial=True
    )


class AttachForm(forms.Form):
    attachments = MultipleFileField(label=_("Photos and files"))


class KpiForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    group_by = forms.ChoiceField(label=_("Group by"), choices=IssueGrouping.choices,
                                 required=False)  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quarter = Quarter.of(timezone.localdate())
        data["start"] = data.get("start") or quarter.start
        data["end"] = data.get("end") or quarter.end
        data["group_by"] = data.get("group_by") or IssueGrouping.TIER
        if data["start"] > data["end"]:
            raise forms.ValidationError(_("The start comes after the end."))
        if data["start"].year < 2000 or data["end"].year > 2099:
            raise forms.ValidationError(_("Choose dates from 2000 to 2099."))
        return data


class ArticleForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Issue categories"), choices=IssueCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = Article
        fields = ["title", "problem", "solution", "tags", "categories"]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 5}),
            "solution": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {"solution": _("Markdown: **bold**, lists, links, tables. No HTML.")}
