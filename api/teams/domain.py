"""Teams' part of the app: teams, rosters, the size guideline and roster health."""

from api.core.domain import Domain
from api.teams.graphql import TeamsMutation, TeamsQuery
from api.teams.health.graphql import RosterMutation, RosterQuery
from api.teams.health.rest import GuidelineController, TeamHealthController
from api.teams.rest import ROUTES

DOMAIN = Domain(
    "teams",
    routes=[ROUTES, GuidelineController, TeamHealthController],
    queries=[TeamsQuery, RosterQuery],
    mutations=[TeamsMutation, RosterMutation],
)
