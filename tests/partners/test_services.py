from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from partners import services
from partners.choices import PartnerStatus, TerminationReason, Tier, TimelineKind
from partners.models import Contact, Partner, TierChange
from tests.factories import ContactFactory, PartnerFactory, TagFactory


def kinds(partner):
    return list(partner.events.order_by("id").values_list("kind", flat=True))


def test_creating_a_partner_assigns_a_code_records_history_tier_and_timeline(manager, db):
    partner = services.create_partner(
        created_by=manager,
        contacts=[services.ContactData(name="王敏"), services.ContactData(name="赵强")],
        legal_name="杭州云帆科技有限公司",
        partner_type="reseller",
        province="ZJ",
        owner=manager,
    )

    assert partner.code == "P000001"
    assert partner.history.get().history_user == manager
    assert list(partner.contacts.values_list("name", "is_primary")) == [
        ("王敏", True),
        ("赵强", False),
    ]
    tier_change = partner.tier_changes.get()
    assert (tier_change.from_tier, tier_change.to_tier) == ("", Tier.POTENTIAL)
    assert kinds(partner) == [TimelineKind.CREATED]


def test_partner_codes_continue_the_series(manager, db):
    first = services.next_partner_codes(2)
    assert first == ["P000001", "P000002"]
    assert services.next_partner_codes(1) == ["P000003"]


def test_an_update_records_each_changed_field_with_old_and_new_values(manager, partner):
    tag = TagFactory(name="重点培育")

    services.update_partner(
        partner, changed_by=manager, city="佛山", headcount=120, tags=[tag], short_name=""
    )

    partner.refresh_from_db()
    event = partner.events.get(kind=TimelineKind.UPDATED)
    assert event.actor == manager
    assert event.details["changes"] == [
        {"field": "city", "old": "", "new": "佛山"},
        {"field": "headcount", "old": None, "new": 120},
        {"field": "tags", "old": [], "new": ["重点培育"]},
    ]
    assert partner.version == 2
    assert partner.history.first().history_user == manager


def test_an_update_without_changes_writes_nothing(manager, partner):
    services.update_partner(partner, changed_by=manager, city=partner.city)
    partner.refresh_from_db()
    assert partner.version == 1
    assert partner.events.count() == 0


def test_a_stale_version_is_refused_and_changes_nothing(manager, partner):
    services.update_partner(partner, changed_by=manager, expected_version=1, city="深圳")

    with pytest.raises(services.ConcurrentEditError):
        services.update_partner(partner, changed_by=manager, expected_version=1, city="珠海")

    partner.refresh_from_db()
    assert (partner.city, partner.version) == ("深圳", 2)


def test_moving_the_owner_adds_an_owner_changed_entry(manager, colleague, partner):
    services.update_partner(partner, changed_by=manager, owner=colleague)
    event = partner.events.get(kind=TimelineKind.OWNER_CHANGED)
    assert event.details == {"old": "李经理", "new": "colleague"}


def test_tier_and_status_cannot_be_changed_by_a_plain_update(manager, partner):
    with pytest.raises(ValueError, match="tier"):
        services.update_partner(partner, changed_by=manager, tier=Tier.CORE)


def test_terminating_records_date_and_reason_and_reactivating_clears_them(vp, partner):
    services.terminate_partner(
        partner,
        terminated_by=vp,
        terminated_on=date(2026, 11, 1),
        reason=TerminationReason.POACHED_BY_COMPETITOR,
        note="被竞品以更高返利挖走",
    )
    partner.refresh_from_db()
    assert (partner.status, partner.terminated_on, partner.termination_reason) == (
        PartnerStatus.TERMINATED,
        date(2026, 11, 1),
        "poached",
    )

    services.reactivate_partner(partner, reactivated_by=vp)
    partner.refresh_from_db()
    assert (partner.status, partner.terminated_on, partner.termination_reason) == (
        PartnerStatus.ACTIVE,
        None,
        "",
    )
    assert kinds(partner) == [TimelineKind.STATUS_CHANGED, TimelineKind.STATUS_CHANGED]


def test_a_terminated_partner_cannot_be_suspended(vp, partner):
    services.terminate_partner(
        partner, terminated_by=vp, terminated_on=date(2026, 1, 1), reason="other"
    )
    with pytest.raises(ValidationError):
        services.suspend_partner(partner, suspended_by=vp)


def test_termination_needs_a_known_reason(vp, partner):
    with pytest.raises(ValidationError):
        services.terminate_partner(
            partner, terminated_by=vp, terminated_on=date(2026, 1, 1), reason="bored"
        )


def test_the_database_refuses_a_terminated_partner_without_a_date(partner):
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE partners_partner SET status = 'terminated' WHERE id = %s", [partner.pk]
        )


def test_a_tier_change_is_written_to_the_tier_history_with_its_reason(vp, partner):
    services.change_tier(
        partner,
        to_tier=Tier.CORE,
        changed_by=vp,
        reason="连续四个季度超额完成",
        effective_on=date(2026, 10, 1),
    )
    change = TierChange.objects.filter(partner=partner).first()
    assert (change.from_tier, change.to_tier, change.reason, change.changed_by) == (
        Tier.REGULAR,
        Tier.CORE,
        "连续四个季度超额完成",
        vp,
    )
    assert Partner.objects.get(pk=partner.pk).tier == Tier.CORE


def test_a_tier_change_needs_a_reason(vp, partner):
    with pytest.raises(ValidationError):
        services.change_tier(partner, to_tier=Tier.CORE, changed_by=vp, reason=" ")


def test_marking_a_contact_primary_unmarks_the_previous_one(manager, partner):
    second = Contact(partner=partner, name="林芳", is_primary=True)

    services.save_contact(second, saved_by=manager)

    assert list(partner.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["林芳"]
    assert kinds(partner) == [TimelineKind.CONTACT_ADDED]


def test_the_first_contact_of_a_partner_is_primary(manager, db):
    partner = PartnerFactory(owner=manager)
    contact = services.save_contact(Contact(partner=partner, name="黄磊"), saved_by=manager)
    assert contact.is_primary


def test_removing_the_primary_contact_promotes_the_next_one(manager, partner):
    ContactFactory(partner=partner, name="林芳")
    services.remove_contact(partner.contacts.get(name="陈晓"), removed_by=manager)
    assert list(partner.contacts.values_list("name", "is_primary")) == [("林芳", True)]


def test_the_database_allows_one_primary_contact_per_partner(partner):
    with pytest.raises(IntegrityError):
        ContactFactory(partner=partner, is_primary=True)


def test_contact_changes_are_listed_on_the_timeline(manager, partner):
    contact = partner.contacts.get()
    contact.phone = "13911112222"
    services.save_contact(contact, saved_by=manager)
    event = partner.events.get(kind=TimelineKind.CONTACT_CHANGED)
    assert event.details["changes"] == [
        {"field": "phone", "old": "13800000000", "new": "13911112222"}
    ]


def test_generated_codes_skip_codes_typed_in_by_hand(manager, db):
    PartnerFactory(code="P000001")
    PartnerFactory(code="P000003")
    assert services.next_partner_codes(2) == ["P000002", "P000004"]


def test_demoting_the_previous_primary_contact_is_in_its_history(manager, partner):
    previous = partner.contacts.get()
    services.save_contact(Contact(partner=partner, name="林芳", is_primary=True), saved_by=manager)
    latest = previous.history.first()
    assert (latest.is_primary, latest.history_user) == (False, manager)
