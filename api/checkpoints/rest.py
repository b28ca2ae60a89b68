"""REST face of launch checkpoints: the catalogue (/checkpoint-kinds), a product's checkpoints
with their results, sign-off and waiver, its findings (/products/{slug}/findings, /findings/{id}),
its readiness, the re-test queue (/checkpoints) and the findings' fix-by deadlines."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter
from pydantic import BaseModel

from api.checkpoints import catalogue, findings, readiness, service
from api.checkpoints.models import FindingStatus, Outcome, Severity
from api.checkpoints.policy import CHECKPOINT_KINDS, CHECKPOINTS, FINDINGS, READINESS
from api.checkpoints.schemas import (
    KIND_KEY_PATTERN,
    CheckpointRead,
    DeadlinesRead,
    DeadlinesUpdate,
    DueCheckpointRead,
    FindingRead,
    FindingsUpload,
    FindingUpdate,
    KindRead,
    ReadinessRead,
    ResultCreate,
    ResultRead,
    SignOffCreate,
    UploadRead,
    WaiverCreate,
    WaiverRead,
)
from api.checkpoints.views import (
    checkpoint_read,
    due_read,
    finding_read,
    kind_read,
    readiness_read,
    result_read,
    waiver_read,
)
from api.core import idempotency
from api.core.access import PrincipalDep
from api.core.db import WRITE_INTENT_OPT, SessionDep, utcnow
from api.core.pagination import Page, Paging, check_limit, decode_cursor, encode_cursor
from api.core.resource import Resource
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    READ_PROBLEMS,
    UPDATE_PROBLEMS,
    IfMatch,
    IncludeArchived,
    PagingDep,
    ProductSlug,
    choice,
    choice_of,
    created_headers,
    guarded,
    list_route,
    location,
    moment,
    problems,
    text,
    versioned,
    when,
)
from api.core.writes import etag

KindKey = Annotated[str, Parameter(pattern=KIND_KEY_PATTERN, description="The kind's key")]
FindingId = Annotated[uuid.UUID, Parameter(description="The finding's id")]
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
_SENSITIVE_READ = {WRITE_INTENT_OPT: True}  # a read that records an access event writes

KIND = Resource(CHECKPOINT_KINDS, "CheckpointKind", "/{key:str}", {"key": KindKey}, kind_read)


@list_route("listCheckpointKinds", CHECKPOINT_KINDS, summary="List checkpoint kinds")
async def list_kinds(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    include_archived: IncludeArchived = False,
) -> Page[KindRead]:
    """The catalogue: every kind of launch checkpoint, in catalogue order."""
    kinds = await catalogue.list_kinds(
        session, include_archived=include_archived, principal=principal
    )
    return _page_of(kinds, paging, kind_read, "kind")


def _page_of(rows: list[Any], paging: Paging, show: Any, kind: str) -> Page[Any]:
    limit = check_limit(paging.limit)
    if paging.cursor is not None:
        after = decode_cursor(paging.cursor, kind)
        ids = [row.id for row in rows]
        rows = rows[ids.index(after) + 1 :] if after in ids else []
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].id, kind) if more and rows else None
    return Page(items=[show(row) for row in rows], next_cursor=cursor)


create_kind = KIND.create(
    catalogue.create_kind,
    "Add a kind of checkpoint; products whose classification it names need it at once.",
    verb="manage",
)
get_kind = KIND.get(catalogue.get_kind)
update_kind = KIND.update(
    catalogue.update_kind, doc="Change a kind; every product's checkpoint follows.", verb="manage"
)
archive_kind = KIND.archive(catalogue.archive_kind, verb="manage")

KIND_ROUTES = Router(
    "/checkpoint-kinds",
    tags=["checkpoints"],
    route_handlers=[list_kinds, create_kind, get_kind, update_kind, archive_kind],
)


# A product's checkpoints ------------------------------------------------------------------


@list_route(
    "listProductCheckpoints",
    CHECKPOINTS,
    path="/checkpoints",
    summary="A product's checkpoints",
    responses=NESTED_LIST_PROBLEMS,
)
async def list_checkpoints(
    session: SessionDep, principal: PrincipalDep, paging: PagingDep, slug: ProductSlug
) -> Page[CheckpointRead]:
    """One checkpoint per kind in the catalogue, in catalogue order, with its status, latest
    result and waiver; `required` says whether the product's data classification needs it."""
    window = await service.list_checkpoints(session, slug, principal=principal, paging=paging)
    return window.page(checkpoint_read)


def _answer(view: service.CheckpointView) -> Response[CheckpointRead]:
    headers = {"ETag": etag(view.checkpoint)} if view.checkpoint else {}
    return Response(checkpoint_read(view), headers=headers)


@guarded(
    get,
    "/checkpoints/{key:str}",
    "getProductCheckpoint",
    CHECKPOINTS,
    "read",
    summary="A product's checkpoint",
    responses=READ_PROBLEMS,
)
async def get_checkpoint(
    session: SessionDep, principal: PrincipalDep, slug: ProductSlug, key: KindKey
) -> Response[CheckpointRead]:
    """Where one checkpoint stands: status, latest result, sign-off and waiver."""
    return _answer(await service.get_checkpoint(session, slug, key, principal=principal))


@guarded(
    patch,
    "/checkpoints/{key:str}",
    "signOffCheckpoint",
    CHECKPOINTS,
    "sign-off",
    summary="Sign a checkpoint off",
    responses=UPDATE_PROBLEMS,
)
async def sign_off(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    key: KindKey,
    data: JSONBody[SignOffCreate],
    if_match: IfMatch = None,
) -> Response[CheckpointRead]:
    """A reviewer kind's decision, `passed` or `failed`, with a comment and the results it
    relied on. Only the kind's reviewer role may decide; automatic kinds are decided by their
    latest result (409)."""
    view = await service.sign_off(
        session, slug, key, data=data, if_match=if_match, principal=principal
    )
    return _answer(view)


@guarded(
    post,
    "/checkpoints/{key:str}/results",
    "recordCheckpointResult",
    CHECKPOINTS,
    "record",
    summary="Post a test result",
    responses=problems(404, 409, 413, 415, 422),
    status_code=201,
    response_headers=created_headers()[:1],
)
async def record_result(
    request: Request[Any, Any, Any],
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    key: KindKey,
    data: JSONBody[ResultCreate],
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Response[ResultRead]:
    """Evidence from one test run: outcome, approach, links, commit, pipeline and counts. With
    `Idempotency-Key`, a retry returns the first answer and records nothing twice."""

    async def write() -> tuple[int, ResultRead, dict[str, str]]:
        result = await service.record_result(session, slug, key, data=data, principal=principal)
        where = location(request, "getCheckpointResult", slug=slug, key=key, result_id=result.id)
        return 201, result_read(result, product=slug, checkpoint=key), {"Location": where}

    return await _idempotent(
        session, principal, idempotency_key, f"result {slug} {key}", data, write
    )


@guarded(
    get,
    "/checkpoints/{key:str}/results/{result_id:uuid}",
    "getCheckpointResult",
    CHECKPOINTS,
    "read",
    summary="One test result",
    responses=READ_PROBLEMS,
    name="getCheckpointResult",
)
async def get_result(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    key: KindKey,
    result_id: Annotated[uuid.UUID, Parameter(description="The result's id")],
) -> ResultRead:
    """One result posted for the checkpoint."""
    result = await service.get_result(session, slug, key, result_id, principal=principal)
    return result_read(result, product=slug, checkpoint=key)


async def _idempotent(
    session: Any,
    principal: Any,
    key: str | None,
    target: str,
    data: BaseModel,
    write: Callable[[], Awaitable[tuple[int, BaseModel, dict[str, str]]]],
) -> Response[Any]:
    """An upload under `Idempotency-Key`: the first answer again for a retry, else `write`'s
    answer, kept with the key in the same transaction."""
    claim = await idempotency.claim(
        session,
        principal,
        idempotency.checked_key(key),
        idempotency.request_hash(target, data.model_dump(mode="json")),
    )
    if claim.replay:
        return Response(
            claim.replay_body,
            status_code=claim.replay_status,
            headers={idempotency.REPLAYED: "true"},
        )
    status, body, headers = await write()
    claim.complete(status, body.model_dump(mode="json"))
    return Response(body, status_code=status, headers=headers)


@list_route(
    "listCheckpointResults",
    CHECKPOINTS,
    path="/checkpoints/{key:str}/results",
    summary="A checkpoint's results",
    responses=NESTED_LIST_PROBLEMS,
)
async def list_results(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    key: KindKey,
    paging: PagingDep,
    outcome: Annotated[str | None, choice_of(Outcome, "Only results with this outcome")] = None,
) -> Page[ResultRead]:
    """Every result posted for the checkpoint, oldest first."""
    window = await service.list_results(
        session,
        slug,
        key,
        outcome=choice(Outcome, outcome, field="outcome"),
        principal=principal,
        paging=paging,
    )
    return window.page(lambda result: result_read(result, product=slug, checkpoint=key))


@guarded(
    get,
    "/checkpoints/{key:str}/waiver",
    "getCheckpointWaiver",
    CHECKPOINTS,
    "read",
    summary="A checkpoint's waiver",
    responses=READ_PROBLEMS,
)
async def get_waiver(
    session: SessionDep, principal: PrincipalDep, slug: ProductSlug, key: KindKey
) -> WaiverRead:
    """The checkpoint's latest waiver, active or not (`active` says); 404 when it has none."""
    view = await service.get_waiver(session, slug, key, principal=principal)
    assert view.waiver is not None
    return waiver_read(view.waiver)


@guarded(
    put,
    "/checkpoints/{key:str}/waiver",
    "waiveCheckpoint",
    CHECKPOINTS,
    "waive",
    summary="Waive a checkpoint",
    responses=problems(404, 409, 413, 415, 422),
)
async def waive(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    key: KindKey,
    data: JSONBody[WaiverCreate],
) -> WaiverRead:
    """Let launch go ahead without this checkpoint passing, until `expires_at` (at most 90 days
    away), with a justification. Only the kind's reviewer role or an admin approves; a new
    waiver replaces an active one. It stops counting on its own when it expires."""
    view = await service.grant_waiver(session, slug, key, data=data, principal=principal)
    assert view.waiver is not None
    return waiver_read(view.waiver)


@guarded(
    delete,
    "/checkpoints/{key:str}/waiver",
    "revokeCheckpointWaiver",
    CHECKPOINTS,
    "waive",
    summary="Revoke a waiver",
    responses=problems(404, 409, 422),
)
async def revoke_waiver(
    session: SessionDep, principal: PrincipalDep, slug: ProductSlug, key: KindKey
) -> None:
    """End the checkpoint's active waiver now."""
    await service.revoke_waiver(session, slug, key, principal=principal)


@guarded(
    get,
    "/readiness",
    "getProductReadiness",
    READINESS,
    "read",
    summary="Is the product cleared to launch?",
    responses=READ_PROBLEMS,
)
async def get_readiness(
    session: SessionDep, principal: PrincipalDep, slug: ProductSlug
) -> ReadinessRead:
    """`ready`, and every blocker with a stable `code`: the PR/FAQ or security FAQ not approved
    or incomplete, each required blocking checkpoint not passed (not started, in progress,
    failed, stale, waiver expired), open critical or high findings, overdue findings. Advisory
    checkpoints and expiring waivers are `warnings`. Moving to `launch_review` or `launched`
    needs it."""
    return readiness_read(await readiness.product_readiness(session, slug, principal=principal))


# Findings ------------------------------------------------------------------------------------


@list_route(
    "listProductFindings",
    FINDINGS,
    path="/findings",
    summary="A product's findings",
    responses=NESTED_LIST_PROBLEMS,
    opt=_SENSITIVE_READ,
)
async def list_findings(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    paging: PagingDep,
    status: Annotated[str | None, choice_of(FindingStatus, "Only this status")] = None,
    severity: Annotated[str | None, choice_of(Severity, "Only this severity")] = None,
    checkpoint: Annotated[
        str | None, text("Only from this kind of checkpoint", max_length=63)
    ] = None,
    overdue: Annotated[bool | None, Parameter(description="Only (or never) overdue ones")] = None,
) -> Page[FindingRead]:
    """The product's findings, oldest first. Sensitive: the read is recorded in the audit
    trail; viewers may not read them."""
    window = await findings.list_findings(
        session,
        slug,
        status=choice(FindingStatus, status, field="status"),
        severity=choice(Severity, severity, field="severity"),
        checkpoint=checkpoint,
        overdue=overdue,
        principal=principal,
        paging=paging,
    )
    return window.page(finding_read)


@guarded(
    post,
    "/findings",
    "uploadFindings",
    FINDINGS,
    "record",
    summary="Upload a tool's findings",
    responses=problems(404, 409, 413, 415, 422),
    status_code=200,
    # A whole scan in one upload (a full upload cannot be split): up to 5,000 findings.
    request_max_body_size=MAX_UPLOAD_BYTES,
)
async def upload_findings(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    data: JSONBody[FindingsUpload],
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Response[UploadRead]:
    """Add or update one tool's findings for one checkpoint, matched by fingerprint. A full
    upload (the default) marks the tool's open findings it no longer lists as fixed; a fixed
    finding reported again opens again. With `Idempotency-Key`, a retry changes nothing."""

    async def write() -> tuple[int, UploadRead, dict[str, str]]:
        outcome = await findings.upload_findings(session, slug, data=data, principal=principal)
        body = UploadRead(
            created=outcome.created,
            updated=outcome.updated,
            fixed=outcome.fixed,
            items=[finding_read(view) for view in outcome.items],
        )
        return 200, body, {}

    return await _idempotent(session, principal, idempotency_key, f"findings {slug}", data, write)


PRODUCT_ROUTES = Router(
    "/products/{slug:str}",
    tags=["checkpoints"],
    route_handlers=[
        list_checkpoints,
        get_checkpoint,
        sign_off,
        record_result,
        get_result,
        list_results,
        get_waiver,
        waive,
        revoke_waiver,
        get_readiness,
        list_findings,
        upload_findings,
    ],
)


@guarded(
    get,
    "/findings/{finding_id:uuid}",
    "getFinding",
    FINDINGS,
    "read",
    summary="One finding",
    responses=READ_PROBLEMS,
    opt=_SENSITIVE_READ,
)
async def get_finding(
    session: SessionDep, principal: PrincipalDep, finding_id: FindingId
) -> Response[FindingRead]:
    """One finding, with its fix-by time and whether it is overdue; the read is recorded."""
    view = await findings.get_finding(session, finding_id, principal=principal)
    return versioned(finding_read(view), view.finding)


@guarded(
    patch,
    "/findings/{finding_id:uuid}",
    "updateFinding",
    FINDINGS,
    "triage",
    summary="Triage a finding",
    responses=UPDATE_PROBLEMS,
)
async def update_finding(
    session: SessionDep,
    principal: PrincipalDep,
    finding_id: FindingId,
    data: JSONBody[FindingUpdate],
    if_match: IfMatch = None,
) -> Response[FindingRead]:
    """Mark a finding `fixed`, `open` again, or (security reviewers and admins) `accepted_risk`
    with a reason and an expiry at most a year away, after which it counts as open again."""
    view = await findings.update_finding(
        session, finding_id, data=data, if_match=if_match, principal=principal
    )
    return versioned(finding_read(view), view.finding)


@list_route("listDueCheckpoints", CHECKPOINTS, path="/checkpoints", summary="Re-test queue")
async def list_due(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    due_before: Annotated[
        str | None, when("Due before this moment (RFC 3339); now by default")
    ] = None,
    team: Annotated[str | None, text("Owning team's slug", max_length=63)] = None,
) -> Page[DueCheckpointRead]:
    """Launched products' checkpoints whose re-test falls due before `due_before`: those
    already due are `stale`."""
    window = await service.retest_queue(
        session,
        due_before=moment(due_before, field="due_before") or utcnow(),
        team=team,
        principal=principal,
        paging=paging,
    )
    return window.page(due_read)


@guarded(
    get,
    "/finding-deadlines",
    "getFindingDeadlines",
    CHECKPOINT_KINDS,
    "read",
    summary="Fix-by days per severity",
    responses=problems(),
)
async def get_deadlines(session: SessionDep) -> DeadlinesRead:
    """Days to fix a finding, per severity, from when it is found (defaults 7, 30, 90, 120)."""
    return DeadlinesRead.model_validate(await findings.load_deadlines(session))


@guarded(
    put,
    "/finding-deadlines",
    "setFindingDeadlines",
    CHECKPOINT_KINDS,
    "manage",
    summary="Set fix-by days",
    responses=problems(413, 415, 422),
)
async def set_deadlines(
    session: SessionDep, principal: PrincipalDep, data: JSONBody[DeadlinesUpdate]
) -> DeadlinesRead:
    """Set the fix-by days per severity; every open finding's deadline follows at once."""
    return DeadlinesRead.model_validate(
        await findings.set_deadlines(session, data=data, principal=principal)
    )


OTHER_ROUTES = Router(
    "/",
    tags=["checkpoints"],
    route_handlers=[get_finding, update_finding, list_due, get_deadlines, set_deadlines],
)
