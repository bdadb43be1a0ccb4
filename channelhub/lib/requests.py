from typing import Any

from accounts.models import User


def acting_user(request: Any) -> User:
    """The signed-in user of a Django or DRF request, for services that record the actor.

    Only called behind a login or permission check, so an anonymous user here is a bug."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("an authenticated user is required")
    return user


def posted_next(request: Any, default: str) -> str:
    """The page a form was posted from (`next`, only a path of this site), else `default`:
    never an open redirect."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(target)
    return default
