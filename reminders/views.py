"""Each person's reminder preferences, and the teams (with their group bots) a sales VP
keeps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from channelhub.lib.requests import acting_user
from partners.views import StaffViewMixin

from . import services
from .choices import ReminderKind
from .forms import PreferenceForm, TeamForm
from .models import DEFAULT_SEND_HOUR, Digest, ReminderPreference, Team


class PreferenceView(LoginRequiredMixin, View):
    """The signed-in user's own preferences and their latest digests."""

    def get(self, request: HttpRequest) -> HttpResponse:
        preference = ReminderPreference.objects.filter(user=acting_user(request)).first()
        disabled = set(preference.disabled_kinds) if preference else set()
        form = PreferenceForm(
            initial={
                "email_enabled": preference.email_enabled if preference else True,
                "send_hour": preference.send_hour if preference else DEFAULT_SEND_HOUR,
                "wanted_kinds": [k for k in ReminderKind.values if k not in disabled],
            }
        )
        return self.render(form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PreferenceForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        services.save_preferences(
            acting_user(request),
            email_enabled=form.cleaned_data["email_enabled"],
            send_hour=form.cleaned_data["send_hour"],
            disabled_kinds=form.disabled_kinds(),
        )
        messages.success(request, _("Saved."))
        return redirect("reminders:preferences")

    def render(self, form: PreferenceForm, status: int = 200) -> HttpResponse:
        digests = Digest.objects.filter(recipient=acting_user(self.request))[:14]
        context = {"form": form, "digests": digests}
        return render(self.request, "reminders/preferences.html", context, status=status)


class TeamListView(StaffViewMixin, View):
    permission_required = "reminders.view_team"

    def get(self, request: HttpRequest) -> HttpResponse:
        teams = Team.objects.prefetch_related("members")
        return render(request, "reminders/team_list.html", {"teams": teams})


class TeamEditView(StaffViewMixin, View):
    pk_is_partner = False

    def get_permission_required(self) -> list[str]:
        return ["reminders.change_team" if "pk" in self.kwargs else "reminders.add_team"]

    def get_team(self) -> Team:
        return get_object_or_404(Team, pk=self.kwargs["pk"]) if "pk" in self.kwargs else Team()

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(TeamForm(instance=self.get_team()))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = TeamForm(request.POST, instance=self.get_team())
        if form.is_valid():
            try:
                services.save_team(
                    form.instance,
                    members=form.cleaned_data["members"],
                    saved_by=acting_user(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Team saved."))
                return redirect("reminders:team_list")
        return self.render(form, status=400)

    def render(self, form: TeamForm, status: int = 200) -> HttpResponse:
        return render(self.request, "reminders/team_form.html", {"form": form}, status=status)
