from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request


class StaffModelPermissions(DjangoModelPermissions):
    """Django model permissions, reads included: a role without `view_<model>` reads nothing.

    Which rows a permitted user reaches is decided by the viewset's `visible_to(user)`.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class NotFoundBeforeForbiddenMixin:
    """On a detail route, an object outside `get_queryset()` (the caller's `visible_to`)
    answers 404 before any permission is judged, so a 403 never reveals that it exists."""

    def check_permissions(self, request: Request) -> None:
        lookup = self.lookup_url_kwarg or self.lookup_field  # type: ignore[attr-defined]
        if request.user.is_authenticated and lookup in self.kwargs:  # type: ignore[attr-defined]
            try:
                get_object_or_404(
                    self.get_queryset(),  # type: ignore[attr-defined]
                    **{self.lookup_field: self.kwargs[lookup]},  # type: ignore[attr-defined]
                )
            except (TypeError, ValueError, ValidationError) as error:  # "/partners/abc/"
                raise Http404 from error
        super().check_permissions(request)  # type: ignore[misc]
