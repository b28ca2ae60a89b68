"""Who may manage tokens, and see themselves."""

from api.core.access import Role
from api.core.policy import Policy, grant

TOKENS = Policy("token", manage=grant([Role.ADMIN]))
# Every caller may ask who it is, a CI token too.
SELF = Policy("self", read=grant(Role))
