"""The knowledge base: Chinese substring search, safe Markdown, suggestions on an issue
page, writing up a resolved issue in one step."""

import pytest
from django.urls import reverse

from support import services
from support.knowledge import render_markdown, suggested_articles
from support.models import Article


def article(title, problem, solution="按流程处理", tags="", categories=()):
    return services.save_article(
        Article(title=title, problem=problem, solution=solution, tags=tags,
                categories=list(categories)),
        saved_by=None,
    )  # fmt: skip


@pytest.fixture
def articles(db):
    return {
        "returns": article(
            "退货流程太慢怎么办",
            "客户反映退货审批需要两周",
            tags="退货, 售后",
            categories=["delivery"],
        ),  # fmt: skip
        "invoice": article(
            "Invoice reprint",
            "The partner lost the VAT invoice",
            solution="Ask finance to **reprint** it",
            categories=["rebate"],
        ),  # fmt: skip
    }


@pytest.mark.parametrize(
    ("query", "found"),
    [("流程", ["returns"]), ("退货 两周", ["returns"]), ("审批", ["returns"]),
     ("售后", ["returns"]), ("VAT", ["invoice"]), ("reprint", ["invoice"]),
     ("invoice 流程", []), ("发票", [])],
)  # fmt: skip
def test_search_finds_chinese_substrings_and_english_words(articles, query, found):
    results = Article.objects.search(query)
    assert sorted(results.values_list("pk", flat=True)) == sorted(articles[k].pk for k in found)


def test_the_search_page_and_api_use_the_same_search(articles, manager, as_user, as_api_user):
    page = as_user(manager).get(reverse("support:article_list"), {"q": "审批"}).content.decode()
    assert "退货流程太慢怎么办" in page
    assert "Invoice reprint" not in page
    body = as_api_user(manager).get("/api/v1/articles/", {"q": "审批"}).json()
    assert [row["title"] for row in body["results"]] == ["退货流程太慢怎么办"]


def test_markdown_is_rendered_without_raw_html_or_script_links():
    html = render_markdown("**粗体**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))")
    assert "<strong>粗体</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


def test_an_article_page_escapes_what_people_wrote(manager, as_user, db):
    written = article("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
    page = as_user(manager).get(written.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page


def test_an_issue_page_suggests_similar_cases(partner, manager, articles, as_user):
    issue = services.open_issue(
        partner, opened_by=manager, title="退货流程太慢", category="delivery",
        description="客户说退货要等两周",
    )  # fmt: skip
    assert suggested_articles(issue) == [articles["returns"]]
    page = as_user(manager).get(issue.get_absolute_url()).content.decode()
    assert "退货流程太慢怎么办" in page.split('id="suggested-articles"')[1]


def test_a_resolved_issue_becomes_an_article_in_one_step(partner, manager, as_user):
    issue = services.open_issue(
        partner, opened_by=manager, title="返利计算有误", category="rebate",
        description="三季度返利少算了一档",
    )  # fmt: skip
    client = as_user(manager)
    url = reverse("support:issue_write_up", args=[issue.pk])
    assert client.get(url).status_code == 302  # not resolved yet
    services.resolve_issue(issue, resolved_by=manager, resolution="重新核算后补发差额")

    form = client.get(url).context["form"]
    assert (form["title"].value(), form["problem"].value(), form["solution"].value()) == (
        "返利计算有误", "三季度返利少算了一档", "重新核算后补发差额",
    )  # fmt: skip
    assert not Article.objects.exists()  # nothing shared before the writer saves
    response = client.post(url, {"title": "返利少算一档", "problem": "阶梯返利少算",
                                 "solution": "重新核算后补发差额", "tags": "返利",
                                 "categories": ["rebate"]})  # fmt: skip

    written = Article.objects.get()
    assert response["Location"] == written.get_absolute_url()
    assert (written.title, written.categories, written.created_by) == (
        "返利少算一档", ["rebate"], manager,
    )  # fmt: skip
    assert list(written.issues.all()) == [issue]
    assert Article.objects.search("少算").get() == written
    assert partner.events.filter(kind="article_written").count() == 1


def test_the_api_refuses_unknown_article_categories_with_400(manager, as_api_user, db):
    client = as_api_user(manager)
    body = {"title": "案例", "problem": "问题", "solution": "办法"}
    assert (
        client.post("/api/v1/articles/", {**body, "categories": 5}, format="json").status_code
        == 400
    )
    assert client.post("/api/v1/articles/", {**body, "categories": ["x"]},
                       format="json").status_code == 400  # fmt: skip
    created = client.post("/api/v1/articles/", {**body, "categories": ["rebate", "delivery"]},
                          format="json")  # fmt: skip
    assert created.status_code == 201
    assert created.json()["categories"] == ["delivery", "rebate"]


def test_an_article_lists_only_the_linked_issues_the_reader_sees(partner, outsider, as_user):
    issue = services.open_issue(
        partner, opened_by=None, title="内部问题", category="other", description="x"
    )
    written = article("案例", "问题")
    written.issues.add(issue)
    assert "内部问题" not in as_user(outsider).get(written.get_absolute_url()).content.decode()


def test_unknown_categories_are_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        article("x", "y", categories=["nonsense"])
