"""People's part of the app."""

from api.core.domain import Domain
from api.people.graphql import PeopleMutation, PeopleQuery
from api.people.rest import PeopleController

DOMAIN = Domain(
    "people", routes=[PeopleController], queries=[PeopleQuery], mutations=[PeopleMutation]
)
