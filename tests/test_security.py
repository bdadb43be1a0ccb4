import os
import subprocess
import sys

from django.conf import settings
from django.urls import reverse

from partners import services
from partners.choices import TimelineKind
from tests.factories import ContactFactory, PartnerFactory

XSS = '<script>alert("x")</script>'


def test_script_payloads_in_user_data_are_escaped_on_every_page(as_user, vp, manager):
    partner = PartnerFactory(
        owner=manager, legal_name=f"恶意{XSS}", short_name=XSS, notes=XSS, city=XSS
    )
    ContactFactory(partner=partner, name=XSS, title=XSS, is_primary=True)
    services.update_partner(partner, changed_by=manager, notes=XSS + "2")
    services.record_event(partner, TimelineKind.CONTACT_ADDED, actor=manager, details={"name": XSS})
    client = as_user(vp)
    pages = [
        reverse("partners:partner_list"),
        partner.get_absolute_url(),
        reverse("partners:partner_history", args=[partner.pk]),
        reverse("partners:partner_timeline", args=[partner.pk]),
        reverse("partners:partner_update", args=[partner.pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert XSS not in body, url
        assert "&lt;script&gt;" in body, url


def test_healthz_reports_database_broker_and_worker_heartbeat(client, db):
    from channelhub.services import record_heartbeat

    stale = client.get("/healthz").json()
    assert stale == {
        "database": "ok",
        "broker": "ok",
        "worker_heartbeat_age_seconds": None,
        "worker": "stale",
        "reminder_sweep_age_seconds": None,
        "reminder_sweep": "never",
    }
    record_heartbeat()
    fresh = client.get("/healthz").json()
    assert fresh["worker"] == "ok"
    assert 0 <= fresh["worker_heartbeat_age_seconds"] < 60


def test_healthz_answers_503_when_the_broker_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert (response.status_code, response.json()["broker"]) == (503, "down")


def _run_manage(*args, **env):
    """manage.py in a clean environment: no DEBUG, no local .env file."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            "CHANNELHUB_ENV_FILE": "/nonexistent/.env",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 60 + "production-like-secret-key-with-enough-entropy",
        DATABASE_URL=os.environ["DATABASE_URL"],
        ALLOWED_HOSTS="channelhub.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_settings_refuse_to_start_without_secret_key_or_database_url():
    result = _run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_the_api_and_pages_keep_working_while_redis_is_down(
    settings, as_user, as_api_user, manager
):
    settings.CACHES = {
        "default": {
            "BACKEND": "channelhub.lib.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
    }
    # (changing CACHES resets Django's cache handlers)

    assert as_api_user(manager).get("/api/v1/partners/").status_code == 200
    assert as_user(manager).get("/partners/").status_code == 200
