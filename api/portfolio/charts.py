"""Charts for the portfolio page, drawn on the server as inline SVG: the geometry of horizontal
bar charts, which the page's templates draw. Each chart carries its text alternative."""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 190
BAR_AREA = WIDTH - LABEL_WIDTH - 60
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    """One labelled bar."""

    label: str
    value: int
    y: int
    width: int
    tone: str


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: its bars, its size, and what it says in words."""

    key: str
    title: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def description(self) -> str:
        """The chart's text alternative: every bar's label and value."""
        if not self.bars:
            return f"{self.title}: nothing to show."
        return f"{self.title}: " + "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars) + "."


def bar_chart(
    key: str, title: str, items: Sequence[tuple[str, int]], tones: Sequence[str] | None = None
) -> Chart:
    """Bars for `(label, value)` items, scaled to the largest value."""
    largest = max((value for _, value in items), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            y=position * ROW_HEIGHT,
            # A value above zero always shows, however small beside the largest.
            width=max(2, round(BAR_AREA * value / largest)) if value else 0,
            tone=(tones[position] if tones else "neutral"),
        )
        for position, (label, value) in enumerate(items)
    ]
    return Chart(key=key, title=title, bars=bars, height=max(ROW_HEIGHT, len(bars) * ROW_HEIGHT))
