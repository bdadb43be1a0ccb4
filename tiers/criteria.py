"""The tier score: nine criteria, each 0–100 points from its inputs over the four complete
quarters before the evaluation (the "window"), and their weighted mean.

- Net sales N (credit notes negative): min(100, 100 × N / full-points amount); N ≤ 0 → 0.
- Growth: g = (N − N₀) / N₀ in %, N₀ the four quarters before the window;
  clamp(50 + g, 0, 100) (+50 % or more → 100, −50 % or less → 0). No data when N₀ ≤ 0
  (growth undefined, product.md §4).
- Target achievement: min(100, 100 × N_T / T), T the partner's targets of the window's
  quarters that have one (a year without a target is left out) and N_T the net sales of
  those quarters. No data without a target.
- Geographic coverage: min(100, 100 × provinces / full-points provinces), counting its own
  province and its coverage list.
- Cooperation depth: mean of min(100, 100 × years / full years) — years since the
  cooperation started, at the window's end — and min(100, 100 × categories bought / full
  categories).
- Activity: mean of min(100, 100 × interactions logged / full interactions) and 25 per
  quarter of the window with net sales > 0.
- Business reviews: (mean overall score − 1) / 4 × 100 over the closed reviews due in the
  window. No data without one.
- Satisfaction: mean of (CSAT − 1) / 4 × 100 and (NPS + 100) / 2, of those with answers
  given in the window. No data without answers.
- Service level: mean of the SLA met % (issues resolved in the window, when any) and
  max(0, 100 − 25 × complaints opened in it). No data without any issue.

Score = Σ weight × points / Σ weight over the criteria with data: a criterion without data
is shown as "no data" and its weight goes to the others, never scored 0. Points and score
are rounded half-up to 2 places. The score earns core at or above the model's core
threshold, regular at or above the regular one, potential below."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from channelhub.lib.money import quantize
from partners.choices import Tier

from .choices import Criterion

HUNDRED = Decimal(100)
TIER_ORDER = [Tier.POTENTIAL, Tier.REGULAR, Tier.CORE]


def rank(tier: str) -> int:
    return TIER_ORDER.index(Tier(tier))


@dataclass
class Inputs:
    """A partner's raw figures over the window (from `tiers.engine`)."""

    net: Decimal = Decimal(0)
    net_before: Decimal = Decimal(0)
    quarter_nets: list[Decimal] = field(default_factory=list)
    target: Decimal | None = None
    target_net: Decimal = Decimal(0)  # net sales of the quarters that have a target
    provinces: int = 1
    years: Decimal = Decimal(0)
    categories: int = 0
    interactions: int = 0
    review_total: Decimal = Decimal(0)
    review_count: int = 0
    satisfaction_total: int = 0
    satisfaction_count: int = 0
    promoters: int = 0
    detractors: int = 0
    recommend_count: int = 0
    resolved: int = 0
    sla_met: int = 0
    complaints: int = 0
    issues: int = 0

    @property
    def growth_percent(self) -> Decimal | None:
        if self.net_before <= 0:
            return None
        return (self.net - self.net_before) / self.net_before * HUNDRED

    @property
    def achievement_percent(self) -> Decimal | None:
        if self.target is None or self.target <= 0:
            return None
        return self.target_net / self.target * HUNDRED

    @property
    def active_quarters(self) -> int:
        return sum(1 for amount in self.quarter_nets if amount > 0)

    @property
    def review_average(self) -> Decimal | None:
        return self.review_total / self.review_count if self.review_count else None

    @property
    def csat(self) -> Decimal | None:
        if not self.satisfaction_count:
            return None
        return Decimal(self.satisfaction_total) / self.satisfaction_count

    @property
    def nps(self) -> Decimal | None:
        if not self.recommend_count:
            return None
        return Decimal(100 * (self.promoters - self.detractors)) / self.recommend_count

    @property
    def sla_percent(self) -> Decimal | None:
        return Decimal(100 * self.sla_met) / self.resolved if self.resolved else None


def _share(value: Decimal | int, full: Decimal | int) -> Decimal:
    return min(HUNDRED, HUNDRED * Decimal(value) / Decimal(full)) if value > 0 else Decimal(0)


def _mean(parts: list[Decimal]) -> Decimal | None:
    return sum(parts, Decimal(0)) / len(parts) if parts else None


def points(inputs: Inputs, model: dict[str, Any]) -> dict[str, Decimal | None]:
    """Each criterion's points (None: no data), before rounding."""
    growth = inputs.growth_percent
    achievement = inputs.achievement_percent
    review = inputs.review_average
    satisfaction = [
        part
        for part in (
            None if inputs.csat is None else (inputs.csat - 1) / 4 * HUNDRED,
            None if inputs.nps is None else (inputs.nps + HUNDRED) / 2,
        )
        if part is not None
    ]
    service: list[Decimal] = []
    if inputs.issues or inputs.resolved:
        if inputs.sla_percent is not None:
            service.append(inputs.sla_percent)
        service.append(max(Decimal(0), HUNDRED - 25 * inputs.complaints))
    return {
        Criterion.NET_SALES: _share(inputs.net, Decimal(model["net_sales_full"])),
        Criterion.GROWTH: None if growth is None else min(HUNDRED, max(Decimal(0), 50 + growth)),
        Criterion.TARGET: None
        if achievement is None
        else min(HUNDRED, max(Decimal(0), achievement)),
        Criterion.COVERAGE: _share(inputs.provinces, model["provinces_full"]),
        Criterion.DEPTH: (
            _share(inputs.years, model["years_full"])
            + _share(inputs.categories, model["categories_full"])
        )
        / 2,
        Criterion.ACTIVITY: (
            _share(inputs.interactions, model["interactions_full"])
            + 25 * Decimal(inputs.active_quarters)
        )
        / 2,
        Criterion.REVIEWS: None if review is None else (review - 1) / 4 * HUNDRED,
        Criterion.SATISFACTION: _mean(satisfaction),
        Criterion.SERVICE: _mean(service),
    }


@dataclass
class Result:
    points: dict[str, Decimal | None]
    score: Decimal | None
    earned_tier: str | None
    weights_used: dict[str, Decimal]


def evaluate(inputs: Inputs, model: dict[str, Any]) -> Result:
    """Points, the weighted score with missing criteria's weight redistributed, the tier."""
    raw = points(inputs, model)
    rounded = {key: None if value is None else quantize(value) for key, value in raw.items()}
    weights = model["weights"]
    present = {key: Decimal(weights[key]) for key, value in rounded.items() if value is not None}
    total_weight = sum(present.values(), Decimal(0))
    if not total_weight:
        return Result(rounded, None, None, {})
    score = quantize(
        sum((present[key] * rounded[key] for key in present), Decimal(0)) / total_weight  # type: ignore[operator]
    )
    used = {key: quantize(weight / total_weight * HUNDRED) for key, weight in present.items()}
    return Result(rounded, score, tier_for(score, model), used)


def tier_for(score: Decimal, model: dict[str, Any]) -> str:
    if score >= model["core_min"]:
        return Tier.CORE
    if score >= model["regular_min"]:
        return Tier.REGULAR
    return Tier.POTENTIAL


def years_between(start: date, end: date) -> Decimal:
    return max(Decimal(0), Decimal((end - start).days) / Decimal("365.25"))


# --- What is stored and how it reads ------------------------------------------------------


def stored(inputs: Inputs, result: Result) -> dict[str, Any]:
    """The JSON a PartnerScore keeps: per criterion its points, weight share and inputs."""

    def text(value: Decimal | None, places: str = "0.01") -> str | None:
        return None if value is None else str(quantize(value, Decimal(places)))

    inputs_by_criterion: dict[str, dict[str, Any]] = {
        Criterion.NET_SALES: {"net": text(inputs.net)},
        Criterion.GROWTH: {"net": text(inputs.net), "net_before": text(inputs.net_before),
                           "growth_percent": text(inputs.growth_percent, "0.1")},
        Criterion.TARGET: {"net": text(inputs.target_net), "target": text(inputs.target),
                           "achievement_percent": text(inputs.achievement_percent, "0.1")},
        Criterion.COVERAGE: {"provinces": inputs.provinces},
        Criterion.DEPTH: {"years": text(inputs.years, "0.1"), "categories": inputs.categories},
        Criterion.ACTIVITY: {"interactions": inputs.interactions,
                             "active_quarters": inputs.active_quarters},
        Criterion.REVIEWS: {"average": text(inputs.review_average), "count": inputs.review_count},
        Criterion.SATISFACTION: {"csat": text(inputs.csat), "nps": text(inputs.nps, "0.1"),
                                 "answers": max(inputs.satisfaction_count,
                                                inputs.recommend_count)},
        Criterion.SERVICE: {"sla_percent": text(inputs.sla_percent, "0.1"),
                            "resolved": inputs.resolved, "complaints": inputs.complaints},
    }  # fmt: skip
    return {
        key: {
            "points": text(result.points[key]),
            "weight": text(result.weights_used.get(key)),
            "inputs": inputs_by_criterion[key],
        }
        for key in Criterion.values
    }


AVERAGED = {  # the input each criterion compares with the next tier's average
    Criterion.NET_SALES: "net",
    Criterion.GROWTH: "growth_percent",
    Criterion.TARGET: "achievement_percent",
    Criterion.COVERAGE: "provinces",
    Criterion.DEPTH: "years",
    Criterion.ACTIVITY: "interactions",
    Criterion.REVIEWS: "average",
    Criterion.SATISFACTION: "csat",
    Criterion.SERVICE: "sla_percent",
}


def _money(text: str | None) -> str:
    if text is None:
        return "—"
    amount = Decimal(text)
    if abs(amount) >= 1_000_000:
        return f"{quantize(amount / 1_000_000, Decimal('0.1'))} M"
    if abs(amount) >= 10_000:
        return f"{quantize(amount / 1000, Decimal('0.1'))} k"
    return str(quantize(amount))


def describe_inputs(criterion: str, inputs: dict[str, Any]) -> str:
    """A criterion's inputs in the reader's language."""
    if criterion == Criterion.NET_SALES:
        return _("net sales %(net)s") % {"net": _money(inputs["net"])}
    if criterion == Criterion.GROWTH:
        if inputs["growth_percent"] is None:
            return _("no sales a year earlier")
        return _("%(now)s vs %(before)s: %(growth)s %%") % {
            "now": _money(inputs["net"]), "before": _money(inputs["net_before"]),
            "growth": inputs["growth_percent"],
        }  # fmt: skip
    if criterion == Criterion.TARGET:
        if inputs["target"] is None:
            return _("no target")
        return _("%(net)s of %(target)s: %(percent)s %%") % {
            "net": _money(inputs["net"]), "target": _money(inputs["target"]),
            "percent": inputs["achievement_percent"],
        }  # fmt: skip
    if criterion == Criterion.COVERAGE:
        return _("%(count)s provinces") % {"count": inputs["provinces"]}
    if criterion == Criterion.DEPTH:
        return _("%(years)s years, %(categories)s categories") % inputs
    if criterion == Criterion.ACTIVITY:
        return (
            _("%(interactions)s interactions, sales in %(active_quarters)s of 4 quarters") % inputs
        )
    if criterion == Criterion.REVIEWS:
        if not inputs["count"]:
            return _("no closed review")
        return _("average %(average)s of %(count)s reviews") % inputs
    if criterion == Criterion.SATISFACTION:
        if not inputs["answers"]:
            return _("no survey answers")
        return _("CSAT %(csat)s, NPS %(nps)s") % {
            "csat": inputs["csat"] or "—",
            "nps": inputs["nps"] or "—",
        }
    if not inputs["resolved"] and not inputs["complaints"]:
        return _("SLA met —, %(complaints)s complaints") % inputs
    return _("SLA met %(sla)s %%, %(complaints)s complaints") % {
        "sla": inputs["sla_percent"] or "—",
        "complaints": inputs["complaints"],
    }


def next_tier(tier: str) -> str | None:
    position = rank(tier)
    return TIER_ORDER[position + 1] if position + 1 < len(TIER_ORDER) else None


def missing_for_next_tier(
    criteria: dict[str, Any],
    score: Decimal | None,
    earned: str,
    model: dict[str, Any],
    averages: dict[str, dict[str, Any]],
) -> list[str]:
    """In plain words: the points short of the next tier and the three criteria that cost
    the most, each against what partners in that tier average."""
    target_tier = next_tier(earned)
    if target_tier is None or score is None:
        return []
    threshold = Decimal(model["core_min" if target_tier == Tier.CORE else "regular_min"])
    label = str(Tier(target_tier).label)
    lines = [_("%(points)s points short of %(tier)s (%(threshold)s)") % {
        "points": quantize(threshold - score), "tier": label, "threshold": threshold,
    }]  # fmt: skip
    gaps = []
    for key, entry in criteria.items():
        if entry["points"] is None or entry["weight"] is None:
            continue
        shortfall = Decimal(entry["weight"]) * (HUNDRED - Decimal(entry["points"]))
        if shortfall > 0:
            gaps.append((shortfall, key, entry))
    behind = []
    for shortfall, key, entry in sorted(gaps, key=lambda gap: gap[0], reverse=True):
        average = averages.get(target_tier, {}).get(AVERAGED[Criterion(key)])
        mine = entry["inputs"].get(AVERAGED[Criterion(key)])
        if average is not None and mine is not None and Decimal(mine) >= Decimal(average):
            continue  # already at the next tier's average: not what holds it back
        behind.append((shortfall, key, entry, average, mine))
    for _shortfall, key, entry, average, mine in behind[:3]:
        if key == Criterion.NET_SALES and average is not None:
            lines.append(
                _("net sales %(mine)s of the %(average)s a %(tier)s partner averages")
                % {"mine": _money(mine), "average": _money(average), "tier": label}
            )
        elif average is not None:
            lines.append(
                _("%(criterion)s: %(inputs)s (%(tier)s partners average %(average)s)")
                % {
                    "criterion": Criterion(key).label,
                    "inputs": describe_inputs(key, entry["inputs"]),
                    "tier": label,
                    "average": average,
                }
            )
        else:
            lines.append(_("%(criterion)s: %(inputs)s") % {
                "criterion": Criterion(key).label, "inputs": describe_inputs(key, entry["inputs"]),
            })  # fmt: skip
    return lines
