"""Announcements a lower domain makes and higher domains act on, so the lower never names them.

People are archived before teams exist in the layer order, yet archiving a person must end their
memberships (teams) and revoke their tokens (identity). `people` announces `person_archived`;
`teams` and `identity` register what they do about it. The same shape serves any rule that runs
downward in time but upward in layers.
"""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

SubjectT = TypeVar("SubjectT")
Handler = Callable[[AsyncSession, SubjectT], Awaitable[None]]


class Hook(Generic[SubjectT]):
    """A named moment in a lower domain's write, with the handlers higher domains registered.

    Handlers run in the writer's session and transaction, in the order they registered (the
    order the app imports domains: the layer order); one that raises stops the write.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Handler[SubjectT]] = []

    def register(self, handler: Handler[SubjectT]) -> Handler[SubjectT]:
        """Add `handler` (usable as a decorator); registering the same one twice is a no-op."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    async def run(self, session: AsyncSession, subject: SubjectT) -> None:
        """Run every handler on `subject`."""
        for handler in self._handlers:
            await handler(session, subject)
