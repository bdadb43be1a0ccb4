import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.tabular import UnreadableFile, read_rows
from partners import services
from partners.choices import Tier, TimelineKind
from partners.models import ImportBatch, Partner

IMPORT_URL = reverse("partners:partner_import")

HEADER_ZH = "渠道编码,公司全称,渠道类型,省份,城市,覆盖区域,标签,联系人姓名,联系人电话,主要联系人"
GOOD_ROWS = [
    "P-GZ-01,广州星河贸易有限公司,分销商,广东省,广州,广东、广西,重点培育,陈晓,13800000000,是",
    "P-GZ-01,,,,,,,林芳,13900000000,",
    "P-HZ-02,杭州云帆科技有限公司,reseller,ZJ,杭州,,,王敏,13700000000,",
]


def csv_bytes(rows, header=HEADER_ZH, encoding="utf-8"):
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content, name="partners.csv"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)}, follow=True)


def preview_errors(response):
    return response.context["batch"].errors


def test_a_valid_csv_is_previewed_then_imported_all_at_once(as_user, manager):
    client = as_user(manager)

    preview = upload(client, csv_bytes(GOOD_ROWS))

    batch = preview.context["batch"]
    assert (batch.status, batch.partner_count, batch.contact_count, batch.errors) == (
        ImportBatch.Status.PREVIEWED,
        2,
        3,
        [],
    )
    assert Partner.objects.count() == 0  # nothing is written by the preview

    client.post(reverse("partners:partner_import_preview", args=[batch.pk]))

    guangzhou = Partner.objects.get(code="P-GZ-01")
    assert (guangzhou.owner, guangzhou.partner_type, guangzhou.province, guangzhou.coverage) == (
        manager,
        "distributor",
        "GD",
        ["GD", "GX"],
    )
    assert list(guangzhou.contacts.values_list("name", "is_primary")) == [
        ("陈晓", True),
        ("林芳", False),
    ]
    assert list(guangzhou.tags.values_list("name", flat=True)) == ["重点培育"]
    assert guangzhou.events.get().kind == TimelineKind.IMPORTED
    assert guangzhou.history.get().history_user == manager
    assert Partner.objects.get(code="P-HZ-02").contacts.get().is_primary


def test_a_gbk_csv_as_chinese_excel_writes_it_imports(as_user, manager):
    response = upload(as_user(manager), csv_bytes(GOOD_ROWS, encoding="gbk"))
    batch = response.context["batch"]
    assert (batch.errors, batch.partner_count) == ([], 2)
    services.import_partners(batch, imported_by=manager)
    assert Partner.objects.get(code="P-GZ-01").legal_name == "广州星河贸易有限公司"


def test_an_xlsx_with_english_headers_and_real_dates_imports(as_user, manager):
    from datetime import date

    content = xlsx_bytes(
        [
            ["legal_name", "partner_type", "province", "cooperation_start_date", "contact_name"],
            ["Shenzhen Nova Ltd", "Agent", "Guangdong", date(2024, 3, 1), "Li Lei"],
        ]
    )
    batch = upload(as_user(manager), content, "partners.xlsx").context["batch"]
    assert batch.errors == []
    [partner] = services.import_partners(batch, imported_by=manager)
    assert (partner.partner_type, partner.cooperation_start_date, partner.code) == (
        "agent",
        date(2024, 3, 1),
        "P000001",
    )


def test_one_bad_row_writes_nothing_and_is_reported_with_row_and_column(as_user, manager):
    rows = [*GOOD_ROWS, "P-XX-03,西安某某有限公司,批发商,火星,西安,,,赵强,,"]

    response = upload(as_user(manager), csv_bytes(rows))

    assert [(e["row"], e["column"]) for e in preview_errors(response)] == [
        (5, "渠道类型"),
        (5, "省份"),
    ]
    assert response.context["batch"].status == ImportBatch.Status.INVALID
    assert Partner.objects.count() == 0


def test_the_error_report_lists_every_row(as_user, manager):
    rows = [
        ",,分销商,广东,,,,陈晓,,",  # no legal name
        "A1,甲公司,分销商,广东,,,,,,,",  # no contact is fine
        "A1,乙公司,分销商,广东,,,,张三,,",  # same code, other name
        "A2,丙公司,分销商,广东,,,,,139,",  # a contact detail without a name
    ]
    errors = preview_errors(upload(as_user(manager), csv_bytes(rows)))
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "公司全称"),
        (4, "公司全称"),
        (5, "联系人姓名"),
    ]


def test_later_rows_of_a_partner_whose_first_row_is_bad_are_not_misreported(as_user, manager):
    rows = [
        "B1,乙公司,批发商,广东,,,,甲,,",  # bad partner type
        "B1,,,,,,,乙,,",  # a further contact of the same partner
        "B2,丙公司,分销商,,,,,丙,,",  # no province: reported once
    ]
    errors = preview_errors(upload(as_user(manager), csv_bytes(rows)))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "渠道类型"), (4, "省份")]


@pytest.mark.parametrize("headcount", ["NaN", "Infinity", "1e10", "-3", "2.5", "abc"])
def test_a_headcount_must_be_a_whole_number_the_database_can_hold(as_user, manager, headcount):
    header = "公司全称,渠道类型,省份,员工人数,联系人姓名"
    errors = preview_errors(
        upload(as_user(manager), csv_bytes([f"甲公司,分销商,广东,{headcount},甲"], header=header))
    )
    assert [(e["row"], e["column"]) for e in errors] == [(2, "员工人数")]


def test_imported_tags_and_specialists_are_in_the_first_history_record(as_user, vp, specialist):
    from partners.services import ContactData, NewPartner, create_partners_in_bulk

    [partner] = create_partners_in_bulk(
        [
            NewPartner(
                fields={"legal_name": "甲公司", "partner_type": "agent", "province": "GD"},
                contacts=[ContactData(name="甲")],
                tag_names=["新签约"],
                specialist_ids=[specialist.pk],
            )
        ],
        created_by=vp,
    )
    record = partner.history.get()
    assert [link.tag.name for link in record.tags.all()] == ["新签约"]
    assert [link.user for link in record.specialists.all()] == [specialist]


def test_existing_codes_and_names_and_two_primaries_are_refused(as_user, manager, partner):
    rows = [
        f"{partner.code},新名字,分销商,广东,,,,甲,,是",
        "N1,广州星河贸易有限公司,分销商,广东,,,,乙,,是",
        "N1,,,,,,,丙,,是",
    ]
    errors = preview_errors(upload(as_user(manager), csv_bytes(rows)))
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "渠道编码"),
        (3, "公司全称"),
        (3, "主要联系人"),
    ]


def test_a_manager_cannot_import_partners_for_another_owner_or_above_potential(
    as_user, manager, colleague
):
    header = "公司全称,渠道类型,省份,负责经理（用户名）,分层,联系人姓名"
    rows = ["甲公司,分销商,广东,colleague,核心渠道,甲"]
    errors = preview_errors(upload(as_user(manager), csv_bytes(rows, header=header)))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "分层"), (2, "负责经理（用户名）")]


def test_a_vp_imports_for_any_manager_with_tiers(as_user, vp, colleague):
    header = "legal_name,partner_type,province,owner,tier,contact_name"
    batch = upload(
        as_user(vp), csv_bytes(["甲公司,distributor,GD,colleague,core,甲"], header=header)
    ).context["batch"]
    [partner] = services.import_partners(batch, imported_by=vp)
    assert (partner.owner, partner.tier) == (colleague, Tier.CORE)


def test_unknown_and_missing_columns_are_reported_on_row_1(as_user, manager):
    errors = preview_errors(upload(as_user(manager), csv_bytes(["x,y"], header="公司全称,颜色")))
    assert {e["column"] for e in errors} == {"颜色", "渠道类型", "省份", "联系人姓名"}
    assert {e["row"] for e in errors} == {1}


def test_an_import_is_revalidated_at_confirmation(as_user, manager):
    client = as_user(manager)
    batch = upload(client, csv_bytes(GOOD_ROWS)).context["batch"]
    services.create_partner(
        created_by=manager, legal_name="杭州云帆科技有限公司", partner_type="agent", province="ZJ"
    )

    response = client.post(reverse("partners:partner_import_preview", args=[batch.pk]))

    assert response.status_code == 400
    assert Partner.objects.count() == 1


def test_an_import_cannot_be_confirmed_twice_or_by_someone_else(as_user, manager, colleague):
    batch = upload(as_user(manager), csv_bytes(GOOD_ROWS)).context["batch"]
    url = reverse("partners:partner_import_preview", args=[batch.pk])
    assert as_user(colleague).post(url).status_code == 404
    as_user(manager).post(url)
    assert as_user(manager).post(url).status_code == 400
    assert Partner.objects.count() == 2


def test_a_specialist_cannot_import(as_user, specialist):
    assert as_user(specialist).get(IMPORT_URL).status_code == 403


def zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    return buffer.getvalue()


def xlsx_with(member, payload):
    buffer = io.BytesIO(xlsx_bytes([["legal_name"], ["x"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = payload if item.filename == member else source.read(item.filename)
            target.writestr(item, data)
        if member not in source.namelist():
            target.writestr(member, payload)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row><c t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row><c t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""
BAD_CELL = b"""<?xml version="1.0"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="n"><v>abc</v></c></row></sheetData></worksheet>"""
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bomb.xlsx", zip_bomb()),
        ("laughs.xlsx", xlsx_with("xl/worksheets/sheet1.xml", BILLION_LAUGHS)),
        ("xxe.xlsx", xlsx_with("xl/worksheets/sheet1.xml", XXE)),
        ("macro.xlsx", xlsx_with("xl/vbaProject.bin", b"\0" * 100)),
        ("picture.xlsx", PNG),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
        ("blank.csv", b"   \n  "),
        ("broken.xlsx", b"PK\x03\x04garbage"),
        ("badcell.xlsx", xlsx_with("xl/worksheets/sheet1.xml", BAD_CELL)),
        ("nul.csv", csv_bytes(GOOD_ROWS * 400) + b"\0tail"),
    ],
)
def test_hostile_or_unreadable_files_get_a_clear_error_and_write_nothing(
    as_user, manager, name, content
):
    response = upload(as_user(manager), content, name)
    errors = preview_errors(response)
    assert response.status_code == 200
    assert len(errors) == 1
    assert errors[0]["row"] == 0
    assert errors[0]["message"]
    assert "root:" not in str(errors)
    assert Partner.objects.count() == 0


def test_an_empty_upload_is_refused_by_the_form(as_user, manager):
    response = upload(as_user(manager), b"", "empty.csv")
    assert "file" in response.context["form"].errors
    assert ImportBatch.objects.count() == 0


def test_the_row_cap_is_enforced(settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(UnreadableFile):
        read_rows(csv_bytes(["a"] * 4))


def test_the_size_cap_is_enforced(as_user, manager, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(as_user(manager), csv_bytes(GOOD_ROWS))
    assert "file" in response.context["form"].errors
    assert ImportBatch.objects.count() == 0


def test_the_template_lists_the_columns(as_user, manager):
    response = as_user(manager).get(reverse("partners:partner_import_template"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]][:3] == ["渠道编码", "公司全称", "简称"]
