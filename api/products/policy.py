"""Who may see and change products, and who speaks for their security."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, TEAM_MEMBER_ROLES, Policy, Scope, grant

_OWNING_TEAMS_AND_ADMINS = grant(TEAM_MEMBER_ROLES, Scope.OWN_TEAMS) | grant([Role.ADMIN])

# A CI token reads only the products it lists; the owning team's members and admins change them.
PRODUCTS = Policy(
    "product",
    read=grant(PEOPLE_ROLES) | grant([Role.CI], Scope.OWN_PRODUCTS),
    create=_OWNING_TEAMS_AND_ADMINS,
    write=_OWNING_TEAMS_AND_ADMINS,
)
# Security reviewers read what is sensitive and sign off on a product's security.
SECURITY = Policy(
    "security",
    {"sign-off": grant([Role.SECURITY_REVIEWER, Role.ADMIN])},
)
SENSITIVE = Policy("sensitive", read=grant([Role.SECURITY_REVIEWER, Role.ADMIN]))
