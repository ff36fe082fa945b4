"""A section's chart as PNG (matplotlib, Agg backend): horizontal bars of the section's figures.

`chart_data` is what is plotted (tests compare it with the report's figures); `render` draws it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display; before pyplot is imported

from matplotlib.figure import Figure as Canvas

from registry.services.reports.model import Section

SIZE = (8.0, 4.5)  # inches; at DPI, 800 x 450 pixels
DPI = 100


@dataclass(frozen=True)
class ChartData:
    title: str
    labels: list[str]
    series: list[tuple[str, list[int]]]  # (name, one value per label)
    unit: str


def chart_data(section: Section) -> ChartData:
    """The bars of a section: for cases, the cases detected and handled per category and goods group;
    for the other sections, each figure of the unit most of them have (counts, else VND)."""
    if section.key == "cases":
        detected = [f for f in section.figures if f.group and f.key.endswith(".detected")]
        handled = {
            f.key.removesuffix(".handled"): f.value for f in section.figures if f.key.endswith(".handled")
        }
        return ChartData(
            section.title,
            [str(f.item) for f in detected],
            [
                ("detected", [f.value for f in detected]),
                ("handled", [handled[f.key.removesuffix(".detected")] for f in detected]),
            ],
            "count",
        )
    units = [f.unit for f in section.figures]
    unit = "count" if units.count("count") >= units.count("vnd") else "vnd"
    chosen = [f for f in section.figures if f.unit == unit]
    labels = [f"{f.group}: {f.item}" if f.group else f.key for f in chosen]
    return ChartData(section.title, labels, [(section.key, [f.value for f in chosen])], unit)


COLOURS = ("#2b6cb0", "#dd6b20")


def render(data: ChartData) -> bytes:
    """A PNG of SIZE at DPI; the same data draws the same picture (no dates, fixed fonts)."""
    canvas = Canvas(figsize=SIZE, dpi=DPI)
    axes = canvas.subplots()
    height = 0.8 / max(len(data.series), 1)
    for index, (name, values) in enumerate(data.series):
        positions = [n + index * height for n in range(len(values))]
        axes.barh(positions, values, height=height, color=COLOURS[index % len(COLOURS)], label=name)
        for position, value in zip(positions, values, strict=True):
            axes.annotate(f"{value:,}", (value, position), xytext=(3, 0), textcoords="offset points",
                          va="center", fontsize=6)  # fmt: skip
    middle = (len(data.series) - 1) * height / 2
    axes.set_yticks([n + middle for n in range(len(data.labels))], labels=data.labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_title(data.title, fontsize=10)
    axes.set_xlabel("VND" if data.unit == "vnd" else "count", fontsize=8)
    if len(data.series) > 1:
        axes.legend(fontsize=7, loc="lower right")
    if not data.labels:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
    canvas.tight_layout()
    buffer = io.BytesIO()
    canvas.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
