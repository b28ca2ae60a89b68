"""GraphQL face of the portfolio: the root field `portfolio(filter)`, the same figures as REST."""

from typing import Annotated

import strawberry

from api.core.graphql import GraphQLInfo, Requires, derived, from_read
from api.portfolio import schemas, service
from api.portfolio.policy import PORTFOLIO
from api.portfolio.schemas import PortfolioFilter
from api.products.graphql import StageEnum

# Leaves first: a derived type's nested read schemas need their own types already.
for _model, _name in (
    (schemas.PortfolioFilter, "PortfolioFilter"),
    (schemas.StageCount, "PortfolioStageCount"),
    (schemas.OrgCount, "PortfolioOrgCount"),
    (schemas.ClassificationCount, "PortfolioClassificationCount"),
    (schemas.ProductCounts, "PortfolioProducts"),
    (schemas.BlockerCount, "PortfolioBlockerCount"),
    (schemas.LaunchDue, "PortfolioLaunchDue"),
    (schemas.LaunchWindow, "PortfolioLaunchWindow"),
    (schemas.ReadinessFigures, "PortfolioReadiness"),
    (schemas.SlipMonth, "PortfolioSlipMonth"),
    (schemas.SlippedProduct, "PortfolioSlippedProduct"),
    (schemas.SlipFigures, "PortfolioSlips"),
    (schemas.CheckpointFigures, "PortfolioCheckpoints"),
    (schemas.SeverityCounts, "PortfolioSeverityCounts"),
    (schemas.FindingFigures, "PortfolioFindings"),
    (schemas.DocumentStatusCounts, "PortfolioDocumentStatusCounts"),
    (schemas.SecurityFaqFigures, "PortfolioSecurityFaqs"),
    (schemas.DocumentFigures, "PortfolioDocuments"),
    (schemas.HealthCounts, "PortfolioHealthCounts"),
    (schemas.OversizedTeam, "PortfolioOversizedTeam"),
    (schemas.TeamFigures, "PortfolioTeams"),
):
    derived(_model, _name)

PortfolioType = derived(
    schemas.PortfolioRead,
    "Portfolio",
    "The whole portfolio on one page. `findings` is null for roles that may not read findings, "
    "and `documents.securityFaq` for those that may not read security FAQs.",
)


@strawberry.input(description="Which products the portfolio covers.")
class PortfolioFilterInput:
    org: str | None = strawberry.field(default=None, description="The owning team's org")
    team: str | None = strawberry.field(default=None, description="The owning team's slug")
    stage: StageEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only products at this stage"
    )


@strawberry.type
class PortfolioQuery:
    @strawberry.field(
        extensions=[Requires(PORTFOLIO, "read")],
        description="Products by stage, org and classification; readiness and its blockers; "
        "launches due; slips; checkpoints, findings, documents and team health.",
    )
    async def portfolio(
        self,
        info: GraphQLInfo,
        filter: Annotated[
            PortfolioFilterInput | None,
            strawberry.argument(description="Which products; every one the caller may see."),
        ] = None,
    ) -> PortfolioType:  # type: ignore[valid-type]
        chosen = filter or PortfolioFilterInput()
        filters = PortfolioFilter(org=chosen.org, team=chosen.team, stage=chosen.stage)
        read = await service.portfolio(
            info.context.session, filters, principal=info.context.principal
        )
        portfolio: PortfolioType = from_read(PortfolioType, read)  # type: ignore[valid-type]
        return portfolio
