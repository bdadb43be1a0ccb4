"""The sales pages: catalogue (a sales VP edits it), the sales import with its progress and
error report, and the annual targets."""

from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sales.choices import ImportStatus
from sales.models import Category, Product, SalesImport, SalesLine, SalesTarget
from sales.services import progress_key, set_target
from tests.factories import CategoryFactory, PartnerFactory, ProductFactory

HEADER = "doc_type,doc_number,line_number,date,partner_code,category_code,product_code,quantity,net_amount,credited_doc_number"  # noqa: E501


def upload(name, text, encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx(rows):
    import io

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("file.xlsx", buffer.getvalue())


# --- Catalogue ------------------------------------------------------------------------


def test_the_catalogue_shows_the_tree_with_product_counts(
    as_user, vp, django_assert_max_num_queries
):
    hardware = CategoryFactory(code="HW", name="硬件")
    laptops = CategoryFactory(code="LT", name="笔记本", parent=hardware)
    ProductFactory.create_batch(3, category=laptops)
    client = as_user(vp)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("sales:catalogue"))

    page = response.content.decode()
    assert page.index("硬件") < page.index("笔记本")
    assert reverse("sales:category_update", args=[laptops.pk]) in page
    assert f'?category={laptops.pk}">3<' in page
    assert f'?category={hardware.pk}">3<' in page  # a category counts the products below it


def test_a_manager_reads_the_catalogue_but_cannot_edit_it(as_user, manager):
    category = CategoryFactory()
    client = as_user(manager)

    page = client.get(reverse("sales:catalogue")).content.decode()

    assert category.name in page
    assert reverse("sales:category_update", args=[category.pk]) not in page
    assert client.post(reverse("sales:category_create"), {"code": "X"}).status_code == 403
    assert client.get(reverse("sales:category_update", args=[category.pk])).status_code == 403
    assert client.get(reverse("sales:catalogue_import")).status_code == 403


def test_a_partner_user_sees_no_catalogue(as_user, partner_user):
    assert as_user(partner_user).get(reverse("sales:catalogue")).status_code == 403


def test_a_vp_adds_and_moves_categories_in_the_browser(as_user, vp):
    client = as_user(vp)
    hardware = CategoryFactory(code="HW")
    software = CategoryFactory(code="SW")

    response = client.post(
        reverse("sales:category_create"), {"code": "LT", "name": "笔记本", "parent": hardware.pk}
    )
    laptops = Category.objects.get(code="LT")
    assert response.status_code == 302
    assert laptops.path == f"{hardware.path}{laptops.pk}/"

    client.post(
        reverse("sales:category_update", args=[laptops.pk]),
        {"code": "LT", "name": "笔记本电脑", "parent": software.pk},
    )
    laptops.refresh_from_db()
    assert (laptops.name, laptops.path) == ("笔记本电脑", f"{software.path}{laptops.pk}/")
    assert laptops.history.first().history_user == vp


def test_a_category_cannot_move_below_itself(as_user, vp):
    hardware = CategoryFactory(code="HW")
    laptops = CategoryFactory(code="LT", parent=hardware)

    response = as_user(vp).post(
        reverse("sales:category_update", args=[hardware.pk]),
        {"code": "HW", "name": "硬件", "parent": laptops.pk},
    )

    assert response.status_code == 200  # the form again, with the error on the parent
    assert response.context["form"].errors["parent"]
    hardware.refresh_from_db()
    assert hardware.parent is None


def test_a_vp_adds_and_edits_products(as_user, vp):
    category = CategoryFactory()
    client = as_user(vp)

    client.post(
        reverse("sales:product_create"),
        {"code": "SKU-9", "name": "路由器", "category": category.pk, "is_active": "on"},
    )
    product = Product.objects.get(code="SKU-9")
    client.post(
        reverse("sales:product_update", args=[product.pk]),
        {"code": "SKU-9", "name": "路由器 Pro", "category": category.pk},
    )

    product.refresh_from_db()
    assert (product.name, product.is_active) == ("路由器 Pro", False)


def test_the_product_list_filters_by_category_subtree_and_text(
    as_user, manager, django_assert_max_num_queries
):
    hardware = CategoryFactory(code="HW")
    laptops = CategoryFactory(code="LT", parent=hardware)
    ProductFactory(code="NB-1", name="轻薄本", category=laptops)
    ProductFactory(code="SW-1", name="办公软件", category=CategoryFactory(code="SW"))
    client = as_user(manager)

    with django_assert_max_num_queries(8):
        in_hardware = client.get(reverse("sales:product_list"), {"category": hardware.pk})
    by_text = client.get(reverse("sales:product_list"), {"q": "软件"})

    assert [p.code for p in in_hardware.context["page"]] == ["NB-1"]
    assert [p.code for p in by_text.context["page"]] == ["SW-1"]
    assert client.get(reverse("sales:product_list"), {"category": "abc"}).status_code == 200


def test_the_catalogue_import_adds_and_changes_categories_with_parents_from_the_file(as_user, vp):
    CategoryFactory(code="HW", name="旧名")
    file = xlsx(
        [
            ["品类编码", "品类名称", "上级品类编码"],
            ["GM", "游戏本", "LT"],  # its parent comes later in the file
            ["LT", "笔记本", "HW"],
            ["HW", "硬件", ""],
        ]
    )

    response = as_user(vp).post(
        reverse("sales:catalogue_import"), {"kind": "categories", "file": file}
    )

    assert response.status_code == 302, response.context["result"].error_rows
    gaming = Category.objects.get(code="GM")
    assert gaming.depth == 2
    assert Category.objects.get(code="HW").name == "硬件"


def test_a_catalogue_import_with_errors_writes_nothing_and_lists_them(as_user, vp):
    CategoryFactory(code="HW")
    file = xlsx(
        [
            ["code", "name", "parent_code"],
            ["A", "甲", "B"],
            ["B", "乙", "A"],  # a cycle
            ["C", "", "NOPE"],  # no name, unknown parent
            ["HW", "硬件", ""],
        ]
    )

    response = as_user(vp).post(
        reverse("sales:catalogue_import"), {"kind": "categories", "file": file}
    )

    assert response.status_code == 400
    rows = [(error["row"], error["column"]) for error in response.context["result"].error_rows]
    assert sorted(rows) == [(2, "上级品类编码"), (3, "上级品类编码"), (4, "上级品类编码"),
                            (4, "品类名称")]  # fmt: skip
    assert not Category.objects.filter(code__in=["A", "B", "C"]).exists()
    assert "import-errors" in response.content.decode()


def test_the_product_import_checks_categories_and_duplicates(as_user, vp):
    CategoryFactory(code="PC")
    ProductFactory(code="SKU-1", name="旧")
    good = xlsx([["产品编码", "产品名称", "品类编码", "有效"], ["SKU-1", "新", "PC", "是"],
                 ["SKU-2", "鼠标", "PC", "否"]])  # fmt: skip
    bad = xlsx([["code", "name", "category_code"], ["SKU-3", "键盘", "NOPE"],
                ["SKU-3", "键盘", "PC"]])  # fmt: skip
    client = as_user(vp)

    assert (
        client.post(
            reverse("sales:catalogue_import"), {"kind": "products", "file": bad}
        ).status_code
        == 400
    )
    assert not Product.objects.filter(code="SKU-3").exists()

    response = client.post(reverse("sales:catalogue_import"), {"kind": "products", "file": good})
    assert response.status_code == 302, response.context["result"].error_rows
    assert Product.objects.get(code="SKU-1").name == "新"
    assert Product.objects.get(code="SKU-2").is_active is False


# --- Sales import ---------------------------------------------------------------------


@pytest.fixture
def sales_catalogue(db):
    PartnerFactory(code="GZ01")
    CategoryFactory(code="PC")


GOOD_FILE = "\n".join([HEADER, "invoice,INV-1,1,2026-07-01,GZ01,PC,,1,100.00,",
                       "credit_note,CN-1,1,2026-07-02,GZ01,PC,,1,10.00,INV-1"])  # fmt: skip


def test_a_vp_imports_sales_in_the_browser_through_a_task(
    as_user, vp, sales_catalogue, celery_eager, django_capture_on_commit_callbacks
):
    client = as_user(vp)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sales:sales_import"),
            {"file": upload("july.csv", GOOD_FILE), "source": "erp"},
        )

    batch = SalesImport.objects.get()
    assert response["Location"] == reverse("sales:sales_import_detail", args=[batch.pk])
    assert (batch.status, batch.inserted_count, batch.uploaded_by) == (
        ImportStatus.IMPORTED, 2, vp)  # fmt: skip
    assert not batch.stored_file  # the upload is not kept once imported
    assert SalesLine.objects.filter(source="erp").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "import-result" in page
    assert "july.csv" in page


def test_a_refused_import_shows_its_errors_and_offers_every_one_as_csv(
    as_user, vp, sales_catalogue, celery_eager, django_capture_on_commit_callbacks
):
    rows = [f"invoice,INV-{n},1,2026-07-01,NOPE,PC,,1,1.00," for n in range(1200)]
    client = as_user(vp)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("sales:sales_import"),
            {"file": upload("bad.csv", "\n".join([HEADER, *rows]), "gbk"), "source": "erp"},
        )
    batch = SalesImport.objects.get()

    page = client.get(reverse("sales:sales_import_detail", args=[batch.pk]))
    report = client.get(reverse("sales:sales_import_errors", args=[batch.pk]))

    assert (batch.status, batch.error_count, len(batch.errors)) == (
        ImportStatus.INVALID, 1200, 1000)  # fmt: skip
    assert page.content.decode().count("NOPE") == 1000
    body = b"".join(report.streaming_content).decode("utf-8-sig")
    assert body.count("NOPE") == 1200
    assert body.splitlines()[1].startswith("2,")
    assert SalesLine.objects.count() == 0


def test_the_progress_partial_polls_until_the_import_ends(as_user, vp, settings):
    from django.core.cache import cache

    batch = SalesImport.objects.create(file_name="big.csv", status=ImportStatus.RUNNING)
    cache.set(progress_key(batch.pk), {"rows": 0, "fraction": 0.42, "started": True})
    client = as_user(vp)
    url = reverse("sales:sales_import_detail", args=[batch.pk])

    running = client.get(url, HTTP_HX_REQUEST="true")
    assert 'aria-valuenow="42"' in running.content.decode()
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert "HX-Refresh" not in running

    SalesImport.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTED)
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in client.get(url).content.decode()


def test_only_a_vp_imports_sales(as_user, manager):
    client = as_user(manager)
    assert client.get(reverse("sales:sales_import")).status_code == 403
    assert client.post(reverse("sales:sales_import"), {}).status_code == 403


def test_a_worker_that_fails_marks_the_import_failed(
    vp, sales_catalogue, celery_eager, monkeypatch
):
    from sales import services

    batch = services.queue_sales_import(
        upload("july.csv", GOOD_FILE), file_name="july.csv", imported_by=vp
    )

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "import_sales", broken)
    with pytest.raises(RuntimeError):
        services.run_queued_import(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED


def test_a_task_delivered_twice_imports_once(vp, sales_catalogue, celery_eager):
    from sales import services

    batch = services.queue_sales_import(
        upload("july.csv", GOOD_FILE), file_name="july.csv", imported_by=vp
    )
    services.run_queued_import(batch.pk)

    assert services.run_queued_import(batch.pk) is None
    assert SalesLine.objects.count() == 2


# --- Targets --------------------------------------------------------------------------


def test_the_owner_manager_sets_a_target_split_evenly(as_user, manager, partner):
    client = as_user(manager)

    response = client.post(
        reverse("sales:partner_targets", args=[partner.pk]), {"year": 2027, "amount": "100.00"}
    )

    assert response.status_code == 302
    target = SalesTarget.objects.get(partner=partner, year=2027)
    assert [target.q1, target.q2, target.q3, target.q4] == [Decimal("25.00")] * 4
    assert target.set_by == manager


def test_a_target_with_quarters_that_do_not_add_up_is_refused(as_user, vp, partner):
    response = as_user(vp).post(
        reverse("sales:partner_targets", args=[partner.pk]),
        {"year": 2027, "amount": "100", "q1": "10", "q2": "10", "q3": "10", "q4": "10"},
    )
    assert response.status_code == 400
    assert not SalesTarget.objects.exists()


def test_changes_to_a_target_are_kept_with_who_and_when(as_user, manager, vp, partner):
    set_target(partner, year=2027, amount=Decimal("100"), set_by=manager)
    as_user(vp).post(
        reverse("sales:partner_targets", args=[partner.pk]),
        {"year": 2027, "amount": "100", "q1": "40", "q2": "30", "q3": "20", "q4": "10"},
    )

    page = as_user(manager).get(reverse("sales:partner_targets", args=[partner.pk]))

    history = list(page.context["history"])
    assert [(record.history_user, record.q1) for record in history] == [
        (vp, Decimal("40.00")), (manager, Decimal("25.00"))]  # fmt: skip


def test_a_specialist_reads_targets_but_cannot_set_them(as_user, specialist, partner):
    client = as_user(specialist)
    url = reverse("sales:partner_targets", args=[partner.pk])

    assert "target-form" not in client.get(url).content.decode()
    assert client.post(url, {"year": 2027, "amount": "100"}).status_code == 403
    assert not SalesTarget.objects.exists()


def test_a_colleague_gets_404_on_another_portfolio_s_targets(as_user, colleague, partner):
    url = reverse("sales:partner_targets", args=[partner.pk])
    assert as_user(colleague).post(url, {"year": 2027, "amount": "1"}).status_code == 404


def test_the_target_list_shows_the_visible_partners_of_a_year(
    as_user, manager, outsider, partner, django_assert_max_num_queries
):
    set_target(partner, year=2027, amount=Decimal("100"), set_by=None)
    set_target(outsider.owned_partners.get(), year=2027, amount=Decimal("5"), set_by=None)
    client = as_user(manager)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("sales:target_list"), {"year": 2027})

    assert [target.partner for target in response.context["page"]] == [partner]


def test_a_manager_imports_targets_for_own_partners_only(as_user, manager, outsider, partner):
    other = outsider.owned_partners.get()
    CategoryFactory(code="PC")
    file = xlsx([
        ["渠道编码", "年度", "品类编码", "年度目标", "第一季度", "第二季度", "第三季度",
         "第四季度"],
        [partner.code, 2027, "", 1000, None, None, None, None],
        [partner.code, 2027, "PC", 400, 100, 100, 100, 100],
        [other.code, 2027, "", 50, None, None, None, None],
    ])  # fmt: skip
    client = as_user(manager)

    refused = client.post(reverse("sales:target_import"), {"file": file})
    assert refused.status_code == 400
    assert [(e["row"], e["column"]) for e in refused.context["result"].error_rows] == [
        (4, "渠道编码")  # the outsider's partner is unknown to the manager
    ]
    assert not SalesTarget.objects.exists()

    file = xlsx([
        ["partner_code", "year", "category_code", "amount", "q1", "q2", "q3", "q4"],
        [partner.code, 2027, "", 1000, None, None, None, None],
        [partner.code, 2027, "PC", 400, 100, 100, 150, 50],
    ])  # fmt: skip
    assert client.post(reverse("sales:target_import"), {"file": file}).status_code == 302
    assert SalesTarget.objects.get(partner=partner, category__code="PC").q3 == Decimal("150.00")
    assert SalesTarget.objects.get(partner=partner, category=None).q1 == Decimal("250.00")


def test_the_errors_are_in_the_language_of_the_uploader(
    as_user, vp, sales_catalogue, celery_eager, django_capture_on_commit_callbacks
):
    client = as_user(vp)
    client.post(reverse("set_language"), {"language": "en"})
    bad = "\n".join([HEADER, "invoice,INV-1,1,2026-07-01,NOPE,PC,,1,100.00,"])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sales:sales_import"), {"file": upload("bad.csv", bad), "source": "x"})

    assert SalesImport.objects.get().errors[0] == {
        "row": 2,
        "column": "Partner code",
        "message": "Unknown code “NOPE”.",
    }


@pytest.mark.django_db(transaction=True)
def test_a_second_delivery_skips_a_batch_another_worker_is_importing(
    vp, settings, tmp_path, monkeypatch
):
    import threading

    from django.db import connection, transaction

    from sales import services

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("sales.tasks.run_sales_import.delay", lambda *args: None)
    PartnerFactory(code="GZ01")
    CategoryFactory(code="PC")
    batch = services.queue_sales_import(
        upload("july.csv", GOOD_FILE), file_name="july.csv", imported_by=vp
    )
    locked, release = threading.Event(), threading.Event()

    def first_worker():  # holds the batch row as an import in progress does
        with transaction.atomic():
            SalesImport.objects.select_for_update().get(pk=batch.pk)
            locked.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    locked.wait(10)
    try:
        assert services.run_queued_import(batch.pk) is None
    finally:
        release.set()
        worker.join()
    assert SalesLine.objects.count() == 0
    assert services.run_queued_import(batch.pk).status == ImportStatus.IMPORTED
