import pytest
from django.core.exceptions import ValidationError

from sales.models import Category
from sales.services import save_category
from tests.factories import CategoryFactory


def test_categories_form_a_tree_of_any_depth(db):
    hardware = CategoryFactory(code="HW", name="硬件")
    laptops = CategoryFactory(code="LT", name="笔记本", parent=hardware)
    gaming = CategoryFactory(code="GM", name="游戏本", parent=laptops)

    assert gaming.path == f"/{hardware.pk}/{laptops.pk}/{gaming.pk}/"
    assert gaming.depth == 2
    assert set(Category.objects.subtree(hardware).values_list("code", flat=True)) == {
        "HW",
        "LT",
        "GM",
    }


def test_moving_a_category_moves_its_subtree(db):
    hardware, software = CategoryFactory(code="HW"), CategoryFactory(code="SW")
    laptops = CategoryFactory(code="LT", parent=hardware)
    gaming = CategoryFactory(code="GM", parent=laptops)

    laptops.parent = software
    save_category(laptops, saved_by=None)

    gaming.refresh_from_db()
    assert gaming.path == f"/{software.pk}/{laptops.pk}/{gaming.pk}/"
    assert set(Category.objects.subtree(software).values_list("code", flat=True)) == {
        "SW",
        "LT",
        "GM",
    }


def test_a_category_cannot_move_below_itself(db):
    hardware = CategoryFactory(code="HW")
    laptops = CategoryFactory(code="LT", parent=hardware)
    hardware.parent = laptops
    with pytest.raises(ValidationError):
        save_category(hardware, saved_by=None)
