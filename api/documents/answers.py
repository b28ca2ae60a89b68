"""A security FAQ's answers against the template: which are valid, and how complete they are for
a product's classification."""

from fractions import Fraction
from typing import Any

from api.core.errors import FieldError, InvalidInput
from api.documents.models import given_keys
from api.documents.schemas import Completeness, SecurityFaqRevisionCreate, TemplateQuestion
from api.documents.template import required_keys
from api.products.models import Product


def completeness(
    answers: list[dict[str, Any]], questions: list[TemplateQuestion], product: Product
) -> Completeness:
    """How much of what `product`'s classification requires the answers cover."""
    required = required_keys(questions, product.data_classification)
    given = given_keys(answers)
    missing = [key for key in required if key not in given]
    answered = len(required) - len(missing)
    return Completeness(
        classification=product.data_classification,
        required=len(required),
        answered=answered,
        ratio=completeness_ratio(answered, len(required)),
        missing=missing,
    )


def completeness_ratio(answered: int, required: int) -> float:
    """`answered` ÷ `required` to 4 decimal places, a half to the even digit, worked out exactly
    (not on the float: 1/32 is 0.0312, as the portfolio CSV's SQL writes it), 1.0 when nothing
    is required."""
    return float(round(Fraction(answered, required), 4)) if required else 1.0


def check_answers(data: SecurityFaqRevisionCreate, questions: list[TemplateQuestion]) -> None:
    """Refuse answers to questions the template does not ask, answered twice, or marked not
    applicable without a reason; each error names its answer."""
    known = {question.key for question in questions}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, answer in enumerate(data.answers):
        where = f"answers.{index}"
        if answer.key not in known:
            errors.append(FieldError(f"{where}.key", f"{answer.key!r} is not a template question"))
        elif answer.key in seen:
            errors.append(FieldError(f"{where}.key", f"{answer.key!r} is answered twice"))
        seen.add(answer.key)
        if answer.not_applicable and not answer.reason:
            errors.append(FieldError(f"{where}.reason", "is required when not applicable"))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
