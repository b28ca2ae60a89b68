"""The security FAQ template: the questions every product answers about customer data, and for
which data classifications each is required. Admins replace it with a new version; until they
first do, this default is version 1."""

from api.documents.schemas import TemplateQuestion
from api.products.models import DataClassification

_ALL = list(DataClassification)
_INTERNAL_UP = [
    DataClassification.INTERNAL,
    DataClassification.CONFIDENTIAL,
    DataClassification.RESTRICTED,
]
_SENSITIVE = [DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED]

# (key, question, guidance, required for)
_DEFAULT: tuple[tuple[str, str, str, list[DataClassification]], ...] = (
    (
        "data-collected",
        "What customer data does the product collect, and how sensitive is it?",
        "List each kind of data (names, emails, payment details, location…) and why it is needed.",
        _ALL,
    ),
    (
        "storage",
        "Where is the data stored, and is it ever copied to test or analytics systems?",
        "Name the stores and regions; say how test systems get realistic data without real data.",
        _INTERNAL_UP,
    ),
    (
        "encryption",
        "How is the data encrypted in transit and at rest, and who holds the keys?",
        "TLS versions, storage encryption, the key service, and who can use or rotate keys.",
        _INTERNAL_UP,
    ),
    (
        "access",
        "Who can reach the data, and how is access limited, reviewed and removed?",
        "Roles, least privilege, how often access is reviewed, and what happens when people leave.",
        _INTERNAL_UP,
    ),
    (
        "authentication-and-secrets",
        "How are sign-in and the product's own secrets protected?",
        "Sign-in methods, multi-factor, session lifetime; where secrets live and how they rotate.",
        _INTERNAL_UP,
    ),
    (
        "logging",
        "What access is logged, and for how long are the logs kept?",
        "Which reads and changes are logged, who can read the logs, and when they are deleted.",
        _SENSITIVE,
    ),
    (
        "retention-and-deletion",
        "How long is data kept, and how is it deleted, backups included?",
        "Retention periods per kind of data; how deletion reaches replicas and backups.",
        _SENSITIVE,
    ),
    (
        "privacy",
        "How does the product keep data to a minimum and honour customers' rights over it?",
        "What is not collected; how customers see, export or delete their data.",
        _SENSITIVE,
    ),
    (
        "third-parties",
        "Which third parties and components handle the data?",
        "Vendors, open-source components and services, and what each one receives.",
        _SENSITIVE,
    ),
    (
        "security-testing",
        "How is security tested before launch and re-tested after?",
        "Reviews, scans, penetration tests, and how often they repeat once the product is live.",
        _INTERNAL_UP,
    ),
    (
        "incidents",
        "How are incidents detected, and how are customers told?",
        "Alerts, on-call, and who decides to tell customers, how and how fast.",
        _ALL,
    ),
)

DEFAULT_QUESTIONS: tuple[TemplateQuestion, ...] = tuple(
    TemplateQuestion(key=key, question=question, guidance=guidance, required_for=required)
    for key, question, guidance, required in _DEFAULT
)


def required_keys(
    questions: tuple[TemplateQuestion, ...] | list[TemplateQuestion],
    classification: DataClassification,
) -> list[str]:
    """The keys a product of `classification` must answer, in template order."""
    return [question.key for question in questions if classification in question.required_for]
