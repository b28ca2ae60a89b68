"""Every figure of `GET /api/v1/portfolio`, the GraphQL `portfolio` field and the CSV, against
the portfolio built in conftest.py, whose figures are known by construction."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from litestar import Litestar

from api.core.access import Role
from tests.factories import create_product, seed_products, seed_teams, unique
from tests.graphql import gql_data, gql_error
from tests.helpers import API, Client, app_engine, bearer, count_statements, issue_token
from tests.portfolio.conftest import Built


async def portfolio(client: Client, headers: dict[str, str] | None = None, **filters: str) -> Any:
    response = await client.get(f"{API}/portfolio", params=filters, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def counts(items: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {item[key]: item["count"] for item in items}


async def test_products_by_stage_org_and_classification(client: Client, built: Built) -> None:
    products = (await portfolio(client))["products"]
    assert products["total"] == 6
    assert counts(products["by_stage"], "stage") == {
        "idea": 1,
        "prfaq_review": 0,
        "approved": 0,
        "building": 1,
        "launch_review": 2,
        "launched": 1,
        "retired": 1,
    }
    assert [item["stage"] for item in products["by_stage"]][:2] == ["idea", "prfaq_review"]
    assert counts(products["by_org"], "org") == {"north": 3, "south": 3}
    assert counts(products["by_classification"], "data_classification") == {
        "public": 4,
        "internal": 1,
        "confidential": 1,
        "restricted": 0,
    }


async def test_readiness_blockers_and_launches_due(client: Client, built: Built) -> None:
    readiness = (await portfolio(client))["readiness"]
    assert (readiness["assessed"], readiness["ready"], readiness["blocked"]) == (5, 1, 4)
    blockers = {item["code"]: item["products"] for item in readiness["blockers"]}
    assert blockers == {
        "prfaq_not_approved": 1,
        "security_faq_not_approved": 2,
        "security_faq_incomplete": 2,
        "checkpoint_not_started": 2,
        "checkpoint_in_progress": 1,
        "checkpoint_failed": 1,
        "checkpoint_stale": 1,
        "waiver_expired": 1,
        "open_critical_findings": 1,
        "open_high_findings": 1,
        "overdue_findings": 1,
    }
    # Most common first.
    assert [item["products"] for item in readiness["blockers"]][:4] == [2, 2, 2, 1]
    assert readiness["launch_windows"] == [
        {"days": 30, "due": 1, "ready": 1},
        {"days": 90, "due": 2, "ready": 1},
    ]
    due = readiness["launches_due"]
    assert [(item["product"], item["days_until"], item["ready"]) for item in due] == [
        ("ready-one", 10, True),
        ("blocked-two", 60, False),
    ]
    assert due[0]["target_launch_date"] == (built.today + timedelta(days=10)).isoformat()
    assert due[1]["blockers"] == [
        "security_faq_not_approved",
        "security_faq_incomplete",
        "checkpoint_not_started",
        "checkpoint_in_progress",
        "checkpoint_failed",
        "open_critical_findings",
        "open_high_findings",
        "overdue_findings",
    ]


async def test_readiness_agrees_with_each_products_readiness_answer(
    client: Client, built: Built
) -> None:
    table = await csv_table(client)
    figures = await portfolio(client)
    for row in table:
        answer = (await client.get(f"{API}/products/{row['product']}/readiness")).json()
        assert row["ready"] == ("true" if answer["ready"] else "false"), row["product"]
        codes = {item["code"] for item in answer["blockers"]}
        assert set(row["blockers"].split()) == codes, row["product"]
        due = {item["product"]: item for item in figures["readiness"]["launches_due"]}
        if row["product"] in due:
            assert due[row["product"]]["ready"] is answer["ready"], row["product"]
            assert set(due[row["product"]]["blockers"]) == codes, row["product"]


async def test_slips(client: Client, built: Built) -> None:
    slips = (await portfolio(client))["slips"]
    assert (slips["products_slipped"], slips["slips"], slips["days"]) == (2, 3, 35)
    assert slips["by_month"] == [{"month": built.today.strftime("%Y-%m"), "slips": 3, "days": 35}]
    assert [(item["product"], item["slips"], item["days"]) for item in slips["products"]] == [
        ("blocked-two", 2, 30),
        ("ready-one", 1, 5),
    ]
    for item in slips["products"]:  # when it last slipped: today, in UTC as the API writes times
        assert item["last_slipped_at"].endswith("Z"), item
        slipped_at = datetime.fromisoformat(item["last_slipped_at"])
        assert slipped_at.tzinfo is not None
        assert slipped_at.utcoffset() == timedelta(0)
        assert slipped_at.date() == built.today


async def test_clearing_a_date_before_moving_it_later_hides_no_slip(client: Client) -> None:
    # Through the API, as a team would: 10 days later, cleared, then 30 days after that.
    product = await create_product(client, target_launch_date="2027-03-01")
    for date in ("2027-03-11", None, "2027-04-10", None, "2027-04-01"):
        changed = await client.patch(
            f"{API}/products/{product['slug']}", json={"target_launch_date": date}
        )
        assert changed.status_code == 200, changed.text
    slips = (await portfolio(client, team=product["team"]))["slips"]
    # 10 + 30 days; set again earlier than the date cleared (2027-04-01) is no slip.
    assert (slips["products_slipped"], slips["slips"], slips["days"]) == (1, 2, 40)


async def test_checkpoints(client: Client, built: Built) -> None:
    assert (await portfolio(client))["checkpoints"] == {
        "passed": 6,
        "failed": 2,
        "stale": 1,
        "waived": 1,
        "in_progress": 1,
        "not_started": 6 * 5 - 11,
        "waivers_expiring": 1,
        "retests_overdue": 1,
        "products_overdue_for_retest": 1,
    }


async def test_findings(client: Client, built: Built) -> None:
    assert (await portfolio(client))["findings"] == {
        "open": {"critical": 1, "high": 1, "medium": 0, "low": 0},
        "open_total": 2,
        "overdue": 1,
        "products_with_overdue": 1,
    }


async def test_documents(client: Client, built: Built) -> None:
    assert (await portfolio(client))["documents"] == {
        "prfaq": {
            "missing": 2,
            "draft": 0,
            "in_review": 0,
            "approved": 4,
            "changes_requested": 0,
        },
        "security_faq": {
            "missing": 2,
            "draft": 1,
            "in_review": 0,
            "approved": 3,
            "changes_requested": 0,
            "average_completeness": 0.75,
        },
    }


async def test_teams(client: Client, built: Built) -> None:
    assert (await portfolio(client))["teams"] == {
        "total": 3,
        "by_health": {
            "under": 0,
            "recommended": 1,
            "acceptable": 1,
            "over": 1,
            "over_with_exception": 0,
        },
        "over_without_exception": [
            {"team": "gamma", "name": "Gamma Team", "org": "south", "headcount": 11}
        ],
    }


async def test_filters(client: Client, built: Built) -> None:
    north = await portfolio(client, org="north")
    assert north["filter"] == {"org": "north", "team": None, "stage": None}
    assert north["products"]["total"] == 3
    assert north["teams"]["total"] == 1
    assert north["readiness"]["ready"] == 1
    beta = await portfolio(client, team="beta")
    assert beta["products"]["total"] == 3
    assert beta["slips"]["slips"] == 0
    assert beta["checkpoints"]["stale"] == 1
    assert beta["teams"]["total"] == 1
    review = await portfolio(client, stage="launch_review")
    assert review["products"]["total"] == 2
    assert review["readiness"]["blockers"] == [{"code": "waiver_expired", "products": 1}]
    # Teams owning a product in the stage.
    assert review["teams"]["total"] == 1
    nothing = await portfolio(client, org="nowhere")
    assert nothing["products"]["total"] == 0
    assert nothing["documents"]["security_faq"]["average_completeness"] is None
    # An empty filter is no filter, as the page's form sends them, in REST and GraphQL alike.
    everything = await portfolio(client)
    emptied = await portfolio(client, org="", team="", stage="")
    assert emptied | {"generated_at": None} == everything | {"generated_at": None}
    query = '{ portfolio(filter: {org: "", team: ""}) { filter { org team } products { total } } }'
    assert await gql_data(client, query) == {
        "portfolio": {"filter": {"org": None, "team": None}, "products": {"total": 6}}
    }


async def test_a_stage_that_is_none_is_refused(client: Client, built: Built) -> None:
    response = await client.get(f"{API}/portfolio", params={"stage": "shipped"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage"


async def test_viewers_see_no_findings_nor_security_faqs(
    client: Client, built: Built, viewer: dict[str, str]
) -> None:
    seen = await portfolio(client, viewer)
    assert seen["findings"] is None
    assert seen["documents"]["security_faq"] is None
    assert seen["documents"]["prfaq"]["approved"] == 4
    assert seen["products"]["total"] == 6
    table = await csv_table(client, viewer)
    assert {row["open_critical_findings"] for row in table} == {""}
    assert {row["security_faq_status"] for row in table} == {""}


async def test_a_ci_token_sees_only_its_products(
    app: Litestar, client: Client, built: Built
) -> None:
    ci = bearer(await issue_token(app, Role.CI, products=["blocked-two"], name=unique("ci")))
    seen = await portfolio(client, ci)
    assert seen["products"]["total"] == 1
    assert seen["findings"]["open_total"] == 2
    assert seen["documents"]["security_faq"] is None
    # Its role may not read teams (403 on /teams): their names and health are left out.
    assert seen["teams"] is None
    table = await csv_table(client, ci)
    assert [(row["product"], row["team"], row["team_name"]) for row in table] == [
        ("blocked-two", "alpha", "")
    ]
    query = "{ portfolio { teams { total } products { total } } }"
    answer = await client.post("/graphql", json={"query": query}, headers=ci)
    assert answer.json() == {"data": {"portfolio": {"teams": None, "products": {"total": 1}}}}


async def test_without_a_token_nothing(anonymous: Client) -> None:
    for path in ("/portfolio", "/portfolio.csv"):
        assert (await anonymous.get(f"{API}{path}")).status_code == 401


# GraphQL -------------------------------------------------------------------------------------

QUERY = """
query Portfolio($filter: PortfolioFilterInput) {
  portfolio(filter: $filter) {
    filter { org team stage }
    products { total byStage { stage count } }
    readiness { ready blocked blockers { code products } launchWindows { days due ready } }
    slips { productsSlipped slips days }
    checkpoints { passed failed stale waived waiversExpiring retestsOverdue }
    findings { openTotal overdue open { critical high } }
    documents { prfaq { approved } securityFaq { approved averageCompleteness } }
    teams { total overWithoutException { team } }
  }
}
"""


async def test_graphql_gives_the_same_figures(client: Client, built: Built) -> None:
    data = (await gql_data(client, QUERY, filter={"org": "north"}))["portfolio"]
    rest = await portfolio(client, org="north")
    assert data["filter"] == {"org": "north", "team": None, "stage": None}
    assert data["products"]["total"] == rest["products"]["total"] == 3
    assert data["readiness"]["ready"] == rest["readiness"]["ready"]
    assert data["readiness"]["blockers"] == rest["readiness"]["blockers"]
    assert data["slips"] == {"productsSlipped": 2, "slips": 3, "days": 35}
    assert data["findings"]["open"] == {"critical": 1, "high": 1}
    assert data["documents"]["securityFaq"]["averageCompleteness"] == 0.6667
    every = (await gql_data(client, QUERY, filter={"stage": "LAUNCHED"}))["portfolio"]
    assert every["products"]["total"] == 1
    assert every["checkpoints"]["stale"] == 1
    assert every["teams"]["overWithoutException"] == []


async def test_graphql_leaves_out_what_a_viewer_may_not_read(
    client: Client, built: Built, viewer: dict[str, str]
) -> None:
    response = await client.post("/graphql", json={"query": QUERY}, headers=viewer)
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["portfolio"]["findings"] is None
    assert body["data"]["portfolio"]["documents"]["securityFaq"] is None
    assert body["data"]["portfolio"]["products"]["total"] == 6


async def test_graphql_adds_the_portfolio_up_once_a_document(client: Client, built: Built) -> None:
    # Each alias or fragment would add the whole portfolio up again: one response key only.
    refused = [
        "{ a: portfolio { products { total } } b: portfolio { products { total } } }",
        "fragment A on Query { a: portfolio { products { total } } }"
        " fragment B on Query { portfolio { slips { slips } } } { ...A ...B }",
    ]
    for query in refused:
        error = await gql_error(client, query, "BAD_USER_INPUT")
        assert "portfolio" in error["message"]
    # The same field asked twice under one key is merged, and runs once.
    merged = "{ portfolio { products { total } } portfolio { slips { slips } } }"
    assert await gql_data(client, merged) == {
        "portfolio": {"products": {"total": 6}, "slips": {"slips": 3}}
    }


# CSV ---------------------------------------------------------------------------------------


async def csv_table(client: Client, headers: dict[str, str] | None = None) -> list[dict[str, str]]:
    response = await client.get(f"{API}/portfolio.csv", headers=headers)
    assert response.status_code == 200, response.text
    # Each parameter once (RFC 6838), the charset among them.
    kind, *parameters = [part.strip() for part in response.headers["content-type"].split(";")]
    assert kind == "text/csv"
    assert sorted(parameters) == ["charset=utf-8", "header=present"]
    text = response.content.decode("utf-8")
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_csv_has_one_row_per_product(client: Client, built: Built) -> None:
    text = (await client.get(f"{API}/portfolio.csv")).text
    written = io.StringIO()
    csv.writer(written, lineterminator="\r\n").writerows(csv.reader(io.StringIO(text, newline="")))
    assert text == written.getvalue()  # as Python's CSV writer writes the same cells
    table = {row["product"]: row for row in await csv_table(client)}
    assert sorted(table) == sorted(built.products)
    two = table["blocked-two"]
    assert two == {
        **two,
        "stage": "building",
        "team": "alpha",
        "org": "north",
        "data_classification": "internal",
        "target_launch_date": (built.today + timedelta(days=60)).isoformat(),
        "slips": "2",
        "slip_days": "30",
        "ready": "false",
        "checkpoint_resiliency": "failed",
        "checkpoint_durability": "not_started",
        "checkpoint_security_posture": "in_progress",
        "open_critical_findings": "1",
        "open_high_findings": "1",
        "open_low_findings": "0",
        "overdue_findings": "1",
        "prfaq_status": "approved",
        "security_faq_status": "draft",
        "security_faq_completeness": "0.0",
    }
    assert two["blockers"].split()[0] == "security_faq_not_approved"
    assert table["launched-three"]["checkpoint_resiliency"] == "stale"
    assert table["launched-three"]["checkpoint_durability"] == "waived"
    assert table["idea-four"]["security_faq_status"] == "missing"
    assert table["ready-one"]["ready"] == "true"


async def test_csv_quotes_and_keeps_text_whole(app: Litestar, client: Client, built: Built) -> None:
    team = await client.post(
        f"{API}/teams", json={"slug": "quoted", "name": '+Team "Q", one', "org": "@org,x"}
    )
    assert team.status_code == 201, team.text
    names = {
        "quoted-name": '=Crème, "brûlée"\nline two',
        "carriage-name": "-one\rtwo",
        "plain-name": "Plain name 100%",
    }
    for slug, name in names.items():
        made = await client.post(
            f"{API}/products",
            json={"slug": slug, "name": name, "team": "quoted", "data_classification": "public"},
        )
        assert made.status_code == 201, made.text
    response = await client.get(f"{API}/portfolio.csv", params={"team": "quoted"})
    text = response.content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(names)
    header = rows[0]
    by_slug = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    # A leading "=", "+", "-" or "@" would run as a formula in a spreadsheet: kept as text.
    assert by_slug["quoted-name"]["name"] == "'" + names["quoted-name"]
    assert by_slug["carriage-name"]["name"] == "'" + names["carriage-name"]
    assert by_slug["plain-name"]["name"] == names["plain-name"]
    assert by_slug["plain-name"]["team_name"] == "'" + '+Team "Q", one'
    assert by_slug["plain-name"]["org"] == "'@org,x"
    # Byte for byte what Python's own CSV writer makes of the same cells (RFC 4180).
    written = io.StringIO()
    csv.writer(written, lineterminator="\r\n").writerows(rows)
    assert text == written.getvalue()


async def test_statement_count_does_not_grow_with_the_portfolio(
    app: Litestar, client: Client
) -> None:
    engine = app_engine(app)
    [team] = await seed_teams(app, 1)
    measured = []
    for added in (10, 90):  # 10 products, then 100
        await seed_products(app, team, added)
        for path in ("/portfolio", "/portfolio.csv"):
            with count_statements(engine) as counter:
                response = await client.get(f"{API}{path}")
            assert response.status_code == 200
            measured.append((path, counter.count))
    assert measured[0] == measured[2]
    assert measured[1] == measured[3]
    assert measured[0][1] <= 10
