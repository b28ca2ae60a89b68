"""Who may read, write and review a product's PR/FAQ and security FAQ."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, TEAM_MEMBER_ROLES, Policy, Scope, grant

_OWNING_TEAMS_AND_ADMINS = grant(TEAM_MEMBER_ROLES, Scope.OWN_TEAMS) | grant([Role.ADMIN])

# Anyone acting for a person reads a PR/FAQ, and a CI token its own products'; the owning team
# writes and submits it; anyone else acting for a person may review it, but never their own words.
PRFAQS = Policy(
    "prfaq",
    read=grant(PEOPLE_ROLES) | grant([Role.CI], Scope.OWN_PRODUCTS),
    write=_OWNING_TEAMS_AND_ADMINS,
    review=grant([Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN]),
)
# Sensitive: neither viewers nor CI tokens read it; security reviewers sign it off.
SECURITY_FAQS = Policy(
    "security-faq",
    read=grant([Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN]),
    write=_OWNING_TEAMS_AND_ADMINS,
    review=grant([Role.SECURITY_REVIEWER, Role.ADMIN]),
)
# The template and the scoring rules are org-wide settings; everyone acting for a person reads them.
DOCUMENT_SETTINGS = Policy(
    "document-settings", read=grant(PEOPLE_ROLES), manage=grant([Role.ADMIN])
)
