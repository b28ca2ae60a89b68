"""The audit trail's part of the app."""

from api.audit.graphql import AuditQuery
from api.audit.rest import AuditEventsController
from api.core.domain import Domain

DOMAIN = Domain("audit", routes=[AuditEventsController], queries=[AuditQuery])
