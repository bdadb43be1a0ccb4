from datetime import date

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role, ensure_role_groups
from partners.choices import PartnerType, Province, Tier
from partners.models import Contact, Partner, Tag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create: bool, role: Role | None, **kwargs: object) -> None:
        if create and role:
            if not Group.objects.filter(name=role).exists():  # flushed by a transactional test
                ensure_role_groups()
            self.groups.add(Group.objects.get(name=role))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:06d}")
    legal_name = factory.Sequence(lambda n: f"测试商贸有限公司{n}")
    partner_type = PartnerType.DISTRIBUTOR
    province = Province.GUANGDONG
    tier = Tier.REGULAR
    cooperation_start_date = date(2020, 1, 1)

    @factory.post_generation
    def specialists(self, create: bool, users: list[User] | None, **kwargs: object) -> None:
        if create and users:
            self.specialists.set(users)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    """Categories go through the service so that their tree path is set."""

    class Meta:
        model = "sales.Category"

    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"品类{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        from sales.services import save_category

        return save_category(model_class(*args, **kwargs), saved_by=None)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.Product"

    code = factory.Sequence(lambda n: f"SKU{n}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = factory.SubFactory(CategoryFactory)


class SalesLineFactory(factory.django.DjangoModelFactory):
    """An invoice line; pass doc_type="credit_note" and credited_doc_number for a credit note."""

    class Meta:
        model = "sales.SalesLine"

    source = "test"
    doc_type = "invoice"
    doc_number = factory.Sequence(lambda n: f"INV-{n:06d}")
    line_number = 1
    date = date(2026, 7, 1)
    partner = factory.SubFactory(PartnerFactory)
    category = factory.SubFactory(CategoryFactory)
    quantity = 1
    net_amount = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
