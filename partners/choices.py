from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerType(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    RESELLER = "reseller", _("Reseller")
    AGENT = "agent", _("Agent")
    RETAILER = "retailer", _("Retailer")
    SERVICE_PARTNER = "service_partner", _("Service partner")


class Tier(models.TextChoices):
    """In order, best first (product.md §3)."""

    CORE = "core", _("Core")
    REGULAR = "regular", _("Regular")
    POTENTIAL = "potential", _("Potential")


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class TerminationReason(models.TextChoices):
    POACHED_BY_COMPETITOR = "poached", _("Poached by a competitor")
    PERFORMANCE = "performance", _("Performance")
    COMPLIANCE = "compliance", _("Compliance")
    PARTNER_EXIT = "partner_exit", _("Partner exit")
    OTHER = "other", _("Other")


class RevenueBand(models.TextChoices):
    UNDER_1M = "lt_1m", _("Under 1 M CNY")
    FROM_1M_TO_5M = "1m_5m", _("1–5 M CNY")
    FROM_5M_TO_20M = "5m_20m", _("5–20 M CNY")
    FROM_20M_TO_100M = "20m_100m", _("20–100 M CNY")
    OVER_100M = "gt_100m", _("Over 100 M CNY")


class Province(models.TextChoices):
    """The 31 mainland provinces, Hong Kong, Macao, Taiwan and overseas (ISO 3166-2:CN codes)."""

    BEIJING = "BJ", _("Beijing")
    TIANJIN = "TJ", _("Tianjin")
    HEBEI = "HE", _("Hebei")
    SHANXI = "SX", _("Shanxi")
    INNER_MONGOLIA = "NM", _("Inner Mongolia")
    LIAONING = "LN", _("Liaoning")
    JILIN = "JL", _("Jilin")
    HEILONGJIANG = "HL", _("Heilongjiang")
    SHANGHAI = "SH", _("Shanghai")
    JIANGSU = "JS", _("Jiangsu")
    ZHEJIANG = "ZJ", _("Zhejiang")
    ANHUI = "AH", _("Anhui")
    FUJIAN = "FJ", _("Fujian")
    JIANGXI = "JX", _("Jiangxi")
    SHANDONG = "SD", _("Shandong")
    HENAN = "HA", _("Henan")
    HUBEI = "HB", _("Hubei")
    HUNAN = "HN", _("Hunan")
    GUANGDONG = "GD", _("Guangdong")
    GUANGXI = "GX", _("Guangxi")
    HAINAN = "HI", _("Hainan")
    CHONGQING = "CQ", _("Chongqing")
    SICHUAN = "SC", _("Sichuan")
    GUIZHOU = "GZ", _("Guizhou")
    YUNNAN = "YN", _("Yunnan")
    TIBET = "XZ", _("Tibet")
    SHAANXI = "SN", _("Shaanxi")
    GANSU = "GS", _("Gansu")
    QINGHAI = "QH", _("Qinghai")
    NINGXIA = "NX", _("Ningxia")
    XINJIANG = "XJ", _("Xinjiang")
    HONG_KONG = "HK", _("Hong Kong")
    MACAO = "MO", _("Macao")
    TAIWAN = "TW", _("Taiwan")
    OVERSEAS = "OS", _("Overseas")


class TimelineKind(models.TextChoices):
    """What a timeline entry records. Later apps add their own kinds here."""

    CREATED = "created", _("Created")
    IMPORTED = "imported", _("Imported")
    UPDATED = "updated", _("Updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    TIER_CHANGED = "tier_changed", _("Tier changed")
    OWNER_CHANGED = "owner_changed", _("Owner changed")
    CONTACT_ADDED = "contact_added", _("Contact added")
    CONTACT_CHANGED = "contact_changed", _("Contact changed")
    CONTACT_REMOVED = "contact_removed", _("Contact removed")
    INTERACTION_LOGGED = "interaction_logged", _("Interaction")
    REVIEW_SCHEDULED = "review_scheduled", _("Business review scheduled")
    REVIEW_HELD = "review_held", _("Business review held")
    REVIEW_CLOSED = "review_closed", _("Business review closed")
    REVIEW_CANCELLED = "review_cancelled", _("Business review cancelled")
    REVIEW_ACTION_ADDED = "review_action_added", _("Action item agreed")
    REVIEW_ACTION_CLOSED = "review_action_closed", _("Action item closed")
    SURVEY_SENT = "survey_sent", _("Satisfaction survey sent")
    SURVEY_ANSWERED = "survey_answered", _("Satisfaction survey answered")
    ISSUE_OPENED = "issue_opened", _("Issue opened")
    ISSUE_RESOLVED = "issue_resolved", _("Issue resolved")
    ISSUE_CLOSED = "issue_closed", _("Issue closed")
    ISSUE_REOPENED = "issue_reopened", _("Issue reopened")
    ARTICLE_WRITTEN = "article_written", _("Knowledge article written")
