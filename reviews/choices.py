from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ReviewFormat(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Dimension(models.TextChoices):
    """The four dimensions of the scorecard; each is a `<value>_score` (1–5) and a
    `<value>_comment` field on the review and a weight in `ScorecardWeights`."""

    SALES = "sales", _("Sales performance")
    SERVICE = "service", _("Service level")
    MARKET = "market", _("Market feedback")
    SATISFACTION = "satisfaction", _("Partner satisfaction")
