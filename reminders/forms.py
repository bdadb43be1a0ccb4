from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

from .choices import ReminderKind
from .models import Team

User = get_user_model()


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("Send me the daily email"), required=False)
    send_hour = forms.TypedChoiceField(
        label=_("Send it at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    wanted_kinds = forms.MultipleChoiceField(
        label=_("What it holds"),
        choices=ReminderKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def disabled_kinds(self) -> list[str]:
        wanted = set(self.cleaned_data["wanted_kinds"])
        return [kind for kind in ReminderKind.values if kind not in wanted]


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Team
        fields = ["name", "members", "webhook_kind", "webhook_url"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff_roles = (Role.CHANNEL_MANAGER, Role.CHANNEL_SPECIALIST, Role.SALES_VP, Role.SUPPORT)
        self.fields["members"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, groups__name__in=staff_roles)
            .distinct()
            .order_by("username")
        )
