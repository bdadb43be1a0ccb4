from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from partners.choices import PartnerStatus, Tier, TimelineKind
from partners.models import Partner
from tests.factories import ContactFactory, PartnerFactory, TagFactory, UserFactory

LIST_URL = reverse("partners:partner_list")


def listed_names(response):
    return [partner.legal_name for partner in response.context["partners"]]


def test_the_list_shows_only_the_managers_partners(as_user, manager, partner, outsider):
    response = as_user(manager).get(LIST_URL)
    assert response.status_code == 200
    assert listed_names(response) == ["广州星河贸易有限公司"]
    assert "外部渠道有限公司" not in response.content.decode()


def test_a_vp_lists_every_partner(as_user, vp, partner, outsider):
    response = as_user(vp).get(LIST_URL)
    assert sorted(listed_names(response)) == ["外部渠道有限公司", "广州星河贸易有限公司"]


def test_a_partner_user_cannot_open_the_staff_list(as_user, partner_user):
    assert as_user(partner_user).get(LIST_URL).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tier": "core"}, ["核心"]),
        ({"partner_type": "agent"}, ["代理"]),
        ({"province": "ZJ"}, ["代理"]),
        ({"status": "terminated"}, ["终止"]),
        ({"q": "星河"}, ["广州星河贸易有限公司"]),
        ({"q": "13800000000"}, ["广州星河贸易有限公司"]),  # a contact's phone
        ({"q": "陈晓"}, ["广州星河贸易有限公司"]),  # a contact's name
        ({"tag": "TAG"}, ["核心"]),
        ({"ordering": "-legal_name"}, ["终止", "核心", "广州星河贸易有限公司", "代理"]),
    ],
)
def test_list_filters(as_user, manager, partner, query, expected):
    tag = TagFactory(name="重点")
    core = PartnerFactory(owner=manager, legal_name="核心", tier=Tier.CORE)
    core.tags.add(tag)
    PartnerFactory(owner=manager, legal_name="代理", partner_type="agent", province="ZJ")
    PartnerFactory(
        owner=manager,
        legal_name="终止",
        status=PartnerStatus.TERMINATED,
        terminated_on=date(2026, 1, 1),
        termination_reason="other",
    )
    if "tag" in query:
        query = {"tag": tag.pk}
    response = as_user(manager).get(LIST_URL, query)
    assert listed_names(response) == expected


def test_filtering_by_owner_is_limited_to_oneself_for_a_manager(
    as_user, manager, colleague, partner
):
    response = as_user(manager).get(LIST_URL, {"owner": colleague.pk})
    assert listed_names(response) == []
    assert "owner" in response.context["filterset"].errors


def test_an_htmx_request_gets_only_the_table(as_user, manager, partner):
    response = as_user(manager).get(LIST_URL, {"q": "星河"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "广州星河贸易有限公司" in body
    assert "<html" not in body


def _portfolio(owner, count):
    tag = TagFactory(name="热点")
    for number in range(count):
        partner = PartnerFactory(owner=owner)
        partner.tags.add(tag)
        ContactFactory(partner=partner, is_primary=True, name=f"主联系人{number}")


@pytest.mark.parametrize("count", [10, 50])
def test_the_list_page_runs_a_constant_number_of_queries(
    as_user, manager, count, django_assert_num_queries
):
    _portfolio(manager, count)
    client = as_user(manager)
    # session, user, user and group permissions, role names, count, the owner and tag
    # choices of the filter form, the page, its tags, its primary contacts
    with django_assert_num_queries(11):
        response = client.get(LIST_URL, {"page_size": 50})
    assert response.status_code == 200


def test_the_detail_page_shows_profile_contacts_tier_history_and_timeline(as_user, manager, vp):
    from partners import services

    partner = services.create_partner(
        created_by=manager,
        contacts=[services.ContactData(name="陈晓", phone="13800000000")],
        legal_name="广州星河贸易有限公司",
        partner_type="distributor",
        province="GD",
        city="广州",
        owner=manager,
    )
    services.change_tier(partner, to_tier=Tier.CORE, changed_by=vp, reason="年度评估")

    response = as_user(manager).get(partner.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert "陈晓" in body
    assert "13800000000" in body
    assert "年度评估" in body
    assert [event.kind for event in response.context["timeline"]] == [
        TimelineKind.TIER_CHANGED,
        TimelineKind.CREATED,
    ]


def test_the_timeline_pages_through_htmx(as_user, manager, partner):
    from partners.services import record_event

    for _ in range(25):
        record_event(partner, TimelineKind.UPDATED, actor=manager, details={"changes": []})
    client = as_user(manager)
    first = client.get(partner.get_absolute_url())
    assert len(first.context["timeline"]) == 20
    second = client.get(reverse("partners:partner_timeline", args=[partner.pk]), {"page": 2})
    assert len(second.context["timeline"]) == 5


def test_a_manager_creates_a_partner_owned_by_themselves(as_user, manager):
    response = as_user(manager).post(
        reverse("partners:partner_create"),
        {
            "legal_name": "成都蜀道科技有限公司",
            "partner_type": "reseller",
            "province": "SC",
            "city": "成都",
            "coverage": ["SC", "CQ"],
            "cooperation_start_date": "2026-03-01",
            "contact-name": "何静",
            "contact-phone": "13700000000",
            "contact-language": "zh-hans",
        },
    )
    partner = Partner.objects.get(legal_name="成都蜀道科技有限公司")
    assert response.status_code == 302
    assert (partner.owner, partner.tier, partner.coverage) == (
        manager,
        Tier.POTENTIAL,
        ["SC", "CQ"],
    )
    assert partner.primary_contact.name == "何静"


def test_creating_with_missing_fields_shows_the_errors_and_writes_nothing(as_user, manager):
    response = as_user(manager).post(
        reverse("partners:partner_create"),
        {
            "legal_name": "",
            "contract_end_date": "2020-01-01",
            "cooperation_start_date": "2021-01-01",
        },
    )
    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.errors) == {"legal_name", "partner_type", "province", "contract_end_date"}
    assert Partner.objects.count() == 0


def test_a_manager_cannot_give_the_partner_to_someone_else(as_user, manager, colleague):
    as_user(manager).post(
        reverse("partners:partner_create"),
        {
            "legal_name": "A公司",
            "partner_type": "agent",
            "province": "BJ",
            "cooperation_start_date": "2026-01-01",
            "owner": colleague.pk,
            "tier": "core",
            "contact-name": "甲",
            "contact-language": "zh-hans",
        },
    )
    partner = Partner.objects.get(legal_name="A公司")
    assert (partner.owner, partner.tier) == (manager, Tier.POTENTIAL)


def edit_data(partner, **changes):
    data = {
        "legal_name": partner.legal_name,
        "partner_type": partner.partner_type,
        "province": partner.province,
        "cooperation_start_date": partner.cooperation_start_date.isoformat(),
        "version": partner.version,
    }
    return {**data, **changes}


def test_editing_saves_and_lists_the_change_on_the_timeline(as_user, specialist, partner):
    response = as_user(specialist).post(
        reverse("partners:partner_update", args=[partner.pk]), edit_data(partner, city="深圳")
    )
    assert response.status_code == 302
    event = partner.events.get(kind=TimelineKind.UPDATED)
    assert (event.actor, event.details["changes"][0]["new"]) == (specialist, "深圳")


def test_an_edit_on_a_stale_version_answers_409_and_keeps_the_newer_data(as_user, manager, partner):
    client = as_user(manager)
    url = reverse("partners:partner_update", args=[partner.pk])
    client.post(url, edit_data(partner, city="深圳"))

    response = client.post(url, edit_data(partner, city="珠海"))

    assert response.status_code == 409
    assert len(response.context["form"].non_field_errors()) == 1
    partner.refresh_from_db()
    assert partner.city == "深圳"


def test_support_can_read_but_not_edit(as_user, support, partner):
    client = as_user(support)
    assert client.get(partner.get_absolute_url()).status_code == 200
    url = reverse("partners:partner_update", args=[partner.pk])
    assert client.post(url, edit_data(partner, city="x")).status_code == 403


def test_a_specialist_cannot_terminate_or_change_tier(as_user, specialist, partner):
    client = as_user(specialist)
    terminate = reverse("partners:partner_terminate", args=[partner.pk])
    tier = reverse("partners:partner_change_tier", args=[partner.pk])
    assert (
        client.post(terminate, {"terminated_on": "2026-11-01", "reason": "other"}).status_code
        == 403
    )
    assert client.post(tier, {"to_tier": "core", "reason": "x"}).status_code == 403


def test_terminate_and_reactivate_in_the_browser(as_user, manager, partner):
    client = as_user(manager)
    client.post(
        reverse("partners:partner_terminate", args=[partner.pk]),
        {"terminated_on": "2026-11-01", "reason": "poached", "note": "竞品", "version": 1},
    )
    partner.refresh_from_db()
    assert (partner.status, partner.termination_reason) == (PartnerStatus.TERMINATED, "poached")

    client.post(reverse("partners:partner_reactivate", args=[partner.pk]), {"version": 2})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE


def test_terminating_without_a_reason_shows_an_error_and_changes_nothing(as_user, manager, partner):
    response = as_user(manager).post(
        reverse("partners:partner_terminate", args=[partner.pk]),
        {"terminated_on": "2026-11-01", "version": partner.version},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE


def test_a_vp_changes_the_tier_with_a_reason(as_user, vp, partner):
    as_user(vp).post(
        reverse("partners:partner_change_tier", args=[partner.pk]),
        {"to_tier": "core", "reason": "连续超额完成", "effective_on": "2026-10-01", "version": 1},
    )
    partner.refresh_from_db()
    assert partner.tier == Tier.CORE
    assert partner.tier_changes.first().reason == "连续超额完成"


def test_contacts_are_added_edited_and_removed(as_user, manager, partner):
    client = as_user(manager)
    client.post(
        reverse("partners:contact_create", args=[partner.pk]),
        {"name": "林芳", "email": "lin@example.cn", "is_primary": "on", "language": "en"},
    )
    lin = partner.contacts.get(name="林芳")
    assert lin.is_primary
    assert not partner.contacts.get(name="陈晓").is_primary

    client.post(
        reverse("partners:contact_update", args=[partner.pk, lin.pk]),
        {"name": "林芳", "email": "not-an-email", "language": "en"},
    )
    assert partner.contacts.get(pk=lin.pk).email == "lin@example.cn"

    client.post(reverse("partners:contact_delete", args=[partner.pk, lin.pk]))
    assert list(partner.contacts.values_list("name", "is_primary")) == [("陈晓", True)]


def test_a_contact_of_another_partner_answers_404_through_a_visible_partner(
    as_user, manager, partner, outsider
):
    foreign = ContactFactory(partner=Partner.objects.get(owner=outsider))
    url = reverse("partners:contact_update", args=[partner.pk, foreign.pk])
    assert as_user(manager).get(url).status_code == 404


def test_the_history_page_shows_who_changed_what(as_user, manager, partner):
    from partners import services

    services.update_partner(partner, changed_by=manager, city="佛山")
    response = as_user(manager).get(reverse("partners:partner_history", args=[partner.pk]))
    assert response.status_code == 200
    first = response.context["rows"][0]
    assert first["record"].history_user == manager
    assert [(c.field, c.old, c.new) for c in first["changes"] if c.field == "city"] == [
        ("city", "", "佛山")
    ]


def test_a_new_specialist_sees_the_partner_once_assigned(as_user, manager, partner, db):
    newcomer = UserFactory(role=Role.CHANNEL_SPECIALIST)
    client = as_user(newcomer)
    assert client.get(partner.get_absolute_url()).status_code == 404
    partner.specialists.add(newcomer)
    assert client.get(partner.get_absolute_url()).status_code == 200


def test_a_page_past_the_end_shows_the_last_page(as_user, manager, partner):
    response = as_user(manager).get(LIST_URL, {"page": 999})
    assert response.status_code == 200
    assert listed_names(response) == ["广州星河贸易有限公司"]


def test_the_timeline_page_number_may_be_garbage(as_user, manager, partner):
    url = reverse("partners:partner_timeline", args=[partner.pk])
    assert as_user(manager).get(url, {"page": "abc"}).status_code == 200


def test_a_specialist_edit_form_has_no_specialists_field(as_user, specialist, partner):
    response = as_user(specialist).get(reverse("partners:partner_update", args=[partner.pk]))
    assert "specialists" not in response.context["form"].fields
    assert "owner" not in response.context["form"].fields


def test_a_history_restore_request_gets_the_whole_page(as_user, manager, partner):
    response = as_user(manager).get(
        LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_an_edit_without_the_version_is_refused(as_user, manager, partner):
    data = edit_data(partner, city="深圳")
    del data["version"]
    response = as_user(manager).post(reverse("partners:partner_update", args=[partner.pk]), data)
    assert "version" in response.context["form"].errors
    partner.refresh_from_db()
    assert partner.city == ""


def test_the_filter_dropdowns_offer_all_and_accept_several_values_in_the_url(
    as_user, manager, partner
):
    PartnerFactory(owner=manager, legal_name="核心", tier=Tier.CORE)
    PartnerFactory(owner=manager, legal_name="潜力", tier=Tier.POTENTIAL)
    client = as_user(manager)

    everything = client.get(LIST_URL, {"tier": ""})
    two = client.get(f"{LIST_URL}?tier=core&tier=potential")

    assert len(listed_names(everything)) == 3
    assert listed_names(two) == ["核心", "潜力"]
    assert 'value="" selected' in everything.content.decode()
