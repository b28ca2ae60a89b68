"""How a product's documents read: REST's shapes, which GraphQL's types are derived from, the
Markdown export and revision diffs."""

import difflib

from api.documents.answers import completeness
from api.documents.models import DocumentKind, DocumentRevision
from api.documents.schemas import (
    Completeness,
    PrfaqRead,
    PrfaqRevisionRead,
    ReviewRead,
    RevisionDiff,
    RevisionMeta,
    SectionDiff,
    SecurityFaqRead,
    SecurityFaqRevisionRead,
    TemplateQuestion,
)
from api.documents.service import DocumentView


def prfaq_revision(revision: DocumentRevision) -> PrfaqRevisionRead:
    """A PR/FAQ revision as clients see it."""
    return PrfaqRevisionRead.model_validate(
        {**revision.content, **_meta(revision), "scores": revision.assessment}
    )


def security_revision(revision: DocumentRevision) -> SecurityFaqRevisionRead:
    """A security FAQ revision as clients see it."""
    return SecurityFaqRevisionRead.model_validate(
        {**revision.content, **_meta(revision), **revision.assessment}
    )


def _meta(revision: DocumentRevision) -> dict[str, object]:
    return RevisionMeta.model_validate(revision, from_attributes=True).model_dump()


def _state(view: DocumentView) -> dict[str, object]:
    document = view.document
    return {
        "product": view.product.slug,
        "status": document.status if document else "draft",
        "version": document.version if document else 0,
        "latest_revision": document.latest_revision if document else 0,
        "reviewing_revision": document.reviewing_revision if document else None,
        "approved_revision": document.approved_revision if document else None,
        "reviews": [ReviewRead.model_validate(review) for review in view.reviews],
    }


def prfaq_read(view: DocumentView) -> PrfaqRead:
    """A product's PR/FAQ as clients see it."""
    return PrfaqRead(
        **_state(view),
        latest=prfaq_revision(view.latest) if view.latest else None,
        approved=prfaq_revision(view.approved) if view.approved else None,
    )


def security_read(view: DocumentView, questions: list[TemplateQuestion]) -> SecurityFaqRead:
    """A product's security FAQ as clients see it, complete or not for its classification
    against the template in force."""
    answers = view.latest.content["answers"] if view.latest else []
    done: Completeness = completeness(answers, questions, view.product)
    return SecurityFaqRead(
        **_state(view),
        latest=security_revision(view.latest) if view.latest else None,
        approved=security_revision(view.approved) if view.approved else None,
        completeness=done,
    )


def sections(kind: DocumentKind, revision: DocumentRevision) -> dict[str, str]:
    """A revision's sections as text, in document order: what a diff compares."""
    content = revision.content
    if kind == DocumentKind.PRFAQ:
        parts = {
            "headline": content["headline"],
            "subheading": content["subheading"],
            "body": content["body"],
        }
        for index, entry in enumerate(content["faq"], start=1):
            parts[f"faq {index} ({entry['audience']})"] = (
                f"Q: {entry['question']}\nA: {entry['answer']}"
            )
        return parts
    return {
        answer["key"]: (
            f"Not applicable: {answer['reason']}"
            if answer.get("not_applicable")
            else answer["answer"]
        )
        for answer in content["answers"]
    }


def diff(kind: DocumentKind, new: DocumentRevision, old: DocumentRevision | None) -> RevisionDiff:
    """Revision `new` against `old` (None: the empty document), section by section; a section
    only one has counts as all added or all removed."""
    before, after = sections(kind, old) if old else {}, sections(kind, new)
    old_number = old.number if old else 0
    names = list(after) + [name for name in before if name not in after]
    compared = []
    for name in names:
        lines = difflib.unified_diff(
            before.get(name, "").splitlines(),
            after.get(name, "").splitlines(),
            fromfile=f"revision {old_number}",
            tofile=f"revision {new.number}",
            lineterm="",
        )
        compared.append(SectionDiff(section=name, diff="\n".join(lines)))
    return RevisionDiff(revision=new.number, against=old_number, sections=compared)


def markdown(view: DocumentView, questions: list[TemplateQuestion]) -> str:
    """The whole document as Markdown: the latest revision, with its state."""
    title = "PR/FAQ" if view.kind == DocumentKind.PRFAQ else "Security FAQ"
    status = view.document.status if view.document else "draft"
    lines = [f"<!-- {title} of {view.product.slug}; status: {status} -->", ""]
    revision = view.latest
    if revision is None:
        return "\n".join(
            [*lines, f"# {view.product.name}: {title}", "", "_Nothing written yet._", ""]
        )
    lines.append(f"<!-- revision {revision.number} by {revision.author} -->")
    content = revision.content
    if view.kind == DocumentKind.PRFAQ:
        lines += ["", f"# {content['headline']}", ""]
        if content["subheading"]:
            lines += [f"## {content['subheading']}", ""]
        lines += [content["body"], "", "## FAQ", ""]
        for audience in ("customer", "internal"):
            entries = [entry for entry in content["faq"] if entry["audience"] == audience]
            if entries:
                lines += [f"### {audience.capitalize()} questions", ""]
                for entry in entries:
                    lines += [f"**{entry['question']}**", "", entry["answer"], ""]
        return "\n".join(lines)
    answers = {answer["key"]: answer for answer in content["answers"]}
    lines += ["", f"# {view.product.name}: security FAQ", ""]
    for question in questions:
        given = answers.get(question.key)
        if given is None:
            text = "_Not answered._"
        elif given.get("not_applicable"):
            text = f"_Not applicable:_ {given['reason']}"
        else:
            text = given["answer"]
        lines += [f"## {question.question}", "", text, ""]
    return "\n".join(lines)
