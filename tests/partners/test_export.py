import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from partners import services
from partners.models import ImportBatch, Partner
from tests.factories import ContactFactory, PartnerFactory, TagFactory

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTAB"]


def export(client, file_format, **query):
    return client.get(reverse("partners:partner_export", args=[file_format]), query)


def test_the_csv_has_the_visible_filtered_partners_only(as_user, manager, partner, outsider):
    PartnerFactory(owner=manager, legal_name="核心", tier="core")
    response = export(as_user(manager), "csv", tier="regular")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:2] == ["渠道编码", "公司全称"]
    assert [row[1] for row in rows[1:]] == ["广州星河贸易有限公司"]


def test_csv_cells_that_start_a_formula_are_neutralised(as_user, manager):
    for number, payload in enumerate(PAYLOADS):
        partner = PartnerFactory(owner=manager, legal_name=f"公司{number}", notes=payload)
        ContactFactory(partner=partner, name=payload, is_primary=True)
    rows = list(
        csv.reader(io.StringIO(export(as_user(manager), "csv").content.decode("utf-8-sig")))
    )
    cells = [cell for row in rows[1:] for cell in row]
    assert sorted(cell for cell in cells if cell.lstrip("'") in PAYLOADS) == sorted(
        "'" + payload for payload in PAYLOADS for _ in range(2)
    )


def test_xlsx_cells_are_strings_never_formulas(as_user, manager):
    for number, payload in enumerate(PAYLOADS):
        PartnerFactory(owner=manager, legal_name=f"公司{number}", notes=payload)
    response = export(as_user(manager), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert sorted(c.value for c in cells if c.value in PAYLOADS) == sorted(PAYLOADS)


def test_an_export_can_be_imported_again_as_new_partners(as_user, manager, vp, partner):
    exported = export(as_user(manager), "xlsx").content
    Partner.objects.all().delete()

    batch = services.preview_partner_import(exported, "export.xlsx", uploaded_by=vp)

    assert (batch.status, batch.errors) == (ImportBatch.Status.PREVIEWED, [])
    [again] = services.import_partners(batch, imported_by=vp)
    assert (again.legal_name, again.owner, again.primary_contact.name) == (
        "广州星河贸易有限公司",
        manager,
        "陈晓",
    )


def test_support_cannot_export(as_user, support):
    assert export(as_user(support), "csv").status_code == 403


def test_control_characters_do_not_break_the_xlsx_export(as_user, manager):
    PartnerFactory(owner=manager, legal_name="控制\x0b字符\x01公司", notes="a\x1fb")
    response = export(as_user(manager), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].value == "控制字符公司"


@pytest.mark.parametrize("count", [10, 50])
def test_an_export_runs_a_constant_number_of_queries(
    as_user, manager, count, django_assert_num_queries
):
    tag = TagFactory()
    for _ in range(count):
        partner = PartnerFactory(owner=manager)
        partner.tags.add(tag)
        ContactFactory(partner=partner, is_primary=True)
    client = as_user(manager)
    # session, user, user and group permissions, role names, the partners (one cursor),
    # their primary contacts, their tags
    with django_assert_num_queries(8):
        response = export(client, "csv")
    assert response.content.decode("utf-8-sig").count("\n") == count + 1
