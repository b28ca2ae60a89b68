"""Who may read and change checkpoints, their results, waivers and findings."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, TEAM_MEMBER_ROLES, Policy, Scope, grant

_OWNING_TEAMS_AND_ADMINS = grant(TEAM_MEMBER_ROLES, Scope.OWN_TEAMS) | grant([Role.ADMIN])
_CI = grant([Role.CI], Scope.OWN_PRODUCTS)

# The catalogue is the org's: everyone reads it, admins change it.
CHECKPOINT_KINDS = Policy(
    "checkpoint-kind", read=grant(PEOPLE_ROLES) | _CI, manage=grant([Role.ADMIN])
)
# Everyone reads where a product's checkpoints stand; its team and its pipelines (a ci token, for
# its own products) post results; the kind's reviewer role signs off and waives (checked in the
# service, since the role is the kind's).
CHECKPOINTS = Policy(
    "checkpoint",
    {
        "sign-off": grant([Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN]),
        "waive": grant([Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN]),
    },
    read=grant(PEOPLE_ROLES) | _CI,
    record=_OWNING_TEAMS_AND_ADMINS | _CI,
)
# Findings are sensitive: viewers never read them, ci tokens only their products'; reads are
# recorded in the audit trail. The owning team triages; only security accepts a risk.
FINDINGS = Policy(
    "finding",
    {"accept-risk": grant([Role.SECURITY_REVIEWER, Role.ADMIN])},
    read=grant([Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN]) | _CI,
    record=_OWNING_TEAMS_AND_ADMINS | grant([Role.SECURITY_REVIEWER]) | _CI,
    triage=_OWNING_TEAMS_AND_ADMINS | grant([Role.SECURITY_REVIEWER]),
)
# The readiness answer carries no secrets: anyone who may see the product may ask it.
READINESS = Policy("readiness", read=grant(PEOPLE_ROLES) | _CI)
