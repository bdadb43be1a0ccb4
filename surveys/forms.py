from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.choices import Province, Tier
from partners.filtersets import manager_choices

from .choices import QuestionKind, ResultGrouping, SurveyStatus
from .models import Survey, SurveyQuestion, SurveySettings
from .services import Answers, month_of

MONTH_PATTERN = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")  # 2000-01 … 2099-12
RESULT_MONTHS = 6


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = ["is_enabled", "send_day", "send_hour", "valid_days"]


class QuestionForm(forms.ModelForm):
    class Meta:
        model = SurveyQuestion
        fields = ["kind", "text_zh", "text_en", "position", "is_required", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].disabled = True
        else:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                (QuestionKind.RATING.value, QuestionKind.RATING.label),
                (QuestionKind.TEXT.value, QuestionKind.TEXT.label),
            ]
        if self.instance.is_core:
            self.fields["is_active"].disabled = True


class MonthField(forms.CharField):
    """A month as 2026-11 (the first day of it)."""

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = MONTH_PATTERN.match(text)
        if not match:
            raise forms.ValidationError(_("Give the month as 2026-11 (2000 to 2099)."))
        return date(int(match[1]), int(match[2]), 1)


def months_back(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


class ResultsForm(forms.Form):
    """What the results page and the results API read from the query string."""

    first = MonthField(label=_("From month"), required=False)
    last = MonthField(label=_("To month"), required=False)
    group_by = forms.ChoiceField(
        label=_("Group by"), choices=ResultGrouping.choices, required=False
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=[("", _("All")), *Tier.choices],
                             required=False)  # fmt: skip
    province = forms.ChoiceField(
        label=_("Region"), choices=[("", _("All")), *Province.choices], required=False
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"), queryset=manager_choices(None), required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = manager_choices(request)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        this_month = month_of(timezone.localdate())
        data["last"] = data.get("last") or this_month
        data["first"] = data.get("first") or months_back(data["last"], RESULT_MONTHS - 1)
        data["group_by"] = data.get("group_by") or ResultGrouping.MONTH
        if data["first"] > data["last"]:
            raise forms.ValidationError(_("The first month comes after the last."))
        return data


class SurveyListForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *SurveyStatus.choices], required=False
    )


class ResendForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["email"]
        labels = {"email": _("Send to")}


RATINGS = {
    QuestionKind.SATISFACTION: range(1, 6),
    QuestionKind.RATING: range(1, 6),
    QuestionKind.RECOMMEND: range(0, 11),
}


class AnswerForm(forms.Form):
    """The survey's questions (as they were when it was sent), in the contact's language."""

    def __init__(self, *args: Any, survey: Survey, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        for question in survey.questions:
            name = f"q{question['id']}"
            label = survey.question_text(question, language)
            required = bool(question["required"])
            scale = RATINGS.get(question["kind"])
            if scale is None:
                self.fields[name] = forms.CharField(
                    label=label, required=required, max_length=5000,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )  # fmt: skip
            else:
                self.fields[name] = forms.TypedChoiceField(
                    label=label, required=required, coerce=int, empty_value=None,
                    choices=[(str(n), str(n)) for n in scale], widget=forms.RadioSelect,
                )  # fmt: skip

    def answers(self) -> Answers:
        found: dict[str, Any] = {"satisfaction": None, "recommend": None, "comment": ""}
        others: dict[str, Any] = {}
        for question in self.survey.questions:
            value = self.cleaned_data.get(f"q{question['id']}")
            if question["kind"] in found:
                found[question["kind"]] = value if value is not None else found[question["kind"]]
            elif value not in (None, ""):
                others[str(question["id"])] = value
        return Answers(
            satisfaction=found["satisfaction"],
            recommend=found["recommend"],
            comment=found["comment"] or "",
            others=others,
        )
