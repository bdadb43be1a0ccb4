"""The roles of product.md §1, as Django groups, and the permissions each one holds.

The data migrations call `sync_role_permissions` so the groups in every database match this
table; a later app adds its permissions here and ships a migration that calls it again.
"""

from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    CHANNEL_SPECIALIST = "channel_specialist", _("Channel specialist")
    SUPPORT = "support", _("Support")
    SALES_VP = "sales_vp", _("Sales VP")
    PARTNER_USER = "partner_user", _("Partner user")


# Roles that see every partner (read-only for support); the others see only their portfolio.
ROLES_SEEING_ALL_PARTNERS = frozenset({Role.SALES_VP, Role.SUPPORT})

SALES_READ = [
    "sales.view_category",
    "sales.view_product",
    "sales.view_salesline",
    "sales.view_salestarget",
]

MAINTENANCE_READ = [
    "maintenance.view_interaction",
    "maintenance.view_maintenancetask",
    "maintenance.view_tierpolicy",
]
MAINTENANCE_WORK = [
    *MAINTENANCE_READ,
    "maintenance.add_interaction",
    "maintenance.add_maintenancetask",
    "maintenance.change_maintenancetask",
]

REVIEWS_READ = [
    "reviews.view_businessreview",
    "reviews.view_reviewaction",
    "reviews.view_scorecardweights",
]
REVIEWS_WORK = [
    *REVIEWS_READ,
    "reviews.add_businessreview",
    "reviews.change_businessreview",
    "reviews.add_reviewaction",
    "reviews.change_reviewaction",
]

SURVEYS_READ = [
    "surveys.view_survey",
    "surveys.view_surveyresponse",
    "surveys.view_surveysettings",
    "surveys.view_surveyquestion",
]

SUPPORT_WORK = [
    "support.view_partnerissue",
    "support.add_partnerissue",
    "support.change_partnerissue",
    "support.view_article",
    "support.add_article",
    "support.change_article",
]

REBATES_READ = [
    "incentives.view_rebateprogram",
    "incentives.view_rebaterun",
    "incentives.view_rebatestatement",
]

TIERS_READ = [
    "tiers.view_scoringmodel",
    "tiers.view_evaluationrun",
    "tiers.view_partnerscore",
    "tiers.view_tierproposal",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CHANNEL_MANAGER: [
        "partners.view_partner",
        "partners.add_partner",
        "partners.change_partner",
        "partners.terminate_partner",
        "partners.assign_partner_specialists",
        "partners.import_partner",
        "partners.export_partner",
        "partners.view_contact",
        "partners.add_contact",
        "partners.change_contact",
        "partners.delete_contact",
        "partners.view_tag",
        "partners.add_tag",
        *SALES_READ,
        # Targets of the partners they own (the owner check is in sales.services).
        "sales.add_salestarget",
        "sales.change_salestarget",
        *MAINTENANCE_WORK,
        *REVIEWS_WORK,
        *SURVEYS_READ,
        *SUPPORT_WORK,
        *TIERS_READ,
        *REBATES_READ,
    ],
    Role.CHANNEL_SPECIALIST: [
        "partners.view_partner",
        "partners.change_partner",
        "partners.export_partner",
        "partners.view_contact",
        "partners.add_contact",
        "partners.change_contact",
        "partners.delete_contact",
        "partners.view_tag",
        *SALES_READ,
        *MAINTENANCE_WORK,
        *REVIEWS_WORK,
        *SURVEYS_READ,
        *SUPPORT_WORK,
        *TIERS_READ,
        *REBATES_READ,
    ],
    Role.SUPPORT: [
        "partners.view_partner",
        "partners.view_contact",
        "partners.view_tag",
        *SALES_READ,
        *MAINTENANCE_READ,
        *REVIEWS_READ,
        *SURVEYS_READ,
        *SUPPORT_WORK,
    ],
    Role.SALES_VP: [
        "partners.view_partner",
        "partners.add_partner",
        "partners.change_partner",
        "partners.terminate_partner",
        "partners.change_partner_tier",
        "partners.assign_partner_owner",
        "partners.assign_partner_specialists",
        "partners.import_partner",
        "partners.export_partner",
        "partners.view_contact",
        "partners.add_contact",
        "partners.change_contact",
        "partners.delete_contact",
        "partners.view_tag",
        "partners.add_tag",
        "partners.change_tag",
        "partners.delete_tag",
        *SALES_READ,
        "sales.add_category",
        "sales.change_category",
        "sales.add_product",
        "sales.change_product",
        "sales.import_salesline",
        "sales.view_salesimport",
        "sales.add_salestarget",
        "sales.change_salestarget",
        *MAINTENANCE_WORK,
        "maintenance.change_tierpolicy",
        *REVIEWS_WORK,
        "reviews.plan_quarter",
        "reviews.change_scorecardweights",
        *SURVEYS_READ,
        "surveys.change_survey",
        "surveys.change_surveysettings",
        "surveys.add_surveyquestion",
        "surveys.change_surveyquestion",
        *SUPPORT_WORK,
        "support.delete_article",
        *TIERS_READ,
        "tiers.change_scoringmodel",
        "tiers.run_evaluation",
        "tiers.decide_tierproposal",
        *REBATES_READ,
        "incentives.add_rebateprogram",
        "incentives.change_rebateprogram",
        "incentives.approve_rebateprogram",
        "incentives.run_rebates",
        "incentives.approve_rebatestatement",
        "incentives.add_payout",
        "reminders.view_team",
        "reminders.add_team",
        "reminders.change_team",
        "dashboards.view_tier_dashboard",
        "dashboards.view_team_dashboard",
        "dashboards.view_dashboardsettings",
        "dashboards.change_dashboardsettings",
    ],
    Role.PARTNER_USER: [],
}


def _assign_permissions(group_model: Any, permission_model: Any, *, strict: bool) -> None:
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and strict:
                raise LookupError(f"No permission {dotted}: fix ROLE_PERMISSIONS")
            if found is not None:
                permissions.append(found)
        group.permissions.set(permissions)


def sync_role_permissions(apps: Any, schema_editor: Any) -> None:
    """Data-migration body: create the role groups and give each exactly its permissions.
    A permission whose app is not migrated yet is left out; that app's own migration calls
    this again."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    _assign_permissions(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), strict=False
    )


def ensure_role_groups() -> None:
    """The same, on the live models: restores the groups after a database flush (tests) or
    after someone deleted one by hand."""
    from django.contrib.auth.models import Group, Permission

    _assign_permissions(Group, Permission, strict=True)
