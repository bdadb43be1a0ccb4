from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from channelhub.lib.requests import acting_user

from .forms import ProfileForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own settings: name, email, language (also of their emails), API token."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        translation.activate(user.language)
        messages.success(request, _("Your settings are saved."))
        response = redirect("accounts:profile")
        response.set_cookie("django_language", user.language, samesite="Lax")
        return response
    token = Token.objects.filter(user=acting_user(request)).first()
    return render(request, "accounts/profile.html", {"form": form, "token": token})


@login_required
@require_POST
def regenerate_token(request: HttpRequest) -> HttpResponse:
    """Replace the user's API token; the old one stops working at once."""
    user = acting_user(request)
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user)
    messages.success(request, _("A new API token was created; the old one no longer works."))
    return redirect("accounts:profile")
