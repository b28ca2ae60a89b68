"""The docs' GraphQL queries are valid against the committed schema, so one that drifts fails."""

from graphql import GraphQLSchema, build_schema, parse, validate

from tests.docs.examples import ROOT, blocks, graphql_documents, pages


def _schema() -> GraphQLSchema:
    return build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))


def test_every_graphql_query_in_the_docs_validates_against_the_schema() -> None:
    schema = _schema()
    checked = 0
    invalid = []
    for path in pages():
        for block in blocks(path):
            for document in graphql_documents(block):
                checked += 1
                errors = validate(schema, parse(document))
                invalid += [f"{block.where}: {error.message}" for error in errors]
    assert checked >= 10, f"only {checked} GraphQL queries found in the docs"
    assert not invalid, "\n".join(invalid)


def test_a_query_that_drifted_from_the_schema_is_caught() -> None:
    errors = validate(_schema(), parse('{ product(slug: "x") { launchDate } }'))
    assert [error.message for error in errors] == [
        "Cannot query field 'launchDate' on type 'Product'."
    ]
