from typing import Any

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
    answers 404 before any permission is judged, so a 403 never reveals that it exists.
    The object found then is the one `get_object()` returns: one lookup per request."""

    _checked_object: Any = None

    def check_permissions(self, request: Request) -> None:
        lookup = self.lookup_url_kwarg or self.lookup_field  # type: ignore[attr-defined]
        if request.user.is_authenticated and lookup in self.kwargs:  # type: ignore[attr-defined]
            try:
                self._checked_object = get_object_or_404(
                    self.get_queryset(),  # type: ignore[attr-defined]
                    **{self.lookup_field: self.kwargs[lookup]},  # type: ignore[attr-defined]
                )
            except (TypeError, ValueError, ValidationError) as error:  # "/partners/abc/"
                raise Http404 from error
        super().check_permissions(request)  # type: ignore[misc]

    def get_object(self) -> Any:
        if self._checked_object is None:
            return super().get_object()  # type: ignore[misc]
        self.check_object_permissions(self.request, self._checked_object)  # type: ignore[attr-defined]
        return self._checked_object
