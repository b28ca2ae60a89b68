"""One audit event per change through GraphQL, naming the token or the person it acts as."""

from datetime import date
from typing import Any

from litestar import Litestar

from tests.audit.events import (
    Sent,
    archived_at_change,
    caller,
    check_event,
    created,
    mutate,
    person_caller,
)
from tests.helpers import Client

CREATE_PERSON = """
mutation($email: String!) {
  createPerson(input: {email: $email, name: "Linus", jobFamily: ENGINEERING, homeOrg: "kernel"})
  { id }
}
"""


UPDATE_PERSON = 'mutation($id: UUID!) { updatePerson(input: {id: $id, homeOrg: "git"}) { id } }'


ARCHIVE_PERSON = "mutation($id: UUID!) { archivePerson(input: {id: $id}) { id archivedAt } }"


CREATE_TEAM = 'mutation { createTeam(input: {slug: "kernel", name: "Kernel", org: "os"}) { id } }'


UPDATE_TEAM = 'mutation { updateTeam(input: {slug: "kernel", name: "The Kernel"}) { id } }'


ARCHIVE_TEAM = 'mutation { archiveTeam(input: {slug: "kernel"}) { id archivedAt } }'


ADD_MEMBER = """
mutation($p: UUID!) {
  addTeamMember(input: {team: "kernel", personId: $p, role: ENGINEER, allocationPercent: 40})
  { id }
}
"""


UPDATE_MEMBER = """
mutation($p: UUID!) {
  updateTeamMember(input: {team: "kernel", personId: $p, role: LEAD}) { id }
}
"""


END_MEMBER = (
    'mutation($p: UUID!) { endTeamMembership(input: {team: "kernel", personId: $p}) { id } }'
)


CREATE_PRODUCT = """
mutation {
  createProduct(input: {slug: "scheduler", name: "Scheduler", team: "kernel",
                        dataClassification: INTERNAL}) { id }
}
"""


UPDATE_PRODUCT = """
mutation {
  updateProduct(input: {slug: "scheduler", summary: "Fair", stage: PRFAQ_REVIEW}) { id }
}
"""


ARCHIVE_PRODUCT = 'mutation { archiveProduct(input: {slug: "scheduler"}) { id archivedAt } }'


def mutation_result(sent: Sent, field: str) -> dict[str, Any]:
    """The record a successful mutation returned."""
    assert sent.response.status_code == 200, sent.response.text
    body = sent.response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


async def test_graphql_mutations_write_one_event_each_naming_a_service_token(
    client: Client,
) -> None:
    who = await caller(client)
    assert who.person_id is None
    assert who.actor == "test-admin"

    sent = await mutate(client, CREATE_PERSON, email="linus@example.com")
    person = mutation_result(sent, "createPerson")
    check_event(
        sent,
        who,
        action="create",
        record_type="person",
        record_id=person["id"],
        changes=created(
            email="linus@example.com", name="Linus", job_family="engineering", home_org="kernel"
        ),
    )
    sent = await mutate(client, UPDATE_PERSON, id=person["id"])
    mutation_result(sent, "updatePerson")
    check_event(
        sent,
        who,
        action="update",
        record_type="person",
        record_id=person["id"],
        changes={"home_org": {"old": "kernel", "new": "git"}},
    )

    sent = await mutate(client, CREATE_TEAM)
    team = mutation_result(sent, "createTeam")
    check_event(sent, who, action="create", record_type="team", record_id=team["id"])
    sent = await mutate(client, UPDATE_TEAM)
    mutation_result(sent, "updateTeam")
    check_event(
        sent,
        who,
        action="update",
        record_type="team",
        record_id=team["id"],
        changes={"name": {"old": "Kernel", "new": "The Kernel"}},
    )

    sent = await mutate(client, ADD_MEMBER, p=person["id"])
    membership = mutation_result(sent, "addTeamMember")
    event = check_event(
        sent,
        who,
        action="create",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
    )
    assert event["changes"]["allocation_percent"] == {"old": None, "new": 40}
    sent = await mutate(client, UPDATE_MEMBER, p=person["id"])
    mutation_result(sent, "updateTeamMember")
    check_event(
        sent,
        who,
        action="update",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"role": {"old": "engineer", "new": "lead"}},
    )
    sent = await mutate(client, END_MEMBER, p=person["id"])
    mutation_result(sent, "endTeamMembership")
    check_event(
        sent,
        who,
        action="end",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"end_date": {"old": None, "new": date.today().isoformat()}},
    )

    sent = await mutate(client, CREATE_PRODUCT)
    product = mutation_result(sent, "createProduct")
    event = check_event(sent, who, action="create", record_type="product", record_id=product["id"])
    assert event["changes"]["team_id"] == {"old": None, "new": team["id"]}
    sent = await mutate(client, UPDATE_PRODUCT)
    mutation_result(sent, "updateProduct")
    check_event(
        sent,
        who,
        action="update",
        record_type="product",
        record_id=product["id"],
        changes={
            "summary": {"old": "", "new": "Fair"},
            "stage": {"old": "idea", "new": "prfaq_review"},
        },
    )
    sent = await mutate(client, ARCHIVE_PRODUCT)
    mutation_result(sent, "archiveProduct")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="product", record_id=product["id"])
    )

    sent = await mutate(client, ARCHIVE_TEAM)
    mutation_result(sent, "archiveTeam")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="team", record_id=team["id"])
    )
    sent = await mutate(client, ARCHIVE_PERSON, id=person["id"])
    mutation_result(sent, "archivePerson")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="person", record_id=person["id"])
    )


async def test_graphql_events_name_the_person_a_token_acts_as(
    app: Litestar, client: Client
) -> None:
    who = await person_caller(app, client)
    sent = await mutate(client, CREATE_TEAM, token=who.token)
    team = mutation_result(sent, "createTeam")
    check_event(sent, who, action="create", record_type="team", record_id=team["id"])
    assert who.person_id is not None
    assert who.actor.endswith("@example.com")
