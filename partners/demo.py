"""Realistic, deterministic demo data: users for every role and partners with contacts."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from faker import Faker

from accounts.models import User
from accounts.roles import Role
from channelhub.lib.bulk import analyze

from .choices import PartnerStatus, PartnerType, RevenueBand, TerminationReason, Tier, TimelineKind
from .models import Contact, Partner, PartnerEvent
from .services import ContactData, NewPartner, create_partners_in_bulk

DEMO_PASSWORD = "demo12345"
DEMO_USERS = [
    # username, display name, role (None: superuser)
    ("admin", "系统管理员", None),
    ("vp", "王总监", Role.SALES_VP),
    ("manager1", "李经理", Role.CHANNEL_MANAGER),
    ("manager2", "张经理", Role.CHANNEL_MANAGER),
    ("manager3", "陈经理", Role.CHANNEL_MANAGER),
    ("manager4", "刘经理", Role.CHANNEL_MANAGER),
    ("manager5", "赵经理", Role.CHANNEL_MANAGER),
    ("specialist1", "周专员", Role.CHANNEL_SPECIALIST),
    ("specialist2", "吴专员", Role.CHANNEL_SPECIALIST),
    ("specialist3", "郑专员", Role.CHANNEL_SPECIALIST),
    ("support1", "孙工", Role.SUPPORT),
    ("partner1", "渠道商用户", Role.PARTNER_USER),
]

CITIES = {
    "BJ": ["北京"],
    "TJ": ["天津"],
    "HE": ["石家庄", "唐山", "保定"],
    "SX": ["太原", "大同"],
    "NM": ["呼和浩特", "包头"],
    "LN": ["沈阳", "大连"],
    "JL": ["长春", "吉林"],
    "HL": ["哈尔滨", "大庆"],
    "SH": ["上海"],
    "JS": ["南京", "苏州", "无锡", "常州"],
    "ZJ": ["杭州", "宁波", "温州", "嘉兴"],
    "AH": ["合肥", "芜湖"],
    "FJ": ["福州", "厦门", "泉州"],
    "JX": ["南昌", "赣州"],
    "SD": ["济南", "青岛", "烟台"],
    "HA": ["郑州", "洛阳"],
    "HB": ["武汉", "宜昌"],
    "HN": ["长沙", "株洲"],
    "GD": ["广州", "深圳", "东莞", "佛山"],
    "GX": ["南宁", "柳州"],
    "HI": ["海口", "三亚"],
    "CQ": ["重庆"],
    "SC": ["成都", "绵阳"],
    "GZ": ["贵阳", "遵义"],
    "YN": ["昆明", "大理"],
    "XZ": ["拉萨"],
    "SN": ["西安", "宝鸡"],
    "GS": ["兰州"],
    "QH": ["西宁"],
    "NX": ["银川"],
    "XJ": ["乌鲁木齐"],
    "HK": ["香港"],
    "MO": ["澳门"],
    "TW": ["台北"],
    "OS": ["新加坡", "吉隆坡", "迪拜"],
}
# Rough weights: the channel is densest where the economy is.
PROVINCE_WEIGHTS = dict.fromkeys(CITIES, 1) | {
    "GD": 12,
    "JS": 10,
    "ZJ": 10,
    "SH": 8,
    "BJ": 7,
    "SD": 7,
    "SC": 5,
    "HB": 4,
    "FJ": 4,
    "HA": 4,
    "HN": 4,
    "AH": 3,
    "CQ": 3,
    "SN": 3,
    "HE": 3,
    "LN": 3,
}
INDUSTRIES = ["商贸", "科技", "电子", "贸易", "实业", "供应链", "信息技术", "医疗器械", "智能设备"]
SUFFIXES = ["有限公司", "有限公司", "股份有限公司"]
TITLES = ["总经理", "销售总监", "采购经理", "财务经理", "市场经理", "技术负责人", "运营主管"]
TAGS = ["重点培育", "新签约", "线上渠道", "政企客户", "教育行业", "医疗行业", "需扶持", "竞品接触"]
TIER_WEIGHTS = {Tier.CORE: 5, Tier.REGULAR: 35, Tier.POTENTIAL: 60}


@dataclass
class SeedResult:
    users_created: int
    partners_created: int
    partners_skipped: int


def ensure_demo_users() -> tuple[dict[str, User], int]:
    """Create the demo users once; existing ones are left as they are."""
    users, created_count = {}, 0
    password = make_password(DEMO_PASSWORD)  # one slow hash for all of them
    for username, display_name, role in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=display_name,
                email=f"{username}@channelhub.local",
                is_staff=role is None,
                is_superuser=role is None,
            )
            user.password = password
            user.save()
            if role:
                user.groups.add(Group.objects.get(name=role))
            created_count += 1
        users[username] = user
    return users, created_count


def demo_code(seed: int, index: int) -> str:
    return f"D{seed}-{index:06d}"


def _partners(
    seed: int,
    count: int,
    managers: list[User],
    specialists: list[User],
    today: date,
    taken_names: set[str] | None = None,
) -> Iterator[NewPartner]:
    """Partners 1…count of a seed. `taken_names` are legal names already used by other
    partners (another seed's, or real ones), which the generator steers around."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    provinces = list(PROVINCE_WEIGHTS)
    province_weights = list(PROVINCE_WEIGHTS.values())
    used_names: set[str] = set(taken_names or ())
    for index in range(1, count + 1):
        province = rng.choices(provinces, province_weights)[0]
        city = rng.choice(CITIES[province])
        brand = fake.company_prefix()
        name = f"{city}{brand}{rng.choice(INDUSTRIES)}{rng.choice(SUFFIXES)}"
        while name in used_names:
            branch = rng.randint(2, 999)
            name = f"{city}{brand}{rng.choice(INDUSTRIES)}（{branch}）{rng.choice(SUFFIXES)}"
        used_names.add(name)
        start = today - timedelta(days=rng.randint(30, 11 * 365))
        status = rng.choices(list(PartnerStatus), [92, 5, 3])[0]
        fields: dict[str, Any] = {
            "code": demo_code(seed, index),
            "legal_name": name,
            "short_name": f"{brand}{city}"[:60],
            "partner_type": rng.choices(list(PartnerType), [30, 35, 15, 12, 8])[0],
            "tier": rng.choices(list(TIER_WEIGHTS), list(TIER_WEIGHTS.values()))[0],
            "province": province,
            "city": city,
            "coverage": sorted({province, *rng.sample(provinces, rng.randint(0, 3))}),
            "revenue_band": rng.choice(list(RevenueBand)),
            "headcount": rng.randint(5, 800),
            "cooperation_start_date": start,
            "contract_end_date": today + timedelta(days=rng.randint(-200, 900)),
            "owner": managers[index % len(managers)],
            "status": status,
            "notes": "",
        }
        if fields["contract_end_date"] < start:
            fields["contract_end_date"] = start + timedelta(days=365)
        if status == PartnerStatus.TERMINATED:
            fields["terminated_on"] = today - timedelta(days=rng.randint(1, 400))
            fields["termination_reason"] = rng.choice(list(TerminationReason))
            if fields["terminated_on"] < start:
                fields["terminated_on"] = start
        contacts = [
            ContactData(
                name=fake.name(),
                title=rng.choice(TITLES),
                phone=fake.phone_number(),
                email=f"c{index}.{number}@example.cn",
                birthday=(
                    date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.6
                    else None
                ),
                is_primary=number == 0,
            )
            for number in range(rng.choices([1, 2, 3], [40, 40, 20])[0])
        ]
        yield NewPartner(
            fields=fields,
            contacts=contacts,
            tag_names=rng.sample(TAGS, rng.choices([0, 1, 2], [50, 35, 15])[0]),
            specialist_ids=(
                [specialists[index % len(specialists)].pk] if rng.random() < 0.4 else []
            ),
        )


def seed_demo(
    *,
    partners: int,
    seed: int,
    today: date,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create the demo users and `partners` partners. Idempotent: partners whose demo code
    already exists are skipped, so running it again creates nothing."""
    users, users_created = ensure_demo_users()
    managers = [user for name, user in users.items() if name.startswith("manager")]
    specialists = [user for name, user in users.items() if name.startswith("specialist")]
    existing = set(
        Partner.objects.filter(code__startswith=f"D{seed}-").values_list("code", flat=True)
    )
    taken_names = set(
        Partner.objects.exclude(code__startswith=f"D{seed}-").values_list("legal_name", flat=True)
    )
    batch: list[NewPartner] = []
    created = skipped = 0
    for new_partner in _partners(seed, partners, managers, specialists, today, taken_names):
        if new_partner.fields["code"] in existing:
            skipped += 1
            continue
        batch.append(new_partner)
        if len(batch) >= batch_size:
            created += _write(batch, users["admin"])
            batch = []
            if progress:
                progress(created)
    created += _write(batch, users["admin"])
    analyze(Partner, Contact, PartnerEvent)
    return SeedResult(users_created, created, skipped)


def _write(batch: list[NewPartner], actor: User) -> int:
    with transaction.atomic():
        return len(
            create_partners_in_bulk(
                batch,
                created_by=actor,
                event_kind=TimelineKind.CREATED,
                plan_maintenance=False,  # planned from the demo interactions, or nightly
            )
        )
