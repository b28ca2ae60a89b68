"""A believable demo portfolio, loaded through the same service functions the API uses.

Everything is fixed data, so two loads on the same day give the same portfolio; dates are counted
back (or forward) from today, because memberships cannot start in the future.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.trail import attach_principal
from api.core.access import Principal, Role
from api.people.models import JobFamily, Person
from api.people.schemas import PersonCreate
from api.people.service import create_person
from api.products.models import STAGE_ORDER, DataClassification, Product, Stage
from api.products.schemas import ProductCreate, ProductUpdate
from api.products.service import create_product, update_product
from api.teams.health.exceptions import grant_exception
from api.teams.health.schemas import SizeExceptionCreate
from api.teams.models import Team, TeamRole, today
from api.teams.schemas import MembershipCreate, TeamCreate
from api.teams.service import add_member, create_team, end_member

DEMO_PRINCIPAL = Principal(name="demo-loader", role=Role.ADMIN)

# (name, job family, home org); the email is derived from the name.
_PEOPLE: tuple[tuple[str, JobFamily, str], ...] = (
    ("Amara Okafor", JobFamily.ENGINEERING, "payments"),
    ("Lucas Ferreira", JobFamily.ENGINEERING, "payments"),
    ("Priya Raman", JobFamily.PRODUCT, "payments"),
    ("Tomasz Nowak", JobFamily.ENGINEERING, "payments"),
    ("Hannah Schmidt", JobFamily.DESIGN, "payments"),
    ("Kenji Watanabe", JobFamily.ENGINEERING, "payments"),
    ("Fatima Benali", JobFamily.ENGINEERING, "payments"),
    ("Diego Morales", JobFamily.ENGINEERING, "payments"),
    ("Ingrid Larsen", JobFamily.OPERATIONS, "payments"),
    ("Samuel Mensah", JobFamily.FINANCE, "payments"),
    ("Chloé Dubois", JobFamily.LEGAL, "payments"),
    ("Rafael Costa", JobFamily.ENGINEERING, "platform"),
    ("Mei Lin", JobFamily.ENGINEERING, "platform"),
    ("Oluwaseun Adeyemi", JobFamily.ENGINEERING, "platform"),
    ("Sofia Rossi", JobFamily.ENGINEERING, "platform"),
    ("Arjun Mehta", JobFamily.OPERATIONS, "platform"),
    ("Elena Petrova", JobFamily.ENGINEERING, "platform"),
    ("Noah Fischer", JobFamily.PRODUCT, "platform"),
    ("Yuki Tanaka", JobFamily.ENGINEERING, "platform"),
    ("Grace Kim", JobFamily.SECURITY, "platform"),
    ("Isabella García", JobFamily.PRODUCT, "growth"),
    ("Mateo Silva", JobFamily.ENGINEERING, "growth"),
    ("Zoe Williams", JobFamily.MARKETING, "growth"),
    ("Ahmed Hassan", JobFamily.ENGINEERING, "growth"),
    ("Lena Müller", JobFamily.DESIGN, "growth"),
    ("Kwame Asante", JobFamily.SALES, "growth"),
    ("Nora Lindqvist", JobFamily.SUPPORT, "growth"),
    ("Daniel Cohen", JobFamily.DATA_SCIENCE, "growth"),
    ("Ana Souza", JobFamily.OTHER, "growth"),
    ("Aisha Rahman", JobFamily.DATA_SCIENCE, "data"),
    ("Ben Carter", JobFamily.ENGINEERING, "data"),
    ("Chen Wei", JobFamily.ENGINEERING, "data"),
    ("Maya Patel", JobFamily.DATA_SCIENCE, "data"),
    ("Olga Ivanova", JobFamily.ENGINEERING, "data"),
    ("Pedro Alves", JobFamily.DATA_SCIENCE, "data"),
    ("Sarah O'Brien", JobFamily.PRODUCT, "data"),
    ("Viktor Horvat", JobFamily.ENGINEERING, "data"),
    ("Jonas Berg", JobFamily.SECURITY, "security"),
    ("Leila Haddad", JobFamily.SECURITY, "security"),
    ("Marcus Johnson", JobFamily.SECURITY, "security"),
)

# (slug, name, org, mission)
_TEAMS: tuple[tuple[str, str, str, str], ...] = (
    ("checkout", "Checkout & Wallet", "payments", "Make paying us the easiest step of any order."),
    ("payouts", "Merchant Payouts", "payments", "Get merchants their money fast and correctly."),
    ("edge-gateway", "Edge Gateway", "platform", "Every request in and out, fast and protected."),
    ("identity", "Identity & Access", "platform", "Sign-in and permissions people trust."),
    ("onboarding", "Onboarding", "growth", "From sign-up to first sale in one sitting."),
    ("lifecycle-messaging", "Lifecycle Messaging", "growth", "The right message, or none."),
    ("data-platform", "Data Platform", "data", "Reliable, governed data for every team."),
    ("insights", "Customer Insights", "data", "Turn behaviour into decisions leaders act on."),
)

_R = TeamRole
# team slug → (person's first name, role, allocation percent, started this many days ago)
_ROSTERS: dict[str, tuple[tuple[str, TeamRole, int, int], ...]] = {
    "checkout": (
        ("Amara", _R.LEAD, 100, 910),
        ("Lucas", _R.ENGINEER, 100, 720),
        ("Priya", _R.PRODUCT_MANAGER, 50, 610),
        ("Tomasz", _R.ENGINEER, 100, 500),
        ("Hannah", _R.DESIGNER, 50, 400),
        ("Kenji", _R.ENGINEER, 100, 380),
        ("Fatima", _R.ENGINEER, 100, 300),
        ("Diego", _R.ENGINEER, 60, 250),
        ("Ingrid", _R.SPECIALIST, 50, 200),
        ("Jonas", _R.SECURITY_CHAMPION, 30, 180),
        ("Samuel", _R.SPECIALIST, 40, 150),
        ("Chloé", _R.SPECIALIST, 30, 120),
        ("Mei", _R.ENGINEER, 50, 800),  # moved to edge-gateway; her stint ends below
    ),
    "payouts": (
        ("Diego", _R.LEAD, 40, 540),
        ("Priya", _R.PRODUCT_MANAGER, 50, 540),
        ("Hannah", _R.DESIGNER, 50, 400),
        ("Ingrid", _R.SPECIALIST, 50, 365),
        ("Samuel", _R.SPECIALIST, 60, 365),
        ("Viktor", _R.ENGINEER, 100, 270),
        ("Ana", _R.OTHER, 50, 90),
    ),
    "edge-gateway": (
        ("Rafael", _R.LEAD, 100, 1000),
        ("Oluwaseun", _R.ENGINEER, 100, 820),
        ("Sofia", _R.ENGINEER, 100, 640),
        ("Elena", _R.ENGINEER, 100, 600),
        ("Yuki", _R.ENGINEER, 100, 450),
        ("Arjun", _R.SPECIALIST, 60, 430),
        ("Noah", _R.PRODUCT_MANAGER, 50, 400),
        ("Grace", _R.SECURITY_CHAMPION, 50, 330),
        ("Marcus", _R.SECURITY_CHAMPION, 30, 200),
        ("Ben", _R.ENGINEER, 50, 120),
        ("Mei", _R.ENGINEER, 50, 45),
    ),
    "identity": (
        ("Grace", _R.LEAD, 50, 700),
        ("Noah", _R.PRODUCT_MANAGER, 50, 400),
        ("Arjun", _R.SPECIALIST, 40, 430),
        ("Leila", _R.SECURITY_CHAMPION, 60, 380),
        ("Chen", _R.ENGINEER, 50, 310),
        ("Marcus", _R.SPECIALIST, 70, 200),
    ),
    "onboarding": (
        ("Isabella", _R.LEAD, 60, 560),
        ("Mateo", _R.ENGINEER, 100, 520),
        ("Ahmed", _R.ENGINEER, 100, 480),
        ("Lena", _R.DESIGNER, 70, 460),
        ("Zoe", _R.SPECIALIST, 50, 300),
        ("Nora", _R.SPECIALIST, 50, 240),
        ("Kwame", _R.SPECIALIST, 60, 400),  # went back to sales; the stint ends below
    ),
    "lifecycle-messaging": (
        ("Isabella", _R.PRODUCT_MANAGER, 40, 330),
        ("Zoe", _R.SPECIALIST, 50, 330),
        ("Lena", _R.DESIGNER, 30, 330),  # left, which took the team under three; ends below
    ),
    "data-platform": (
        ("Aisha", _R.LEAD, 60, 990),
        ("Olga", _R.ENGINEER, 100, 850),
        ("Chen", _R.ENGINEER, 50, 700),
        ("Ben", _R.ENGINEER, 50, 680),
        ("Sarah", _R.PRODUCT_MANAGER, 50, 500),
        ("Pedro", _R.SPECIALIST, 50, 420),
        ("Maya", _R.SPECIALIST, 50, 390),
        ("Daniel", _R.SPECIALIST, 50, 200),
        ("Viktor", _R.ENGINEER, 30, 60),  # lent by payouts: 130% across teams, a warning
    ),
    "insights": (
        ("Maya", _R.LEAD, 50, 390),
        ("Aisha", _R.SPECIALIST, 40, 390),
        ("Pedro", _R.SPECIALIST, 50, 360),
        ("Sarah", _R.PRODUCT_MANAGER, 50, 360),
        ("Daniel", _R.SPECIALIST, 50, 200),
        ("Kwame", _R.SPECIALIST, 40, 100),
    ),
}

# (team slug, first name): memberships that end today, so the roster's history shows them.
_DEPARTURES: tuple[tuple[str, str], ...] = (
    ("checkout", "Mei"),
    ("onboarding", "Kwame"),
    ("lifecycle-messaging", "Lena"),
)

_C = DataClassification


@dataclass(frozen=True)
class _DemoProduct:
    slug: str
    name: str
    summary: str
    team: str
    classification: DataClassification
    stage: Stage
    # Days from today; each later entry is a slip of the target launch date, kept as history.
    launch_dates: tuple[int, ...] = ()


_PRODUCTS: tuple[_DemoProduct, ...] = (
    _DemoProduct(
        "one-click-checkout", "One-Click Checkout", "Returning buyers pay with one tap.",
        "checkout", _C.CONFIDENTIAL, Stage.LAUNCHED, (-240, -200),
    ),
    _DemoProduct(
        "wallet-top-up", "Wallet Top-Up", "Buyers keep a balance and top it up by bank transfer.",
        "checkout", _C.RESTRICTED, Stage.BUILDING, (10, 35, 60),
    ),
    _DemoProduct(
        "split-the-bill", "Split the Bill", "Several buyers share one order and pay their part.",
        "checkout", _C.CONFIDENTIAL, Stage.PRFAQ_REVIEW, (180,),
    ),
    _DemoProduct(
        "instant-payouts", "Instant Payouts", "Merchants withdraw earnings to a card in seconds.",
        "payouts", _C.RESTRICTED, Stage.LAUNCH_REVIEW, (14,),
    ),
    _DemoProduct(
        "payout-reports", "Payout Reports", "A monthly CSV of every payout, replaced by the API.",
        "payouts", _C.INTERNAL, Stage.RETIRED, (-420,),
    ),
    _DemoProduct(
        "adaptive-rate-limits", "Adaptive Rate Limits", "Limits that follow each client's history.",
        "edge-gateway", _C.INTERNAL, Stage.LAUNCHED, (-90,),
    ),
    _DemoProduct(
        "global-edge-cache", "Global Edge Cache", "Public catalogue pages served from the edge.",
        "edge-gateway", _C.PUBLIC, Stage.BUILDING, (45,),
    ),
    _DemoProduct(
        "service-mtls", "Service mTLS", "Mutual TLS between every internal service.",
        "edge-gateway", _C.INTERNAL, Stage.APPROVED, (120,),
    ),
    _DemoProduct(
        "passkey-sign-in", "Passkey Sign-In", "Sign in with a passkey instead of a password.",
        "identity", _C.CONFIDENTIAL, Stage.LAUNCH_REVIEW, (0, 7),
    ),
    _DemoProduct(
        "merchant-sso", "SSO for Merchants", "Merchant staff sign in with their company SSO.",
        "identity", _C.CONFIDENTIAL, Stage.IDEA,
    ),
    _DemoProduct(
        "guided-setup", "Guided Merchant Setup", "A checklist that gets a new shop live in a day.",
        "onboarding", _C.INTERNAL, Stage.LAUNCHED, (-30,),
    ),
    _DemoProduct(
        "referral-rewards", "Referral Rewards", "Merchants earn fee credits for referrals.",
        "onboarding", _C.CONFIDENTIAL, Stage.APPROVED, (150,),
    ),
    _DemoProduct(
        "win-back-emails", "Win-back Emails", "A gentle series for buyers who stopped coming.",
        "lifecycle-messaging", _C.INTERNAL, Stage.IDEA,
    ),
    _DemoProduct(
        "streaming-ledger", "Streaming Ledger Export", "Every ledger entry on a stream in seconds.",
        "data-platform", _C.RESTRICTED, Stage.BUILDING, (90,),
    ),
    _DemoProduct(
        "churn-forecast", "Churn Forecast", "A weekly forecast of which merchants may leave.",
        "insights", _C.CONFIDENTIAL, Stage.PRFAQ_REVIEW, (200,),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class PortfolioSize:
    """How much a database already holds."""

    people: int
    teams: int
    products: int

    @property
    def is_empty(self) -> bool:
        """Whether the demo may be loaded without mixing into someone's records."""
        return not (self.people or self.teams or self.products)


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` created."""

    orgs: int
    teams: int
    people: int
    current_memberships: int
    ended_memberships: int
    products: int
    products_by_stage: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for a person at a terminal."""
        return (
            f"{self.teams} teams in {self.orgs} orgs, {self.people} people, "
            f"{self.current_memberships} current memberships ({self.ended_memberships} ended), "
            f"{self.products} products across {len(self.products_by_stage)} stages"
        )


async def portfolio_size(session: AsyncSession) -> PortfolioSize:
    """Count the people, teams and products already stored, archived ones included."""

    async def count(model: type[Person] | type[Team] | type[Product]) -> int:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return PortfolioSize(
        people=await count(Person), teams=await count(Team), products=await count(Product)
    )


def _email(name: str) -> str:
    ascii_name = name.translate(str.maketrans("éíüá", "eiua")).replace("'", "")
    return ascii_name.lower().replace(" ", ".") + "@example.com"


def _days_from(day: date, offset: int) -> date:
    return day + timedelta(days=offset)


async def load_demo(session: AsyncSession) -> DemoSummary:
    """Fill an empty database with the demo portfolio; the caller commits."""
    attach_principal(session.sync_session, DEMO_PRINCIPAL)
    day = today()
    people: dict[str, Person] = {}
    for name, job_family, org in _PEOPLE:
        person = await create_person(
            session,
            data=PersonCreate(email=_email(name), name=name, job_family=job_family, home_org=org),
        )
        people[name.split()[0]] = person

    for slug, name, org, mission in _TEAMS:
        await create_team(
            session,
            data=TeamCreate(slug=slug, name=name, org=org, mission=mission),
            principal=DEMO_PRINCIPAL,
        )

    for slug, roster in _ROSTERS.items():
        for first_name, role, allocation, days_ago in roster:
            await add_member(
                session,
                slug,
                data=MembershipCreate(
                    person_id=people[first_name].id,
                    role=role,
                    allocation_percent=allocation,
                    start_date=_days_from(day, -days_ago),
                ),
                principal=DEMO_PRINCIPAL,
            )
    for slug, first_name in _DEPARTURES:
        await end_member(
            session, slug, people[first_name].id, if_match=None, principal=DEMO_PRINCIPAL
        )

    # Checkout is over the guideline on purpose, with the reason on record; edge-gateway is over
    # it without one, so the portfolio shows both.
    await grant_exception(
        session,
        "checkout",
        data=SizeExceptionCreate(
            max_size=13,
            justification=(
                "Wallet launch needs card-network and fraud specialists on the team until the "
                "second region ships."
            ),
            expires_at=datetime.combine(_days_from(day, 120), time(17, 0), tzinfo=UTC),
        ),
        if_match=None,
        principal=DEMO_PRINCIPAL,
    )

    for spec in _PRODUCTS:
        await _load_product(session, spec, day)

    by_stage: dict[str, int] = {}
    for spec in _PRODUCTS:
        by_stage[spec.stage.value] = by_stage.get(spec.stage.value, 0) + 1
    memberships = sum(len(roster) for roster in _ROSTERS.values())
    return DemoSummary(
        orgs=len({org for _, _, org, _ in _TEAMS}),
        teams=len(_TEAMS),
        people=len(_PEOPLE),
        current_memberships=memberships - len(_DEPARTURES),
        ended_memberships=len(_DEPARTURES),
        products=len(_PRODUCTS),
        products_by_stage=by_stage,
    )


async def _load_product(session: AsyncSession, spec: _DemoProduct, day: date) -> None:
    first_date, *slips = spec.launch_dates or (None,)
    await create_product(
        session,
        data=ProductCreate(
            slug=spec.slug,
            name=spec.name,
            summary=spec.summary,
            team=spec.team,
            data_classification=spec.classification,
            target_launch_date=None if first_date is None else _days_from(day, first_date),
        ),
        principal=DEMO_PRINCIPAL,
    )
    # Stages move one step at a time, so walk the product there as its team would have; launch
    # dates slip while a product is being built, as they do in life.
    for stage in STAGE_ORDER[1 : STAGE_ORDER.index(spec.stage) + 1]:
        await _update(session, spec.slug, ProductUpdate(stage=stage))
        if stage == Stage.BUILDING:
            await _slip(session, spec.slug, day, slips)
            slips = []
    await _slip(session, spec.slug, day, slips)


async def _slip(session: AsyncSession, slug: str, day: date, offsets: list[int]) -> None:
    for offset in offsets:
        await _update(session, slug, ProductUpdate(target_launch_date=_days_from(day, offset)))


async def _update(session: AsyncSession, slug: str, change: ProductUpdate) -> None:
    await update_product(session, slug, data=change, if_match=None, principal=DEMO_PRINCIPAL)
