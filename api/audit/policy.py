"""Who may read the audit trail, and a record's history."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, Policy, grant

# One record's history: anyone acting for a person.
HISTORY = Policy("history", read=grant(PEOPLE_ROLES))
# The whole trail, and its verification: security reviewers and admins.
AUDIT = Policy("audit", read=grant([Role.SECURITY_REVIEWER, Role.ADMIN]))
