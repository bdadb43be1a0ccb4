import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partners.choices import PartnerStatus, Tier, TimelineKind
from partners.models import Contact, Partner
from tests.factories import ContactFactory, PartnerFactory, TagFactory

PARTNERS = "/api/v1/partners/"
CONTACTS = "/api/v1/contacts/"


def names(response):
    return [row["legal_name"] for row in response.json()["results"]]


def new_partner(**overrides):
    return {
        "legal_name": "苏州工业园区示范科技有限公司",
        "partner_type": "distributor",
        "province": "JS",
        "cooperation_start_date": "2025-05-01",
        **overrides,
    }


def test_the_list_is_scoped_filtered_and_paginated(as_api_user, manager, partner, outsider):
    PartnerFactory(owner=manager, legal_name="核心", tier=Tier.CORE)
    client = as_api_user(manager)

    assert sorted(names(client.get(PARTNERS))) == ["广州星河贸易有限公司", "核心"]
    assert names(client.get(PARTNERS, {"tier": "core"})) == ["核心"]
    assert names(client.get(PARTNERS, {"q": "陈晓"})) == ["广州星河贸易有限公司"]
    page = client.get(PARTNERS, {"page_size": 1}).json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (2, 1, True)


def test_page_size_is_capped(as_api_user, manager, monkeypatch):
    from channelhub.api.pagination import StandardPagination

    monkeypatch.setattr(StandardPagination, "max_page_size", 2)
    for _ in range(3):
        PartnerFactory(owner=manager)
    response = as_api_user(manager).get(PARTNERS, {"page_size": 100000})
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize("count", [10, 50])
def test_the_api_list_runs_a_constant_number_of_queries(
    as_api_user, manager, count, django_assert_num_queries
):
    tag = TagFactory()
    for _ in range(count):
        partner = PartnerFactory(owner=manager)
        partner.tags.add(tag)
        ContactFactory(partner=partner, is_primary=True)
    client = as_api_user(manager)
    # user and group permissions, role names, count, page, tags, primary contacts,
    # specialists
    with django_assert_num_queries(8):
        response = client.get(PARTNERS, {"page_size": 100})
    assert len(response.json()["results"]) == count


def test_a_manager_creates_a_partner_and_owns_it(as_api_user, manager):
    response = as_api_user(manager).post(
        PARTNERS, new_partner(coverage=["JS", "SH"]), format="json"
    )

    assert response.status_code == 201, response.json()
    partner = Partner.objects.get(pk=response.json()["id"])
    assert (partner.owner, partner.code, partner.coverage) == (manager, "P000001", ["JS", "SH"])
    assert partner.events.get().kind == TimelineKind.CREATED


def test_invalid_input_answers_400_with_field_errors(as_api_user, manager, partner):
    response = as_api_user(manager).post(
        PARTNERS,
        {
            "legal_name": "广州星河贸易有限公司",
            "partner_type": "wholesaler",
            "province": "XX",
            "coverage": ["GD", "MARS"],
            "cooperation_start_date": "2026-02-30",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {
        "legal_name",
        "partner_type",
        "province",
        "coverage",
        "cooperation_start_date",
    }


def test_a_contract_ending_before_it_starts_is_a_400(as_api_user, manager):
    response = as_api_user(manager).post(
        PARTNERS, new_partner(contract_end_date="2024-01-01"), format="json"
    )
    assert response.status_code == 400
    assert "contract_end_date" in response.json()


def test_server_set_fields_are_ignored_or_refused(as_api_user, manager, colleague):
    response = as_api_user(manager).post(
        PARTNERS,
        new_partner(
            status="terminated",
            version=99,
            created_at="2000-01-01T00:00:00Z",
            termination_reason="other",
        ),
        format="json",
    )
    partner = Partner.objects.get(pk=response.json()["id"])
    assert (partner.status, partner.version, partner.termination_reason) == (
        PartnerStatus.ACTIVE,
        1,
        "",
    )
    refused = as_api_user(manager).post(
        PARTNERS, new_partner(legal_name="B", owner=colleague.pk, tier="core"), format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"owner", "tier"}


def test_a_vp_assigns_the_owner_and_sets_the_tier(as_api_user, vp, colleague):
    response = as_api_user(vp).post(
        PARTNERS, new_partner(owner=colleague.pk, tier="core"), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["owner"], response.json()["tier"]) == (colleague.pk, "core")


def test_a_stale_version_answers_409(as_api_user, manager, partner):
    client = as_api_user(manager)
    url = f"{PARTNERS}{partner.pk}/"
    assert client.patch(url, {"city": "深圳", "version": 1}, format="json").status_code == 200

    response = client.patch(url, {"city": "珠海", "version": 1}, format="json")

    assert response.status_code == 409
    partner.refresh_from_db()
    assert (partner.city, partner.version) == ("深圳", 2)


def test_the_tier_cannot_be_patched_only_changed_through_the_action(as_api_user, vp, partner):
    client = as_api_user(vp)
    url = f"{PARTNERS}{partner.pk}/"
    assert client.patch(url, {"tier": "core"}, format="json").status_code == 400

    response = client.post(f"{url}change-tier/", {"to_tier": "core", "reason": "年度评估"})

    assert response.status_code == 200
    assert response.json()["tier"] == "core"
    history = client.get(f"{url}tier-history/").json()["results"]
    assert [(row["from_tier"], row["to_tier"]) for row in history] == [("regular", "core")]


def test_terminate_and_reactivate_actions(as_api_user, manager, partner):
    client = as_api_user(manager)
    url = f"{PARTNERS}{partner.pk}/"
    bad = client.post(f"{url}terminate/", {"terminated_on": "2026-11-01", "reason": "bored"})
    assert bad.status_code == 400
    assert "reason" in bad.json()

    done = client.post(f"{url}terminate/", {"terminated_on": "2026-11-01", "reason": "poached"})
    assert (done.status_code, done.json()["status"]) == (200, "terminated")
    again = client.post(f"{url}suspend/", {})
    assert again.status_code == 400

    back = client.post(f"{url}reactivate/", {})
    assert back.json()["status"] == "active"
    kinds = [row["kind"] for row in client.get(f"{url}timeline/").json()["results"]]
    assert kinds == ["status_changed", "status_changed"]


def test_a_specialist_cannot_terminate_create_or_delete(as_api_user, specialist, partner):
    client = as_api_user(specialist)
    url = f"{PARTNERS}{partner.pk}/"
    assert (
        client.post(
            f"{url}terminate/", {"terminated_on": "2026-11-01", "reason": "other"}
        ).status_code
        == 403
    )
    assert client.post(PARTNERS, new_partner(), format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert client.patch(url, {"city": "东莞"}, format="json").status_code == 200


def test_support_reads_but_cannot_write(as_api_user, support, partner):
    client = as_api_user(support)
    assert client.get(f"{PARTNERS}{partner.pk}/").status_code == 200
    assert client.patch(f"{PARTNERS}{partner.pk}/", {"city": "x"}, format="json").status_code == 403


def test_a_partner_user_reads_nothing(as_api_user, partner_user, partner):
    assert as_api_user(partner_user).get(PARTNERS).status_code == 403


def test_contacts_crud_and_primary_rule(as_api_user, manager, partner):
    client = as_api_user(manager)
    created = client.post(
        CONTACTS, {"partner": partner.pk, "name": "林芳", "is_primary": True}, format="json"
    )
    assert created.status_code == 201
    assert list(partner.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["林芳"]

    contact_id = created.json()["id"]
    patched = client.patch(f"{CONTACTS}{contact_id}/", {"email": "bad"}, format="json")
    assert (patched.status_code, list(patched.json())) == (400, ["email"])

    assert client.delete(f"{CONTACTS}{contact_id}/").status_code == 204
    assert partner.contacts.get().is_primary
    listed = client.get(f"{PARTNERS}{partner.pk}/contacts/").json()["results"]
    assert [row["name"] for row in listed] == ["陈晓"]


def same_but_for_numbers(first, second):
    return re.sub(r"\d+", "N", str(first)) == re.sub(r"\d+", "N", str(second))


def test_a_contact_cannot_be_attached_to_someone_elses_partner(as_api_user, manager, outsider):
    foreign = Partner.objects.get(owner=outsider)
    response = as_api_user(manager).post(
        CONTACTS, {"partner": foreign.pk, "name": "间谍"}, format="json"
    )
    missing = as_api_user(manager).post(CONTACTS, {"partner": 999999, "name": "x"}, format="json")
    assert response.status_code == missing.status_code == 400
    assert same_but_for_numbers(response.json(), missing.json())
    assert not Contact.objects.filter(name="间谍").exists()


def test_filtering_contacts_by_an_invisible_partner_answers_like_a_missing_one(
    as_api_user, manager, outsider
):
    foreign = Partner.objects.get(owner=outsider)
    client = as_api_user(manager)
    invisible = client.get(CONTACTS, {"partner": foreign.pk})
    missing = client.get(CONTACTS, {"partner": 999999})
    assert invisible.status_code == missing.status_code == 400
    assert invisible.json() == missing.json()


def test_token_authentication(manager, partner):
    token = Token.objects.create(user=manager)
    client = APIClient()
    assert client.get(PARTNERS).status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert names(client.get(PARTNERS)) == ["广州星河贸易有限公司"]


def test_session_authentication_enforces_csrf(manager, partner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(PARTNERS).status_code == 200
    response = client.patch(f"{PARTNERS}{partner.pk}/", {"city": "x"}, format="json")
    assert response.status_code == 403


def test_the_schema_and_docs_are_served(as_user, manager):
    client = as_user(manager)
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/partners/{id}/change-tier/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_a_non_numeric_id_answers_404(as_api_user, manager):
    client = as_api_user(manager)
    for url in [f"{PARTNERS}abc/", f"{PARTNERS}abc/terminate/", f"{CONTACTS}1e3/"]:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {}).status_code in (404, 405), url


def test_a_specialist_cannot_grant_or_revoke_access_through_specialists(
    as_api_user, specialist, partner
):
    from accounts.roles import Role
    from tests.factories import UserFactory

    friend = UserFactory(role=Role.CHANNEL_SPECIALIST)
    url = f"{PARTNERS}{partner.pk}/"
    client = as_api_user(specialist)

    response = client.patch(url, {"specialists": [specialist.pk, friend.pk]}, format="json")

    assert (response.status_code, list(response.json())) == (400, ["specialists"])
    assert list(partner.specialists.all()) == [specialist]
    unchanged = client.patch(url, {"specialists": [specialist.pk], "city": "东莞"}, format="json")
    assert unchanged.status_code == 200


def test_a_manager_assigns_specialists_to_their_partner(as_api_user, manager, partner):
    from accounts.roles import Role
    from tests.factories import UserFactory

    helper = UserFactory(role=Role.CHANNEL_SPECIALIST)
    response = as_api_user(manager).patch(
        f"{PARTNERS}{partner.pk}/", {"specialists": [helper.pk]}, format="json"
    )
    assert response.status_code == 200
    assert list(partner.specialists.all()) == [helper]


def test_a_partner_created_by_a_vp_without_an_owner_has_none(as_api_user, vp):
    response = as_api_user(vp).post(PARTNERS, new_partner(), format="json")
    assert (response.status_code, response.json()["owner"]) == (201, None)


def test_partners_are_never_deleted_through_the_api_even_by_a_superuser(as_api_user, partner):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True)
    assert as_api_user(admin).delete(f"{PARTNERS}{partner.pk}/").status_code == 405
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_a_detail_request_looks_the_partner_up_once(
    as_api_user, manager, partner, django_assert_num_queries
):
    client = as_api_user(manager)
    # user and group permissions, role names, the partner (404-first check, reused by
    # get_object), its tags, primary contact and specialists
    with django_assert_num_queries(7):
        response = client.get(f"{PARTNERS}{partner.pk}/")
    assert response.json()["legal_name"] == "广州星河贸易有限公司"
    # permissions are cached on the user now: the partner once, without the list
    # prefetches, then its sales by day and category, its targets (no sales: no category
    # names to look up)
    with django_assert_num_queries(3):
        assert client.get(f"{PARTNERS}{partner.pk}/performance/").status_code == 200
