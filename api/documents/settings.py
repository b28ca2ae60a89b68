"""The org-wide settings documents are held to: the security FAQ template (versioned; the default
is version 1 until an admin saves another) and the rules PR/FAQs are scored by."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import InvalidInput
from api.core.writes import flush
from api.documents.models import ScoringSettings, SecurityFaqTemplate
from api.documents.policy import DOCUMENT_SETTINGS
from api.documents.schemas import ScoringRulesUpdate, TemplateQuestion, TemplateUpdate
from api.documents.scoring import ScoringRules
from api.documents.template import DEFAULT_QUESTIONS


@dataclass(frozen=True)
class Template:
    """The security FAQ template in force."""

    version: int
    questions: list[TemplateQuestion]


async def load_template(session: AsyncSession) -> Template:
    """The newest template; the built-in default (version 1) until an admin saves one."""
    row = await session.scalar(
        select(SecurityFaqTemplate).order_by(col(SecurityFaqTemplate.template_version).desc())
    )
    if row is None:
        return Template(1, list(DEFAULT_QUESTIONS))
    questions = [TemplateQuestion.model_validate(item) for item in row.questions]
    return Template(row.template_version, questions)


async def set_template(
    session: AsyncSession, *, data: TemplateUpdate, principal: Principal
) -> Template:
    """Save a new version of the template; revisions keep the version they were saved under."""
    DOCUMENT_SETTINGS.check(principal, "manage")
    keys = [question.key for question in data.questions]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidInput.field("questions", f"keys must be unique: {', '.join(repeated)}")
    newest = await session.scalar(select(func.max(col(SecurityFaqTemplate.template_version))))
    version = (newest or 1) + 1
    session.add(
        SecurityFaqTemplate(
            template_version=version,
            questions=[question.model_dump(mode="json") for question in data.questions],
        )
    )
    await flush(session)
    return Template(version, list(data.questions))


async def _rules_row(session: AsyncSession) -> ScoringSettings | None:
    return await session.scalar(select(ScoringSettings).where(col(ScoringSettings.scope) == "org"))


async def load_rules(session: AsyncSession) -> ScoringRules:
    """The rules PR/FAQs are scored by: the defaults until an admin sets them."""
    row = await _rules_row(session)
    return ScoringRules() if row is None else ScoringRules.model_validate(row.rules)


async def set_rules(
    session: AsyncSession, *, data: ScoringRulesUpdate, principal: Principal
) -> ScoringRules:
    """Replace the scoring rules; revisions saved before keep the scores they got."""
    DOCUMENT_SETTINGS.check(principal, "manage")
    if data.reading_ease_warn > data.reading_ease_pass:
        raise InvalidInput.field("reading_ease_warn", "must not be above reading_ease_pass")
    rules = ScoringRules.model_validate(data.model_dump())
    row = await _rules_row(session)
    if row is None:
        session.add(ScoringSettings(rules=rules.model_dump(mode="json")))
    else:
        row.rules = rules.model_dump(mode="json")
        row.updated_at = utcnow()
    await flush(session)
    return rules
