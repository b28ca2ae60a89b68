"""Loading the demo portfolio through the same service functions the API uses.

Everything is fixed data (`api/demo/portfolio.toml`), so two loads on the same day give the same
portfolio.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.trail import attach_principal
from api.core.access import Principal, Role
from api.core.config import Settings
from api.core.db import create_engine, create_sessionmaker, replaying
from api.demo.checkpoints import clear_for_launch, set_state
from api.demo.data import DemoProduct, portfolio
from api.demo.documents import write_documents
from api.people.models import Person
from api.people.schemas import PersonCreate
from api.people.service import create_person
from api.products.models import STAGE_ORDER, Product, Stage
from api.products.schemas import ProductCreate, ProductUpdate
from api.products.service import create_product, update_product
from api.teams.health.exceptions import grant_exception
from api.teams.health.schemas import SizeExceptionCreate
from api.teams.models import Team, today
from api.teams.schemas import MembershipCreate, TeamCreate
from api.teams.service import add_member, create_team, end_member

DEMO_PRINCIPAL = Principal(name="demo-loader", role=Role.ADMIN)


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
    demo = portfolio()
    day = today()
    # The history is replayed at the times it happened (`replaying`): people and teams first,
    # each roster entry on the day it started, each product's stages a month or so apart, ending
    # a few weeks ago; what the demo shows as of today (departures, exceptions, the state of its
    # documents and checkpoints) happens now.
    people: dict[str, Person] = {}
    founded = 1 + max(stint.started_days_ago for team in demo.teams for stint in team.roster)
    with replaying(founded + 10):
        for spec in demo.people:
            person = PersonCreate(email=_email(spec.name), **spec.model_dump())
            people[spec.first_name] = await create_person(
                session, data=person, principal=DEMO_PRINCIPAL
            )
    with replaying(founded):
        for team in demo.teams:
            data = TeamCreate(**team.model_dump(exclude={"roster"}))
            await create_team(session, data=data, principal=DEMO_PRINCIPAL)
    stints = sorted(
        ((team.slug, stint) for team in demo.teams for stint in team.roster),
        key=lambda entry: -entry[1].started_days_ago,
    )
    for slug, stint in stints:
        member = MembershipCreate(
            person_id=people[stint.person].id,
            role=stint.role,
            allocation_percent=stint.allocation_percent,
            start_date=_days_from(day, -stint.started_days_ago),
        )
        with replaying(stint.started_days_ago):
            await add_member(session, slug, data=member, principal=DEMO_PRINCIPAL)
    departures = [(team.slug, stint) for team in demo.teams for stint in team.roster if stint.left]
    for slug, stint in departures:
        person_id = people[stint.person].id
        await end_member(session, slug, person_id, if_match=None, principal=DEMO_PRINCIPAL)

    for granted in demo.size_exceptions:
        expires_on = _days_from(day, granted.expires_in_days)
        exception = SizeExceptionCreate(
            max_size=granted.max_size,
            justification=granted.justification,
            expires_at=datetime.combine(expires_on, time(17, 0), tzinfo=UTC),
        )
        await grant_exception(
            session, granted.team, data=exception, if_match=None, principal=DEMO_PRINCIPAL
        )

    for product in demo.products:
        await _load_product(session, product, day)

    by_stage: dict[str, int] = {}
    for product in demo.products:
        by_stage[product.stage.value] = by_stage.get(product.stage.value, 0) + 1
    memberships = sum(len(team.roster) for team in demo.teams)
    return DemoSummary(
        orgs=len({team.org for team in demo.teams}),
        teams=len(demo.teams),
        people=len(demo.people),
        current_memberships=memberships - len(departures),
        ended_memberships=len(departures),
        products=len(demo.products),
        products_by_stage=by_stage,
    )


async def _load_product(session: AsyncSession, spec: DemoProduct, day: date) -> None:
    first_date, *slips = spec.launch_dates or (None,)
    launch = None if first_date is None else _days_from(day, first_date)
    data = ProductCreate(
        **spec.model_dump(
            exclude={"stage", "launch_dates", "prfaq", "security_faq", "checkpoints"}
        ),
        target_launch_date=launch,
    )
    # Stages move one step at a time, so walk the product there as its team would have, a step
    # every few weeks, the last a fortnight ago; launch dates slip while a product is being
    # built, as they do in life.
    stages = STAGE_ORDER[1 : STAGE_ORDER.index(spec.stage) + 1]
    with replaying(_LAST_STEP_DAYS_AGO + _STEP_DAYS * len(stages)):
        await create_product(session, data=data, principal=DEMO_PRINCIPAL)
    for step, stage in enumerate(stages, start=1):
        with replaying(_LAST_STEP_DAYS_AGO + _STEP_DAYS * (len(stages) - step)):
            await write_documents(session, spec, DEMO_PRINCIPAL, gating=stage)
            if stage == Stage.LAUNCH_REVIEW:
                await clear_for_launch(session, spec, DEMO_PRINCIPAL)
            await _update(session, spec.slug, ProductUpdate(stage=stage))
            if stage == Stage.BUILDING:
                await _slip(session, spec.slug, day, slips)
                slips = []
    with replaying(_LAST_STEP_DAYS_AGO / 2):
        await _slip(session, spec.slug, day, slips)
    await write_documents(session, spec, DEMO_PRINCIPAL, gating=None)
    await set_state(session, spec, DEMO_PRINCIPAL)


# A product's walk through its stages: a step every five weeks, the last two weeks ago.
_STEP_DAYS = 35
_LAST_STEP_DAYS_AGO = 14


async def _slip(session: AsyncSession, slug: str, day: date, offsets: list[int]) -> None:
    for offset in offsets:
        await _update(session, slug, ProductUpdate(target_launch_date=_days_from(day, offset)))


async def _update(session: AsyncSession, slug: str, change: ProductUpdate) -> None:
    await update_product(session, slug, data=change, if_match=None, principal=DEMO_PRINCIPAL)


DEMO_LOCK = 7_300_421_002  # the advisory lock demo loads share on PostgreSQL


async def load_into_empty(settings: Settings) -> str:
    """Load the demo portfolio into the configured database unless it already holds records
    (`pizzabox serve --demo`); says what it did, in a line for a person at a terminal."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, audit_key=settings.audit_key)() as session:
            if engine.dialect.name == "postgresql":
                # Two instances started with --demo at once: one loads, the other then finds
                # the database no longer empty. Released when the transaction ends.
                await session.execute(text(f"SELECT pg_advisory_xact_lock({DEMO_LOCK})"))
            existing = await portfolio_size(session)
            if not existing.is_empty:
                return (
                    f"The database already holds {existing.teams} teams, {existing.products} "
                    f"products and {existing.people} people; not loading the demo portfolio."
                )
            summary = await load_demo(session)
            await session.commit()
        return f"Loaded the demo portfolio: {summary.describe()}."
    finally:
        await engine.dispose()
