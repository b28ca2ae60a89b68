"""Who may see and change people."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, Policy, grant

PEOPLE = Policy("person", read=grant(PEOPLE_ROLES), write=grant([Role.ADMIN]))
