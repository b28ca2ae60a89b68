"""The benchmark's portfolio, loaded through Pizzabox's own services (audited, as the API would):
1,000 products on 100 teams of 6 people, and an admin token."""

from dataclasses import dataclass

from api.audit.trail import attach_principal
from api.core.access import Principal, Role
from api.core.config import Settings
from api.core.db import create_engine, create_sessionmaker
from api.identity.schemas import TokenCreate
from api.identity.service import create_token
from api.people.models import JobFamily
from api.people.schemas import PersonCreate
from api.people.service import create_person
from api.products.models import DataClassification
from api.products.schemas import ProductCreate
from api.products.service import create_product
from api.teams.models import TeamRole
from api.teams.schemas import MembershipCreate, TeamCreate
from api.teams.service import add_member, create_team

TEAMS = 100
MEMBERS_PER_TEAM = 6
PRODUCTS_PER_TEAM = 10
PRODUCTS = TEAMS * PRODUCTS_PER_TEAM
SEEDER = Principal(name="benchmark", role=Role.ADMIN)
_ROLES = (TeamRole.LEAD, TeamRole.ENGINEER, TeamRole.ENGINEER, TeamRole.PRODUCT_MANAGER)


@dataclass(frozen=True)
class Portfolio:
    """What the benchmark drives: an admin token and a product's slug to read and change."""

    token: str
    slugs: list[str]


def product_slug(team: int, product: int) -> str:
    """The slug of a team's seeded product."""
    return f"bench-{team:03d}-{product:02d}"


async def seed(database_url: str) -> Portfolio:
    """Load the portfolio into a migrated, empty database."""
    settings = Settings(database_url=database_url)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, audit_key=settings.audit_key)() as session:
            attach_principal(session.sync_session, SEEDER)
            slugs: list[str] = []
            for team_number in range(TEAMS):
                team_slug = f"bench-team-{team_number:03d}"
                await create_team(
                    session,
                    data=TeamCreate(
                        slug=team_slug, name=f"Team {team_number}", org=f"org-{team_number % 5}"
                    ),
                    principal=SEEDER,
                )
                for member in range(MEMBERS_PER_TEAM):
                    person = await create_person(
                        session,
                        data=PersonCreate(
                            email=f"person-{team_number}-{member}@bench.example",
                            name=f"Person {team_number}-{member}",
                            job_family=JobFamily.ENGINEERING,
                            home_org=f"org-{member % 3}",
                        ),
                        principal=SEEDER,
                    )
                    await add_member(
                        session,
                        team_slug,
                        data=MembershipCreate(
                            person_id=person.id, role=_ROLES[member % len(_ROLES)]
                        ),
                        principal=SEEDER,
                    )
                for product_number in range(PRODUCTS_PER_TEAM):
                    slug = product_slug(team_number, product_number)
                    await create_product(
                        session,
                        data=ProductCreate(
                            slug=slug,
                            name=f"Product {team_number}-{product_number}",
                            summary="A product the benchmark reads and changes.",
                            team=team_slug,
                            data_classification=DataClassification.INTERNAL,
                        ),
                        principal=SEEDER,
                    )
                    slugs.append(slug)
            _, secret = await create_token(
                session, data=TokenCreate(name="benchmark", role=Role.ADMIN), principal=SEEDER
            )
            await session.commit()
    finally:
        await engine.dispose()
    return Portfolio(token=secret, slugs=slugs)
