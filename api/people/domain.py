"""People's part of the app."""

from api.core.domain import Domain
from api.people.graphql import PeopleMutation, PeopleQuery
from api.people.rest import ROUTES

DOMAIN = Domain("people", routes=[ROUTES], queries=[PeopleQuery], mutations=[PeopleMutation])
