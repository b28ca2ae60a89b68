"""Who may see and change teams, their rosters, the size guideline and its exceptions."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, TEAM_MEMBER_ROLES, Policy, Scope, grant

# Anyone may start a team (and leads it); after that, its members and admins change it.
TEAMS = Policy(
    "team",
    read=grant(PEOPLE_ROLES),
    create=grant([*TEAM_MEMBER_ROLES, Role.ADMIN]),
    write=grant(TEAM_MEMBER_ROLES, Scope.OWN_TEAMS) | grant([Role.ADMIN]),
)
# The guideline itself is a setting; a team's own higher maximum is granted by an admin.
SETTINGS = Policy("settings", manage=grant([Role.ADMIN]))
SIZE_EXCEPTIONS = Policy("size-exception", grant=grant([Role.ADMIN]))
