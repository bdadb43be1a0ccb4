"""Partner import: a file of one row per contact (partner columns repeated or left empty on
a partner's later rows) becomes a validated plan, or a list of row-by-row errors.

Nothing is written here; `services.import_partners` writes a plan all-or-nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from channelhub.lib.tabular import FORMULA_PREFIXES

from .choices import PartnerType, Province, RevenueBand, Tier
from .models import Partner
from .services import ContactData, NewPartner, default_owner

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    partner_field: bool = True


COLUMNS = [
    Column("code", gettext_lazy("Partner code")),
    Column("legal_name", gettext_lazy("Legal name")),
    Column("short_name", gettext_lazy("Short name")),
    Column("partner_type", gettext_lazy("Partner type")),
    Column("tier", gettext_lazy("Tier")),
    Column("province", gettext_lazy("Province")),
    Column("city", gettext_lazy("City")),
    Column("coverage", gettext_lazy("Coverage")),
    Column("revenue_band", gettext_lazy("Annual revenue")),
    Column("headcount", gettext_lazy("Headcount")),
    Column("cooperation_start_date", gettext_lazy("Cooperation start date")),
    Column("contract_end_date", gettext_lazy("Contract end date")),
    Column("owner", gettext_lazy("Owner (username)")),
    Column("tags", gettext_lazy("Tags")),
    Column("notes", gettext_lazy("Notes")),
    Column("contact_name", gettext_lazy("Contact name"), partner_field=False),
    Column("contact_title", gettext_lazy("Contact title"), partner_field=False),
    Column("contact_phone", gettext_lazy("Contact phone"), partner_field=False),
    Column("contact_email", gettext_lazy("Contact email"), partner_field=False),
    Column("contact_birthday", gettext_lazy("Contact birthday"), partner_field=False),
    Column("contact_is_primary", gettext_lazy("Primary contact"), partner_field=False),
]
# Exported for reading, skipped on import (an imported partner starts active).
EXPORT_ONLY_COLUMNS = [Column("status", gettext_lazy("Status"))]
COLUMNS_BY_KEY = {column.key: column for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS)}
REQUIRED_PARTNER_COLUMNS = ("legal_name", "partner_type", "province")
LIST_SEPARATORS = re.compile(r"[;,，；、|/]+")
MAX_WHOLE_NUMBER = 2_147_483_647  # the database's integer column
TRUE_WORDS = {"1", "y", "yes", "true", "是", "主要", "√", "x"}
FALSE_WORDS = {"", "0", "n", "no", "false", "否"}
PROVINCE_SUFFIXES = ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportPlan:
    partners: list[NewPartner] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0

    @property
    def contact_count(self) -> int:
        return sum(len(partner.contacts) for partner in self.partners)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.partners)


def _normalise_header(text: Any) -> str:
    return re.sub(r"[\s_*（）()]+", "", str(text or "")).lower()


def _header_lookup() -> dict[str, str]:
    """Header text → column key, for the key itself and its English and Chinese labels."""
    lookup = {}
    for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS):
        lookup[_normalise_header(column.key)] = column.key
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup[_normalise_header(str(column.label))] = column.key
    return lookup


def _choice_lookup(choices: type[TextChoices], *, strip: Iterable[str] = ()) -> dict[str, str]:
    """Value, English label and Chinese label (lower-cased) → stored value."""
    lookup = {}
    for value, label in choices.choices:
        names = {value, str(label)}
        with translation.override("zh-hans"):
            names.add(str(choices(value).label))
        with translation.override("en"):
            names.add(str(choices(value).label))
        for name in names:
            lookup[name.lower()] = value
    return lookup


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        # Our own exports protect formula-like text with a leading quote; take it off again.
        if len(value) > 1 and value[0] == "'" and value[1:2] in FORMULA_PREFIXES:
            value = value[1:]
    return value


class _RowReader:
    """Turns one raw row into typed values, collecting (column, message) errors."""

    def __init__(self, plan: ImportPlan, row_number: int, cells: dict[str, Any]):
        self.plan, self.row_number, self.cells = plan, row_number, cells

    def error(self, key: str, message: str) -> None:
        self.plan.errors.append(RowError(self.row_number, str(COLUMNS_BY_KEY[key].label), message))

    def text(self, key: str, *, max_length: int, required: bool = False) -> str:
        value = self.cells.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(key, _("This field is required."))
        elif len(text) > max_length:
            self.error(key, _("At most %(n)d characters.") % {"n": max_length})
        return text

    def choice(self, key: str, lookup: dict[str, str], *, required: bool = False) -> str:
        text = self.text(key, max_length=100, required=required)
        if not text:
            return ""
        value = lookup.get(text.lower())
        if value is None:
            self.error(key, _("“%(value)s” is not a valid choice.") % {"value": text})
            return ""
        return value

    def province(self, key: str, lookup: dict[str, str], text: str) -> str | None:
        candidate = text.lower()
        for suffix in PROVINCE_SUFFIXES:
            if candidate.endswith(suffix) and candidate[: -len(suffix)] in lookup:
                candidate = candidate[: -len(suffix)]
                break
        value = lookup.get(candidate)
        if value is None:
            self.error(key, _("“%(value)s” is not a known province.") % {"value": text})
        return value

    def date(self, key: str) -> date | None:
        value = self.cells.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
            try:
                return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
            except ValueError:
                continue
        self.error(key, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": text})
        return None

    def positive_integer(self, key: str) -> int | None:
        text = self.text(key, max_length=20)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal(-1)
        if (
            not number.is_finite()
            or number < 0
            or number > MAX_WHOLE_NUMBER
            or number != number.to_integral_value()
        ):
            self.error(key, _("“%(value)s” is not a whole number ≥ 0.") % {"value": text})
            return None
        return int(number)

    def boolean(self, key: str) -> bool:
        text = self.text(key, max_length=10).lower()
        if text in TRUE_WORDS:
            return True
        if text not in FALSE_WORDS:
            self.error(key, _("Use yes or no."))
        return False


class PartnerImportValidator:
    """Builds an ImportPlan from raw rows (header first), checking everything that can be
    checked before writing: formats, choices, uniqueness in the file and in the database,
    and what the importing user may set."""

    def __init__(self, importer: User):
        self.importer = importer
        self.can_assign_owner = importer.has_perm("partners.assign_partner_owner")
        self.can_set_tier = importer.has_perm("partners.change_partner_tier")
        self.types = _choice_lookup(PartnerType)
        self.tiers = _choice_lookup(Tier)
        self.bands = _choice_lookup(RevenueBand)
        self.provinces = _choice_lookup(Province)

    def validate(self, rows: list[list[Any]]) -> ImportPlan:
        plan = ImportPlan()
        if not rows:
            plan.errors.append(RowError(1, "", _("The file has no header row.")))
            return plan
        keys = self._map_header(rows[0], plan)
        if plan.errors:
            return plan
        by_identity: dict[str, tuple[NewPartner | None, int]] = {}
        for offset, raw in enumerate(rows[1:], start=2):
            cells = {key: _clean_cell(value) for key, value in zip(keys, raw, strict=False) if key}
            if all(value in (None, "") for value in cells.values()):
                continue
            plan.row_count += 1
            self._read_row(plan, offset, cells, by_identity)
        if not plan.row_count:
            plan.errors.append(RowError(1, "", _("The file has no data rows.")))
        self._check_database_uniqueness(plan, by_identity)
        return plan

    def _map_header(self, header: list[Any], plan: ImportPlan) -> list[str | None]:
        lookup = _header_lookup()
        keys: list[str | None] = []
        for title in header:
            key = lookup.get(_normalise_header(title))
            if title not in (None, "") and key is None:
                plan.errors.append(
                    RowError(1, str(title), _("Unknown column “%(title)s”.") % {"title": title})
                )
            keys.append(key)
        for required in (*REQUIRED_PARTNER_COLUMNS, "contact_name"):
            if required not in keys:
                plan.errors.append(
                    RowError(1, str(COLUMNS_BY_KEY[required].label), _("This column is missing."))
                )
        return keys

    def _read_row(
        self,
        plan: ImportPlan,
        row_number: int,
        cells: dict[str, Any],
        by_identity: dict[str, tuple[NewPartner | None, int]],
    ) -> None:
        reader = _RowReader(plan, row_number, cells)
        code = reader.text("code", max_length=30)
        legal_name = reader.text("legal_name", max_length=200)
        identity = f"code:{code}" if code else f"name:{legal_name}"
        earlier = by_identity.get(identity)
        if earlier is None:
            new_partner = self._read_partner(reader, code, legal_name)
            # Remembered even when invalid, so its later rows are read as its contacts.
            by_identity[identity] = (new_partner, row_number)
            if new_partner is None:
                self._read_contact(reader)
                return
            if legal_name and f"name:{legal_name}" != identity:
                if f"name:{legal_name}" in by_identity:
                    reader.error("legal_name", _("Another partner in the file has this name."))
                by_identity[f"name:{legal_name}"] = (new_partner, row_number)
            plan.partners.append(new_partner)
        else:
            new_partner, first_row = earlier
            if new_partner is None:  # its first row has errors already reported
                self._read_contact(reader)
                return
            if legal_name and legal_name != new_partner.fields["legal_name"]:
                reader.error(
                    "legal_name",
                    _("Row %(row)d has the same code with another name.") % {"row": first_row},
                )
        contact = self._read_contact(reader)
        if contact:
            new_partner.contacts.append(contact)

    def _read_partner(self, reader: _RowReader, code: str, legal_name: str) -> NewPartner | None:
        errors_before = len(reader.plan.errors)
        if not legal_name:
            reader.error("legal_name", _("This field is required."))
        fields: dict[str, Any] = {
            "code": code,
            "legal_name": legal_name,
            "short_name": reader.text("short_name", max_length=60),
            "partner_type": reader.choice("partner_type", self.types, required=True),
            "city": reader.text("city", max_length=60),
            "revenue_band": reader.choice("revenue_band", self.bands),
            "headcount": reader.positive_integer("headcount"),
            "notes": reader.text("notes", max_length=5000),
        }
        province_text = reader.text("province", max_length=30, required=True)
        fields["province"] = (
            reader.province("province", self.provinces, province_text) or ""
            if province_text
            else ""
        )
        coverage_text = reader.text("coverage", max_length=500)
        coverage = [
            reader.province("coverage", self.provinces, part.strip())
            for part in LIST_SEPARATORS.split(coverage_text)
            if part.strip()
        ]
        fields["coverage"] = sorted({value for value in coverage if value})
        start = reader.date("cooperation_start_date")
        end = reader.date("contract_end_date")
        if start:
            fields["cooperation_start_date"] = start
        fields["contract_end_date"] = end
        if end and end < (start or timezone.localdate()):
            reader.error(
                "contract_end_date", _("The contract cannot end before the cooperation starts.")
            )
        tier = reader.choice("tier", self.tiers)
        if tier and not self.can_set_tier and tier != Tier.POTENTIAL:
            reader.error("tier", _("Only a sales VP can set a tier other than potential."))
        fields["tier"] = tier or Tier.POTENTIAL
        fields["owner"] = self._read_owner(reader)
        tag_names = [
            part.strip()[:50]
            for part in LIST_SEPARATORS.split(reader.text("tags", max_length=500))
            if part.strip()
        ]
        if len(reader.plan.errors) > errors_before:
            return None
        return NewPartner(fields=fields, tag_names=sorted(set(tag_names)))

    def _read_owner(self, reader: _RowReader) -> Any:
        username = reader.text("owner", max_length=150)
        if not username or username == self.importer.username:
            return default_owner(self.importer)
        if not self.can_assign_owner:
            reader.error("owner", _("You can only import partners that you own."))
            return None
        owner = (
            get_user_model()
            .objects.filter(username=username, is_active=True, groups__name=Role.CHANNEL_MANAGER)
            .first()
        )
        if owner is None:
            reader.error(
                "owner", _("“%(value)s” is not an active channel manager.") % {"value": username}
            )
        return owner

    def _read_contact(self, reader: _RowReader) -> ContactData | None:
        name = reader.text("contact_name", max_length=100)
        details = {
            key: reader.cells.get(key)
            for key in ("contact_title", "contact_phone", "contact_email", "contact_birthday")
        }
        if not name:
            if any(value not in (None, "") for value in details.values()):
                reader.error("contact_name", _("A contact needs a name."))
            return None
        email = reader.text("contact_email", max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                reader.error(
                    "contact_email", _("“%(value)s” is not an email address.") % {"value": email}
                )
        return ContactData(
            name=name,
            title=reader.text("contact_title", max_length=100),
            phone=reader.text("contact_phone", max_length=30),
            email=email,
            birthday=reader.date("contact_birthday"),
            is_primary=reader.boolean("contact_is_primary"),
        )

    def _check_database_uniqueness(
        self, plan: ImportPlan, by_identity: dict[str, tuple[NewPartner | None, int]]
    ) -> None:
        first_rows = {id(partner): row for partner, row in by_identity.values() if partner}
        codes = {p.fields["code"]: p for p in plan.partners if p.fields["code"]}
        names = {p.fields["legal_name"]: p for p in plan.partners}
        for code in Partner.objects.filter(code__in=list(codes)).values_list("code", flat=True):
            plan.errors.append(
                RowError(
                    first_rows[id(codes[code])],
                    str(COLUMNS_BY_KEY["code"].label),
                    _("A partner with code %(code)s already exists.") % {"code": code},
                )
            )
        existing_names = Partner.objects.filter(legal_name__in=list(names)).values_list(
            "legal_name", flat=True
        )
        for name in existing_names:
            plan.errors.append(
                RowError(
                    first_rows[id(names[name])],
                    str(COLUMNS_BY_KEY["legal_name"].label),
                    _("A partner named %(name)s already exists.") % {"name": name},
                )
            )
        for partner in plan.partners:
            primaries = sum(contact.is_primary for contact in partner.contacts)
            if primaries > 1:
                plan.errors.append(
                    RowError(
                        first_rows[id(partner)],
                        str(COLUMNS_BY_KEY["contact_is_primary"].label),
                        _("%(name)s has more than one primary contact.")
                        % {"name": partner.fields["legal_name"]},
                    )
                )
        plan.errors.sort(key=lambda error: error.row)
