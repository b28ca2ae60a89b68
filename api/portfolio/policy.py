"""Who may read the portfolio. Its sections follow the policies of what they count: findings
(`api.checkpoints.policy.FINDINGS`) and security FAQs (`api.documents.policy.SECURITY_FAQS`)
are left out for the roles that may not read those."""

from api.core.access import Role
from api.core.policy import PEOPLE_ROLES, Policy, Scope, grant

# Everyone reads the portfolio; a ci token reads the portfolio of the products it lists.
PORTFOLIO = Policy("portfolio", read=grant(PEOPLE_ROLES) | grant([Role.CI], Scope.OWN_PRODUCTS))
