"""The leadership portfolio: every product's stage, readiness, slips, checkpoints, findings,
documents and teams, as JSON, GraphQL, CSV and a page for people."""
