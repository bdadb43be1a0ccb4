"""Reading the knowledge base: articles rendered from Markdown without raw HTML, and the
articles an issue's text suggests."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import FloatField
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from .models import Article, PartnerIssue

# CommonMark with tables; raw HTML is escaped, javascript:/vbscript:/data: links are refused.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
SUGGESTIONS = 5
MIN_SIMILARITY = 0.25
CATEGORY_BONUS = 0.15


def render_markdown(text: str) -> SafeString:
    return mark_safe(_markdown.render(text))  # noqa: S308 (markdown-it escapes raw HTML)


def suggested_articles(issue: PartnerIssue) -> list[Article]:
    """Articles like the issue: on PostgreSQL by trigram word similarity of the issue's title
    and the start of its description to the article text (Chinese included), with a bonus
    for the issue's category; elsewhere, the newest articles of its category."""
    if connection.vendor != "postgresql":
        return [
            article
            for article in Article.objects.order_by("-updated_at")[:200]
            if issue.category in article.categories
        ][:SUGGESTIONS]
    title, start = issue.title.lower(), issue.description[:300].lower()
    score = (
        "GREATEST(word_similarity(%s, search_text), 0.8 * word_similarity(%s, search_text))"
        " + CASE WHEN categories @> %s::jsonb THEN %s ELSE 0 END"
    )
    params = [title, start, json.dumps([issue.category]), CATEGORY_BONUS]
    ranked = (
        Article.objects.annotate(score=RawSQL(score, params, output_field=FloatField()))
        .filter(score__gte=MIN_SIMILARITY)
        .order_by("-score", "-updated_at")
    )
    return list(ranked[:SUGGESTIONS])
