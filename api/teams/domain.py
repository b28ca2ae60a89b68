"""Teams' part of the app: teams, rosters, the size guideline and roster health."""

from api.core.domain import Domain
from api.teams.graphql import TeamsMutation, TeamsQuery
from api.teams.health.graphql import RosterMutation, RosterQuery
from api.teams.health.rest import GUIDELINE_ROUTES, HEALTH_ROUTES
from api.teams.rest import ROUTES

DOMAIN = Domain(
    "teams",
    routes=[ROUTES, GUIDELINE_ROUTES, HEALTH_ROUTES],
    queries=[TeamsQuery, RosterQuery],
    mutations=[TeamsMutation, RosterMutation],
)
