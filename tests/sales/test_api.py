"""The sales API: catalogue, sales lines, targets and imports, with the partner access rules."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from sales.choices import ImportStatus
from sales.models import Category, SalesTarget
from sales.services import set_target
from tests.factories import CategoryFactory, PartnerFactory, SalesLineFactory


def test_sales_lines_are_those_of_visible_partners_with_their_sign(
    as_api_user, manager, outsider, partner, django_assert_max_num_queries
):
    invoice = SalesLineFactory(partner=partner, net_amount=Decimal("100.00"))
    SalesLineFactory(
        partner=partner,
        doc_type="credit_note",
        credited_doc_number=invoice.doc_number,
        net_amount=Decimal("30.00"),
    )
    SalesLineFactory(partner=outsider.owned_partners.get())
    SalesLineFactory.create_batch(5, partner=partner)
    client = as_api_user(manager)

    with django_assert_max_num_queries(4):  # permissions (2), the user's roles, one page
        body = client.get("/api/v1/sales-lines/", {"doc_type": "credit_note"}).json()

    assert [line["signed_amount"] for line in body["results"]] == ["-30.00"]
    assert body["results"][0]["partner_code"] == partner.code
    first = client.get("/api/v1/sales-lines/", {"page_size": 4}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) + len(second["results"]) == 7
    assert second["next"] is None


def test_sales_lines_filter_by_date_and_category_subtree(as_api_user, vp, partner):
    hardware = CategoryFactory(code="HW")
    laptops = CategoryFactory(code="LT", parent=hardware)
    SalesLineFactory(partner=partner, category=laptops, date="2026-03-01")
    SalesLineFactory(partner=partner, category=laptops, date="2026-05-01")
    SalesLineFactory(partner=partner, category=CategoryFactory(code="SW"), date="2026-03-02")
    client = as_api_user(vp)

    body = client.get(
        "/api/v1/sales-lines/",
        {"category": hardware.pk, "date_from": "2026-01-01", "date_to": "2026-03-31"},
    ).json()

    assert [line["category_code"] for line in body["results"]] == ["LT"]


def test_sales_lines_cannot_be_written(as_api_user, vp, partner):
    line = SalesLineFactory(partner=partner)
    client = as_api_user(vp)
    url = f"/api/v1/sales-lines/{line.pk}/"
    assert client.post("/api/v1/sales-lines/", {}).status_code in (403, 405)
    assert client.patch(url, {"net_amount": 1}).status_code in (403, 405)
    assert client.delete(url).status_code in (403, 405)
    line.refresh_from_db()
    assert line.net_amount != 1


def test_the_owner_manager_sets_and_changes_a_target(as_api_user, manager, partner):
    client = as_api_user(manager)

    created = client.post(
        "/api/v1/sales-targets/", {"partner": partner.pk, "year": 2027, "amount": "1000.00"}
    )
    changed = client.patch(
        f"/api/v1/sales-targets/{created.json()['id']}/",
        {"amount": "1000.00", "q1": "100", "q2": "200", "q3": "300", "q4": "400"},
    )

    assert created.status_code == 201, created.json()
    assert created.json()["q1"] == "250.00"
    assert changed.status_code == 200, changed.json()
    assert changed.json()["q4"] == "400.00"
    target = SalesTarget.objects.get()
    assert [record.q1 for record in target.history.all()] == [Decimal("100.00"), Decimal("250")]


def test_posting_a_target_that_exists_changes_it(as_api_user, vp, partner):
    set_target(partner, year=2027, amount=Decimal("10"), set_by=None)
    response = as_api_user(vp).post(
        "/api/v1/sales-targets/", {"partner": partner.pk, "year": 2027, "amount": "20"}
    )
    assert response.status_code == 201
    assert SalesTarget.objects.get().amount == Decimal("20.00")


def test_a_specialist_cannot_set_targets_and_an_outsider_cannot_see_the_partner(
    as_api_user, specialist, outsider, partner
):
    body = {"partner": partner.pk, "year": 2027, "amount": "10"}
    assert as_api_user(specialist).post("/api/v1/sales-targets/", body).status_code == 403
    outsider_response = as_api_user(outsider).post("/api/v1/sales-targets/", body)
    assert outsider_response.status_code == 400  # the partner is not one they can name
    assert not SalesTarget.objects.exists()


def test_quarters_are_all_or_none(as_api_user, vp, partner):
    response = as_api_user(vp).post(
        "/api/v1/sales-targets/",
        {"partner": partner.pk, "year": 2027, "amount": "10", "q1": "10"},
    )
    assert response.status_code == 400
    assert "q1" in response.json()


def test_a_vp_edits_the_catalogue_and_a_manager_reads_it(as_api_user, vp, manager):
    hardware = CategoryFactory(code="HW")

    created = as_api_user(vp).post(
        "/api/v1/categories/", {"code": "LT", "name": "笔记本", "parent": hardware.pk}
    )
    refused = as_api_user(manager).post("/api/v1/categories/", {"code": "X", "name": "X"})

    assert created.status_code == 201, created.json()
    assert created.json()["path"] == f"{hardware.path}{created.json()['id']}/"
    assert refused.status_code == 403
    assert as_api_user(manager).get("/api/v1/categories/").json()["count"] == 2
    assert as_api_user(vp).delete(f"/api/v1/categories/{hardware.pk}/").status_code in (403, 405)
    assert Category.objects.count() == 2


def test_a_vp_uploads_a_sales_file_and_polls_the_import(
    as_api_user, vp, manager, celery_eager, django_capture_on_commit_callbacks
):
    PartnerFactory(code="GZ01")
    CategoryFactory(code="PC")
    content = (
        "doc_type,doc_number,line_number,date,partner_code,category_code,quantity,net_amount\n"
        "invoice,INV-1,1,2026-07-01,GZ01,PC,1,100.00\n"
        "invoice,INV-2,1,2026-07-01,NOPE,PC,1,100.00\n"
    )
    client = as_api_user(vp)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/sales-imports/",
            {"file": SimpleUploadedFile("july.csv", content.encode()), "source": "erp"},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    batch = client.get(f"/api/v1/sales-imports/{response.json()['id']}/").json()

    assert (batch["status"], batch["error_count"]) == (ImportStatus.INVALID, 1)
    assert batch["errors"][0]["row"] == 3
    assert batch["error_report_url"].endswith(f"/sales/imports/{batch['id']}/errors.csv")
    upload = {"file": SimpleUploadedFile("x.csv", b"x")}
    assert as_api_user(manager).post("/api/v1/sales-imports/", upload).status_code == 403
