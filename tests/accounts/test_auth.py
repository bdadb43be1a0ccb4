import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role
from tests.factories import UserFactory

PASSWORD = "correct horse battery"


def log_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_role_groups_exist_with_exactly_their_permissions(db):
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == set(expected), role


def test_a_specialist_cannot_change_tiers_and_support_is_read_only(specialist, support):
    assert not specialist.has_perm("partners.change_partner_tier")
    assert specialist.has_perm("partners.change_partner")
    assert support.has_perm("partners.view_partner")
    assert not support.has_perm("partners.change_partner")


def test_log_in_and_out(manager, client):
    response = log_in(client, "manager")
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:partner_list")
    session_key = client.session.session_key

    client.post(reverse("logout"))

    assert client.get(reverse("partners:partner_list")).status_code == 302
    assert client.session.session_key != session_key


def test_the_session_is_cycled_on_login(manager, client):
    session = client.session
    session["probe"] = 1
    session.save()
    anonymous_key = client.cookies["sessionid"].value

    log_in(client, "manager")

    assert client.cookies["sessionid"].value != anonymous_key
    assert client.session["probe"] == 1  # cycled, not flushed


def test_a_wrong_password_shows_an_error(manager, client):
    response = log_in(client, "manager", "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors


def without_csrf_tokens(content):
    return re.sub(rb'(X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+', b"TOKEN", content)


def test_five_failures_lock_the_username_and_ip_identically_for_unknown_users(manager, client):
    for _ in range(5):
        log_in(client, "manager", "wrong")
    locked = log_in(client, "manager")  # even the right password is refused now

    other = Client()
    for _ in range(5):
        log_in(other, "nobody", "wrong")
    unknown = log_in(other, "nobody")

    assert locked.status_code == unknown.status_code == 429
    assert without_csrf_tokens(locked.content) == without_csrf_tokens(unknown.content)
    assert log_in(Client(REMOTE_ADDR="10.9.9.9"), "manager").status_code == 302


def test_a_deactivated_user_is_out_on_the_next_request(manager, partner, client):
    log_in(client, "manager")
    assert client.get(reverse("partners:partner_list")).status_code == 200
    manager.is_active = False
    manager.save()
    assert client.get(reverse("partners:partner_list")).status_code == 302


def test_password_change(manager, client):
    log_in(client, "manager")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much better secret 42",
            "new_password2": "a much better secret 42",
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a much better secret 42")


def test_password_reset_by_email(manager, client):
    response = client.post(reverse("password_reset"), {"email": "manager@example.com"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["manager@example.com"]
    link = re.search(r"https?://[^/\s]+(/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset secret 2026!", "new_password2": "reset secret 2026!"},
    )

    manager.refresh_from_db()
    assert manager.check_password("reset secret 2026!")


def test_a_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(db, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_forms_enforce_csrf(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("partners:partner_create"), {"legal_name": "x"})
    assert response.status_code == 403


def test_the_profile_sets_the_language_and_issues_an_api_token(as_user, manager):
    client = as_user(manager)
    client.post(
        reverse("accounts:profile"),
        {"display_name": "李经理", "email": "li@example.com", "phone": "", "language": "en"},
    )
    manager.refresh_from_db()
    assert manager.language == "en"

    client.post(reverse("accounts:regenerate_token"))
    first = manager.auth_token.key
    client.post(reverse("accounts:regenerate_token"))
    manager.refresh_from_db()
    assert manager.auth_token.key != first


@pytest.mark.parametrize("role", list(Role))
def test_demo_like_users_of_every_role_can_log_in(db, client, role):
    UserFactory(username=f"u-{role}", role=role)
    assert log_in(client, f"u-{role}").status_code == 302
