"""`Partner.objects.visible_to(user)`: the one row-level gate of product.md §1."""

from partners.models import Contact, Partner
from tests.factories import PartnerFactory, UserFactory


def visible_names(user):
    return set(Partner.objects.visible_to(user).values_list("legal_name", flat=True))


def test_a_manager_sees_the_partners_they_own(manager, partner, outsider):
    assert visible_names(manager) == {"广州星河贸易有限公司"}


def test_a_specialist_sees_the_partners_they_support(specialist, partner, outsider):
    assert visible_names(specialist) == {"广州星河贸易有限公司"}


def test_a_partner_supported_by_two_specialists_is_listed_once(specialist, partner, db):
    from accounts.roles import Role

    other = UserFactory(role=Role.CHANNEL_SPECIALIST)
    partner.specialists.add(other)
    assert Partner.objects.visible_to(specialist).count() == 1


def test_a_colleague_sees_none_of_the_managers_partners(colleague, partner):
    assert visible_names(colleague) == set()


def test_vp_and_support_see_every_partner(vp, support, partner, outsider):
    expected = {"广州星河贸易有限公司", "外部渠道有限公司"}
    assert visible_names(vp) == expected
    assert visible_names(support) == expected


def test_a_superuser_sees_every_partner(partner, outsider, db):
    assert visible_names(UserFactory(is_superuser=True)) == {
        "广州星河贸易有限公司",
        "外部渠道有限公司",
    }


def test_partner_users_users_without_a_role_and_anonymous_see_nothing(partner_user, partner):
    from django.contrib.auth.models import AnonymousUser

    assert visible_names(partner_user) == set()
    assert visible_names(UserFactory()) == set()
    assert visible_names(AnonymousUser()) == set()
    assert visible_names(None) == set()


def test_a_deactivated_manager_sees_nothing(manager, partner):
    manager.is_active = False
    manager.save()
    assert visible_names(manager) == set()


def test_contacts_follow_their_partners_visibility(manager, colleague, partner):
    PartnerFactory(owner=colleague)
    assert list(Contact.objects.visible_to(manager).values_list("name", flat=True)) == ["陈晓"]
    assert Contact.objects.visible_to(colleague).count() == 0
