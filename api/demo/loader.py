"""Loading the demo portfolio through the same service functions the API uses.

Everything is fixed data (`api.demo.data`), so two loads on the same day give the same portfolio.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.trail import attach_principal
from api.core.access import Principal, Role
from api.demo.data import DEPARTURES, PEOPLE, PRODUCTS, ROSTERS, SIZE_EXCEPTIONS, TEAMS, DemoProduct
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
    day = today()
    people: dict[str, Person] = {}
    for name, job_family, org in PEOPLE:
        person = await create_person(
            session,
            data=PersonCreate(email=_email(name), name=name, job_family=job_family, home_org=org),
            principal=DEMO_PRINCIPAL,
        )
        people[name.split()[0]] = person

    for slug, name, org, mission in TEAMS:
        await create_team(
            session,
            data=TeamCreate(slug=slug, name=name, org=org, mission=mission),
            principal=DEMO_PRINCIPAL,
        )

    for slug, roster in ROSTERS.items():
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
    for slug, first_name in DEPARTURES:
        await end_member(
            session, slug, people[first_name].id, if_match=None, principal=DEMO_PRINCIPAL
        )

    for granted in SIZE_EXCEPTIONS:
        await grant_exception(
            session,
            granted.team,
            data=SizeExceptionCreate(
                max_size=granted.max_size,
                justification=granted.justification,
                expires_at=datetime.combine(
                    _days_from(day, granted.expires_in_days), time(17, 0), tzinfo=UTC
                ),
            ),
            if_match=None,
            principal=DEMO_PRINCIPAL,
        )

    for spec in PRODUCTS:
        await _load_product(session, spec, day)

    by_stage: dict[str, int] = {}
    for spec in PRODUCTS:
        by_stage[spec.stage.value] = by_stage.get(spec.stage.value, 0) + 1
    memberships = sum(len(roster) for roster in ROSTERS.values())
    return DemoSummary(
        orgs=len({org for _, _, org, _ in TEAMS}),
        teams=len(TEAMS),
        people=len(PEOPLE),
        current_memberships=memberships - len(DEPARTURES),
        ended_memberships=len(DEPARTURES),
        products=len(PRODUCTS),
        products_by_stage=by_stage,
    )


async def _load_product(session: AsyncSession, spec: DemoProduct, day: date) -> None:
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
