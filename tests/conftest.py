"""Personas (as in Healthchecks): a manager and their partner, a colleague manager, a
specialist supporting the manager's partner, an outsider manager with a portfolio of their
own, a sales VP, a support engineer and a partner user."""

import os

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import ContactFactory, PartnerFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # pytest-django with sync Playwright


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every persona has a password; PBKDF2's million rounds cost 0.6 s a user here. The
    production hasher is Django's default (checked by `manage.py check --deploy`)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=Role.CHANNEL_MANAGER, display_name="李经理")


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", role=Role.CHANNEL_MANAGER)


@pytest.fixture
def specialist(db):
    return UserFactory(username="specialist", role=Role.CHANNEL_SPECIALIST)


@pytest.fixture
def outsider(db):
    """A channel manager with partners of their own, none of which are the manager's."""
    user = UserFactory(username="outsider", role=Role.CHANNEL_MANAGER)
    PartnerFactory(owner=user, legal_name="外部渠道有限公司")
    return user


@pytest.fixture
def vp(db):
    return UserFactory(username="vp", role=Role.SALES_VP)


@pytest.fixture
def support(db):
    return UserFactory(username="support", role=Role.SUPPORT)


@pytest.fixture
def partner_user(db):
    return UserFactory(username="partneruser", role=Role.PARTNER_USER)


@pytest.fixture
def partner(manager, specialist):
    """The manager's partner, supported by the specialist, with a primary contact."""
    partner = PartnerFactory(
        owner=manager, specialists=[specialist], legal_name="广州星河贸易有限公司"
    )
    ContactFactory(partner=partner, name="陈晓", phone="13800000000", is_primary=True)
    return partner


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_login(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def as_user():
    return login


@pytest.fixture
def as_api_user():
    return api_login


@pytest.fixture
def celery_eager(monkeypatch, settings, tmp_path):
    """Tasks run in the caller's process; uploads land in a temporary media folder."""
    from channelhub.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    return app
