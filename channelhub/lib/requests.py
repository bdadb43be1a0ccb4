from typing import Any

from accounts.models import User


def acting_user(request: Any) -> User:
    """The signed-in user of a Django or DRF request, for services that record the actor.

    Only called behind a login or permission check, so an anonymous user here is a bug."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("an authenticated user is required")
    return user
