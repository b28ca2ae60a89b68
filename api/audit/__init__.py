"""The audit trail: every change, who made it, sealed into hash chains."""
