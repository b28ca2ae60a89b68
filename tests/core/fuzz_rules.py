"""What a fuzzer must accept that the OpenAPI document cannot express; shared by
tests/core/test_fuzz.py and scripts/fuzz_rest.py so they never disagree."""

# Operations that refuse some schema-valid input with 422: rules across fields, and references to
# records that do not exist or are archived.
RULE_422_OPERATIONS = (
    "createProduct",
    "updateProduct",
    "addTeamMember",
    "listTeamMembers",
    # `until` must come after `since`.
    "listAuditEvents",
    # A `ci` token must list a product, and may list only products that exist.
    "createToken",
    # The guideline's sizes must be in order (minimum <= recommended <= acceptable).
    "setTeamSizeGuideline",
    # An exception expires in the future.
    "grantTeamSizeException",
    # Health describes today or a past day, never a future one.
    "getTeamHealth",
    # The warning threshold is not above the passing one.
    "setPrfaqScoring",
    # Template keys are unique.
    "setSecurityFaqTemplate",
    # Answers name template questions, once each; a question that does not apply says why.
    "saveSecurityFaqRevision",
    # A reviewer kind names the role that signs it off; an automatic kind names none.
    "createCheckpointKind",
    "updateCheckpointKind",
    # An Idempotency-Key already used with another body.
    "recordCheckpointResult",
    "uploadFindings",
    # The evidence must be results of this checkpoint.
    "signOffCheckpoint",
    # A waiver expires in the future, at most 90 days away.
    "waiveCheckpoint",
    # An accepted risk has a reason and an expiry, in the future; nothing else has an expiry.
    "updateFinding",
)
