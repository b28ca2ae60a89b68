"""The demo portfolio as data, read from `portfolio.toml` and checked against the same enums the
API takes, so a typo in the file fails the load with the field named."""

import tomllib
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict

from api.people.models import JobFamily
from api.products.models import DataClassification, Stage
from api.teams.models import TeamRole


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoPerson(_Data):
    """Someone in the demo; the email is derived from the name."""

    name: str
    job_family: JobFamily
    home_org: str

    @property
    def first_name(self) -> str:
        """How rosters name them."""
        return self.name.split()[0]


class DemoStint(_Data):
    """One person on a team's roster, from some days ago; `left` ends it on the day of the load."""

    person: str
    role: TeamRole
    allocation_percent: int
    started_days_ago: int
    left: bool = False


class DemoTeam(_Data):
    """A team of the demo and its roster."""

    slug: str
    name: str
    org: str
    mission: str
    roster: tuple[DemoStint, ...]


DocumentState = Literal[
    "draft", "in_review", "changes_requested", "incomplete", "approved", "approved_with_override"
]


CheckpointState = Literal["failed", "stale", "waived", "waiver_expired", "findings"]


class DemoProduct(_Data):
    """A product of the demo portfolio, and how far it has come."""

    slug: str
    name: str
    summary: str
    team: str
    data_classification: DataClassification
    stage: Stage
    # Days from today; each later entry is a slip of the target launch date, kept as history.
    launch_dates: tuple[int, ...] = ()
    # Where its documents stand, when not where its stage puts them.
    prfaq: DocumentState | None = None
    security_faq: DocumentState | None = None
    # How its launch checkpoints stand, when not simply passed (or not started before review).
    checkpoints: CheckpointState | None = None


class DemoException(_Data):
    """A size exception of the demo portfolio."""

    team: str
    max_size: int
    justification: str
    expires_in_days: int  # at 17:00 UTC, this many days after the load


class Portfolio(_Data):
    """The whole demo."""

    people: tuple[DemoPerson, ...]
    teams: tuple[DemoTeam, ...]
    products: tuple[DemoProduct, ...]
    size_exceptions: tuple[DemoException, ...]


@cache
def portfolio() -> Portfolio:
    """The demo portfolio shipped with the package."""
    text = files("api.demo").joinpath("portfolio.toml").read_text(encoding="utf-8")
    return Portfolio.model_validate(tomllib.loads(text))
