"""The dashboards' API against the hand-computed figures of conftest.py (today 2026-11-29):
the same numbers as the pages, as strings for money and percentages and null when
undefined; the pages' filters; 400 on bad parameters; who may read what."""

from datetime import date

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from dashboards.summary import rebuild
from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import MaintenanceTask

TIERS = "/api/v1/dashboards/tiers/"
TEAM = "/api/v1/dashboards/team/"
ME = "/api/v1/dashboards/me/"
Q3 = {"period": "2026Q3"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-11-29 12:00 +08:00")


@pytest.fixture
def api(as_api_user):
    def client_for(user):
        client = as_api_user(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return client_for


@pytest.fixture
def summaries(channel, manager, colleague):
    """The channel of conftest.py and two tasks due this quarter (2026Q4): the manager's
    done on time, the colleague's still open (overdue since 11-20)."""
    MaintenanceTask.objects.create(
        partner=channel["a"], kind=TaskKind.CONTACT, due_on=date(2026, 11, 10), assignee=manager,
        status=TaskStatus.DONE, completed_on=date(2026, 11, 9),
    )  # fmt: skip
    MaintenanceTask.objects.create(
        partner=channel["d"], kind=TaskKind.CONTACT, due_on=date(2026, 11, 20), assignee=colleague
    )
    rebuild(today=date(2026, 11, 29))
    return channel


def figures(body, tier, *names):
    return tuple(body["tiers"][tier][name] for name in names)


# --- the tier dashboard ------------------------------------------------------------------


def test_tier_figures_are_the_hand_computed_ones(api, vp, summaries):
    body = api(vp).get(TIERS, Q3).json()
    assert (body["period"], body["period_start"], body["period_end"]) == (
        "2026Q3", "2026-07-01", "2026-09-30",
    )  # fmt: skip
    assert figures(body, "core", "partners", "promoted", "demoted") == (2, 1, 0)
    assert figures(body, "regular", "partners", "terminated", "demoted") == (1, 1, 1)
    assert figures(body, "potential", "partners", "new") == (1, 1)
    assert body["tiers"]["total"]["partners"] == 4
    assert figures(body, "core", "net_sales", "share", "growth") == ("2000.00", "95.2", "100.0")
    assert figures(body, "regular", "net_sales", "growth") == ("100.00", "-83.3")
    assert figures(body, "total", "net_sales", "growth") == ("2100.00", "31.3")
    assert body["tiers"]["potential"]["growth"] is None  # undefined, never 0


def test_tier_rates_and_undefined_figures(api, vp, summaries):
    body = api(vp).get(TIERS, Q3).json()
    assert figures(body, "core", "activity_rate", "churn_rate") == ("100.0", "0.0")
    assert figures(body, "regular", "activity_rate", "churn_rate") == ("0.0", "50.0")
    assert figures(body, "total", "activity_rate", "churn_rate") == ("50.0", "25.0")
    assert body["tiers"]["potential"]["activity_rate"] is None
    assert figures(body, "core", "achievement", "timeliness", "review_completion") == (
        "130.0", "33.3", "50.0",
    )  # fmt: skip
    assert figures(body, "regular", "achievement", "timeliness") == (None, None)
    assert figures(body, "core", "target", "interactions_per_partner") == ("1000.00", "0.5")


def test_concentration_provinces_and_warnings(api, vp, summaries):
    body = api(vp).get(TIERS, Q3).json()
    assert body["concentration"][-1] == {
        "period": "2026Q3", "top10": "2100.00", "total": "2100.00", "top10_percent": "100.0",
        "hhi": "4966.0",
    }  # fmt: skip
    assert body["warnings"] == ["hhi", "top10"]
    assert (body["hhi_warning"], body["top10_warning_percent"]) == (1500, 50)
    assert [(row["province"], row["net_sales"]) for row in body["provinces"]] == [
        ("GD", "2100.00"), ("BJ", "0.00"),
    ]  # fmt: skip


def test_trend_holds_eight_quarters_with_their_figures(api, vp, summaries):
    body = api(vp).get(TIERS, Q3).json()
    assert [point["period"] for point in body["trend"]] == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    assert [row["period"] for row in body["concentration"]] == [
        point["period"] for point in body["trend"]
    ]
    # A year earlier A was still regular and E still core.
    year_before = body["trend"][3]["tiers"]
    assert [year_before[key]["net_sales"] for key in ("core", "regular", "total")] == [
        "200.00", "1400.00", "1600.00",
    ]  # fmt: skip
    assert "partners_urls" not in year_before["core"]


def test_each_figure_links_to_its_partner_list(api, vp, summaries):
    body = api(vp).get(TIERS, {**Q3, "province": "BJ"}).json()
    urls = body["tiers"]["core"]["partners_urls"]
    core = "&province=BJ&period_tier=core"
    assert urls["partners"] == f"/partners/?period=2026Q3&segment=partners{core}"
    assert urls["net_sales"] == f"/partners/?period=2026Q3&segment=all{core}"
    total = body["tiers"]["total"]["partners_urls"]
    assert total["churn_rate"] == "/partners/?period=2026Q3&segment=terminated&province=BJ"
    assert len(urls) == 14


def test_a_month_and_a_year(api, vp, summaries):
    client = api(vp)
    september = client.get(TIERS, {"period": "2026-09"}).json()
    assert figures(september, "regular", "demoted") == (1,)  # E demoted on 09-01
    assert figures(september, "core", "net_sales", "achievement") == ("1200.00", None)
    year = client.get(TIERS, {"period": "2026"}).json()
    assert figures(year, "core", "net_sales", "achievement") == ("2999.00", "57.5")


def test_the_default_period_is_this_quarter(api, vp, summaries):
    body = api(vp).get(TIERS).json()
    assert body["period"] == "2026Q4"
    assert body["tiers"]["total"]["partners"] == 4  # D today, C terminated
    assert body["tiers"]["core"]["net_sales"] == "999.00"


# --- filters and bad parameters ------------------------------------------------------------


def test_filters_narrow_the_figures_and_are_echoed(api, vp, manager, summaries):
    client = api(vp)
    beijing = client.get(TIERS, {**Q3, "province": "BJ"}).json()
    assert beijing["filters"] == {"province": ["BJ"], "partner_type": [], "owner": None}
    assert figures(beijing, "total", "partners") == (1,)
    assert figures(beijing, "regular", "demoted") == (1,)
    both = client.get(f"{TIERS}?period=2026Q3&province=BJ&province=GD").json()
    assert both["filters"]["province"] == ["BJ", "GD"]
    assert figures(both, "total", "partners") == (4,)
    mine = client.get(TIERS, {**Q3, "owner": manager.pk}).json()
    assert figures(mine, "total", "net_sales", "partners") == ("2000.00", 2)
    agents = client.get(TIERS, {**Q3, "partner_type": "agent"}).json()
    assert figures(agents, "total", "partners", "net_sales", "growth") == (0, "0.00", None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "2026Q5"}, "period"),
        ({"period": "2027Q1"}, "period"),  # not begun
        ({"period": "2023"}, "period"),  # before the covered years
        ({"province": "XX"}, "province"),
        ({"partner_type": "wholesaler"}, "partner_type"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_parameters_answer_400_naming_them(api, vp, summaries, query, field):
    client = api(vp)
    for url in (TIERS, TEAM):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert list(response.json()) == [field]


def test_the_400_says_what_a_period_looks_like(api, vp, summaries):
    response = api(vp).get(TIERS, {"period": "Q3"})
    assert response.json() == {"period": ["Give a period as 2026Q3, 2026-09 or 2026."]}


# --- the team dashboard --------------------------------------------------------------------


def test_team_rows_per_owner(api, vp, manager, colleague, summaries):
    body = api(vp).get(TEAM, Q3).json()
    assert [(row["owner"], row["owner_name"]) for row in body["managers"]] == [
        (colleague.pk, "colleague"), (manager.pk, "李经理"),
    ]  # fmt: skip
    theirs, mine = body["managers"]
    assert mine["tiers"] == {"core": 2, "regular": 0, "potential": 0}
    assert (mine["partners"], mine["net_sales"], mine["growth"]) == (2, "2000.00", "100.0")
    assert (mine["timeliness"], mine["review_completion"]) == ("33.3", "50.0")
    assert mine["interactions_per_partner"] == "0.5"
    assert mine["partners_url"] == f"/partners/?period=2026Q3&segment=partners&owner={manager.pk}"
    assert theirs["tiers"] == {"core": 0, "regular": 1, "potential": 1}
    assert (theirs["net_sales"], theirs["growth"]) == ("100.00", "-83.3")
    assert theirs["timeliness"] is None  # E's only task was cancelled: nothing was owed
    total = body["total"]
    assert (total["owner"], total["partners"], total["net_sales"]) == (None, 4, "2100.00")
    assert total["tiers"] == {"core": 2, "regular": 1, "potential": 1}


def test_team_filters(api, vp, manager, summaries):
    client = api(vp)
    beijing = client.get(TEAM, {**Q3, "province": "BJ"}).json()
    assert [(row["owner_name"], row["tiers"]["regular"]) for row in beijing["managers"]] == [
        ("colleague", 1)
    ]
    mine = client.get(TEAM, {**Q3, "owner": manager.pk}).json()
    assert [row["owner"] for row in mine["managers"]] == [manager.pk]
    assert mine["total"]["net_sales"] == "2000.00"


# --- my day --------------------------------------------------------------------------------


def test_my_day_lists_my_tasks_reviews_and_partners_at_risk(api, manager, summaries):
    body = api(manager).get(ME).json()
    assert (body["today"], body["week_end"]) == ("2026-11-29", "2026-11-29")  # a Sunday
    assert [(task["partner"]["legal_name"], task["due_on"]) for task in body["overdue_tasks"]] == [
        ("B", "2026-07-15")
    ]
    assert body["week_tasks"] == []
    assert [(review["partner"]["legal_name"], review["period"]) for review in body["reviews"]] == [
        ("B", "2026Q3")
    ]
    assert [(row["partner"]["legal_name"], row["reasons"]) for row in body["at_risk"]] == [
        ("A", ["low_score"]),  # the last closed review scored 2.50
        ("B", ["no_sales", "contact_overdue"]),
    ]
    assert body["low_score"] == "3.0"


def test_my_kpis_against_everyone(api, manager, summaries):
    kpis = api(manager).get(ME).json()["kpis"]
    assert (kpis["quarter"], kpis["team_label"]) == ("2026Q4", "Everyone")
    assert kpis["mine"] == {
        "tasks_due": 1, "tasks_on_time": 1, "timeliness": "100.0",
        "reviews_due": 0, "reviews_on_time": 0, "review_completion": None,
    }  # fmt: skip
    assert kpis["team"] == {"timeliness": "50.0", "review_completion": None}  # rates only


def test_the_vp_s_day_holds_only_the_partners_they_own(api, vp, summaries):
    body = api(vp).get(ME).json()
    assert body["at_risk"] == []  # a VP sees every partner but owns none here
    assert body["overdue_tasks"] == []  # none is assigned to the VP


def test_the_outsider_s_day_holds_only_their_own_partners(api, outsider, summaries):
    rebuild(today=date(2026, 11, 29))
    body = api(outsider).get(ME).json()
    assert [row["partner"]["legal_name"] for row in body["at_risk"]] == ["外部渠道有限公司"]
    assert (body["overdue_tasks"], body["reviews"]) == ([], [])


# --- access --------------------------------------------------------------------------------


def test_a_manager_may_not_read_the_tier_or_team_dashboards(
    api, manager, outsider, specialist, support, summaries
):
    """Role-only endpoints answer 403, as the rebate programs and the KPIs do: no partner's
    row is at stake, and the endpoint's existence is no secret."""
    for user in (manager, outsider, specialist, support):
        for url in (TIERS, TEAM):
            assert api(user).get(url, Q3).status_code == 403, (user, url)


def test_the_partner_user_reads_no_dashboard(api, partner_user, summaries):
    for url in (TIERS, TEAM, ME):
        assert api(partner_user).get(url).status_code == 403, url


def test_anonymous_gets_nothing(client, summaries):
    for url in (TIERS, TEAM, ME):
        assert client.get(url).status_code in (401, 403), url


def test_a_superuser_reads_the_dashboards(api, summaries):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client = api(admin)
    assert client.get(TIERS, Q3).json()["tiers"]["total"]["partners"] == 4
    assert len(client.get(TEAM, Q3).json()["managers"]) == 2


# --- schema and cost ------------------------------------------------------------------------


def test_the_schema_documents_the_dashboards_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned: run manage.py spectacular --fail-on-warn"
    for path in (TIERS, TEAM, ME):
        assert schema["paths"][path]["get"]["responses"]["200"]
    parameters = schema["paths"][TIERS]["get"]["parameters"]
    assert sorted(parameter["name"] for parameter in parameters) == [
        "owner", "partner_type", "period", "province",
    ]  # fmt: skip


# --- cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TIERS, TEAM])
def test_a_dashboard_costs_a_fixed_number_of_queries(
    api, vp, summaries, url, django_assert_max_num_queries
):
    client = api(vp)
    with django_assert_max_num_queries(15):
        assert client.get(url, {**Q3, "province": ["GD", "BJ"]}).status_code == 200


@pytest.mark.parametrize("persona", ["manager", "vp"])
def test_my_day_costs_a_fixed_number_of_queries(
    api, request, summaries, persona, django_assert_max_num_queries
):
    client = api(request.getfixturevalue(persona))
    with django_assert_max_num_queries(15):
        assert client.get(ME).status_code == 200
