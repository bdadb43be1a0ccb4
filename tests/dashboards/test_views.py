"""The dashboard pages: figures shown and linked, access, downloads, query counts."""

import pytest
from django.urls import reverse

from dashboards.summary import rebuild

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def summaries(channel):
    rebuild(today=TODAY)
    return channel


def test_tier_dashboard_shows_and_links_every_figure(
    client, vp, summaries, django_assert_max_num_queries
):
    client.force_login(vp)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("dashboards:tiers"), {"period": "2026Q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="concentration-warning"' in html
    assert "2,000.00" in html  # core's net sales
    assert "?period=2026Q3&amp;segment=promoted&amp;period_tier=core" in html


def test_figure_links_open_the_partners_behind_them(client, vp, summaries):
    client.force_login(vp)
    url = reverse("partners:partner_list")
    response = client.get(url, {"period": "2026Q3", "segment": "promoted", "period_tier": "core"})
    assert [p.legal_name for p in response.context["object_list"]] == ["A"]
    response = client.get(url, {"period": "2026Q3", "segment": "terminated"})
    assert [p.legal_name for p in response.context["object_list"]] == ["C"]
    response = client.get(url, {"period": "2026Q3", "segment": "top10", "province": "GD"})
    # D sold nothing: not among the largest
    assert [p.legal_name for p in response.context["object_list"]] == ["A", "B", "C"]
    assert 'id="figure-filter"' in response.content.decode()


def test_a_manager_sees_neither_the_tier_nor_the_team_dashboard(client, manager, summaries):
    client.force_login(manager)
    assert client.get(reverse("dashboards:tiers")).status_code == 403
    assert client.get(reverse("dashboards:team")).status_code == 403


def test_drilldown_keeps_to_the_managers_partners(client, manager, summaries):
    client.force_login(manager)
    response = client.get(reverse("partners:partner_list"), {"period": "2026Q3", "segment": "all"})
    assert {p.legal_name for p in response.context["object_list"]} == {"A", "B"}


def test_team_dashboard_sorts_and_downloads(
    client, vp, manager, summaries, django_assert_max_num_queries
):
    client.force_login(vp)
    with django_assert_max_num_queries(15):
        response = client.get(
            reverse("dashboards:team"), {"period": "2026Q3", "sort": "-net_sales"}
        )
    rows = response.context["rows"]
    assert rows[0].row.owner_id == manager.pk
    response = client.get(
        reverse("dashboards:team"), {"period": "2026Q3", "download": "team", "format": "csv"}
    )
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "李经理" in text
    assert "2000.00" in text


@pytest.mark.parametrize("table", ["tiers", "trend", "concentration", "provinces"])
def test_tier_tables_download(client, vp, summaries, table):
    client.force_login(vp)
    response = client.get(
        reverse("dashboards:tiers"), {"period": "2026Q3", "download": table, "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("name", "table", "bad"),
    [("dashboards:tiers", "tiers", {"period": "2026Q9"}),
     ("dashboards:team", "team", {"period": "2026Q3", "province": "XX"})],
)  # fmt: skip
def test_a_download_with_a_filter_it_cannot_read_is_refused(client, vp, summaries, name,
                                                            table, bad):  # fmt: skip
    client.force_login(vp)
    response = client.get(reverse(name), {**bad, "download": table, "format": "csv"})
    assert response.status_code == 400
    assert response.content.decode()  # the reason, as the page would word it


def test_my_day(client, manager, summaries, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("dashboards:my_day"))
    assert response.status_code == 200
    names = {item.partner.legal_name for item in response.context["at_risk"]}
    assert names <= {"A", "B"}  # only my partners
    for table in ("at-risk", "kpis"):
        download = client.get(reverse("dashboards:my_day"), {"download": table, "format": "csv"})
        assert download["Content-Type"].startswith("text/csv")


def test_bad_period_falls_back_with_a_message(client, vp, summaries):
    client.force_login(vp)
    response = client.get(reverse("dashboards:tiers"), {"period": "2026Q9"})
    assert response.status_code == 200
    assert response.context["period"].kind == "Q"
    assert [str(m) for m in response.context["messages"]]


def test_settings_editable_by_a_vp_only(client, vp, manager):
    client.force_login(manager)
    assert client.get(reverse("dashboards:settings")).status_code == 403
    client.force_login(vp)
    response = client.post(
        reverse("dashboards:settings"),
        {"hhi_warning": 12000, "top10_warning_percent": 40, "low_score": "3.0"},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("dashboards:settings"),
        {"hhi_warning": 2500, "top10_warning_percent": 40, "low_score": "3.0"},
    )
    assert response.status_code == 302
