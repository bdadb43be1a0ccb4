"""/api/v1/reviews/, /api/v1/review-actions/ and /api/v1/review-completion/."""

from datetime import date

from reviews import services
from reviews.models import BusinessReview
from tests.factories import PartnerFactory

from .conftest import Q4, held_review


def test_a_review_through_the_api(as_api_user, manager, partner, now):
    client = as_api_user(manager)
    created = client.post(
        "/api/v1/reviews/", {"partner": partner.pk, "period": "2026Q4"}, format="json"
    )
    assert created.status_code == 201, created.content
    review_id = created.json()["id"]
    again = client.post(
        "/api/v1/reviews/", {"partner": partner.pk, "period": "2026Q4"}, format="json"
    )
    assert again.status_code == 400
    url = f"/api/v1/reviews/{review_id}/"
    scheduled = client.post(
        url + "schedule/",
        {"scheduled_at": "2026-11-26T10:00:00+08:00", "format": "online"},
        format="json",
    )
    assert scheduled.status_code == 200, scheduled.content
    assert client.post(url + "hold/", {"held_on": "2026-11-20"}, format="json").status_code == 200
    assert client.post(url + "close/").status_code == 400  # scorecard incomplete
    recorded = client.post(url + "record/", {
        "notes": "纪要", "scores": {"sales": 5, "service": 4, "market": 4, "satisfaction": 3},
        "comments": {"market": "竞品降价"},
    }, format="json")  # fmt: skip
    assert recorded.json()["overall_score"] == "4.20"
    action = client.post("/api/v1/review-actions/", {
        "review": review_id, "title": "联合促销", "due_on": "2026-12-10", "owner_user": manager.pk,
    }, format="json")  # fmt: skip
    assert action.status_code == 201, action.content
    closed = client.post(url + "close/").json()
    assert closed["status"] == "closed"
    assert closed["figures"]["quarter"] == "2026Q4"
    assert closed["comments"]["market"] == "竞品降价"
    assert closed["held_on_time"] is True
    done = client.post(
        f"/api/v1/review-actions/{action.json()['id']}/complete/", {"note": "已完成"}, format="json"
    )
    assert done.json()["status"] == "done"


def test_filters_and_row_level_access(as_api_user, manager, outsider, partner, now):
    services.plan_quarter(Q4)
    held_review(PartnerFactory(owner=manager), held_on=date(2026, 11, 1))
    mine = as_api_user(manager).get("/api/v1/reviews/", {"period": "2026Q4"}).json()
    assert mine["count"] == 2
    assert all(row["manager"] == manager.pk for row in mine["results"])
    assert as_api_user(manager).get("/api/v1/reviews/", {"status": "held"}).json()["count"] == 1
    assert as_api_user(outsider).get("/api/v1/reviews/", {"period": "2026Q4"}).json()["count"] == 1
    hidden = BusinessReview.objects.get(partner=partner)
    assert as_api_user(outsider).get(f"/api/v1/reviews/{hidden.pk}/").status_code == 404
    bad = as_api_user(manager).get("/api/v1/reviews/", {"period": "Q4"})
    assert bad.status_code == 400


def test_overdue_action_items_filter(as_api_user, manager, partner, now):
    review = held_review(partner)
    services.add_action(
        review, created_by=None, title="已逾期", due_on=date(2026, 11, 1), owner_user=manager
    )
    services.add_action(
        review, created_by=None, title="未到期", due_on=date(2026, 12, 1), owner_user=manager
    )
    rows = (
        as_api_user(manager).get("/api/v1/review-actions/", {"overdue": "true"}).json()["results"]
    )
    assert [row["title"] for row in rows] == ["已逾期"]
    assert rows[0]["is_overdue"] is True


def test_completion_rows(as_api_user, vp, manager, partner, now):
    held_review(partner, held_on=date(2026, 11, 2))
    services.plan_review(PartnerFactory(owner=manager, tier="core"), quarter=Q4, planned_by=None)
    rows = as_api_user(vp).get("/api/v1/review-completion/", {"period": "2026Q4"}).json()
    total = next(
        row
        for row in rows
        if row["manager"] is None and row["team"] is None and row["tier"] is None
    )
    assert (total["due"], total["on_time"], total["percent"]) == (2, 1, "50.0")
    by_manager = next(row for row in rows if row["manager"] == manager.pk)
    assert by_manager["percent"] == "50.0"
    assert {row["tier"] for row in rows if row["tier"]} == {"core", "regular"}


def test_the_api_refuses_attendees_and_contacts_outside_the_portfolio(
    as_api_user, manager, outsider, partner, now
):
    review = services.plan_review(partner, quarter=Q4, planned_by=None)
    url = f"/api/v1/reviews/{review.pk}/schedule/"
    body = {"scheduled_at": "2026-11-26T10:00:00+08:00", "format": "online"}
    foreign_contact = outsider.owned_partners.get().contacts.create(name="外人")
    for extra in ({"staff": [outsider.pk]}, {"contacts": [foreign_contact.pk]}):
        response = as_api_user(manager).post(url, {**body, **extra}, format="json")
        assert response.status_code == 400, extra
    review.refresh_from_db()
    assert review.scheduled_at is None
