"""The light and dark themes: one set of named colours for docks, canvas and nodes.

The style sheet (``style.qss``) and the node painter read the same ``Theme``, so the
canvas and the docks can never disagree. Colours are plain ``#rrggbb`` strings, so
this module stays Qt-free and the themes can be checked in tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from string import Template

from resources import UnknownResourceError, control_images, style_template


class ThemeChoice(StrEnum):
    """What the View → Theme menu offers; SYSTEM follows the desktop's colour scheme."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class Theme:
    """Named colours of one theme (``#rrggbb``)."""

    name: str
    dark: bool
    window: str  # dock and window background
    base: str  # inputs, lists, tables
    alt_base: str  # alternate rows
    text: str
    muted: str  # secondary text: ids, counts, hints
    border: str
    accent: str  # selection, focus, the selected node's outline
    accent_text: str  # text on the accent colour
    hover: str  # hovered rows, buttons and nodes
    canvas: str  # the node editor's background
    grid: str
    node: str  # a node's body
    node_border: str
    wire: str
    error: str
    error_fill: str  # an erroneous node's body
    unknown: str  # a node whose shape cannot be known (upstream error)
    categories: dict[str, str] = field(default_factory=dict)

    def category_colour(self, category: str) -> str:
        """The band colour of a layer category; unknown categories get a neutral grey."""
        return self.categories.get(category, self.categories.get("", "#7a8491"))

    def colours(self) -> dict[str, str]:
        """Every colour by name, for the style sheet's ``${name}`` placeholders."""
        flat = {k: v for k, v in asdict(self).items() if isinstance(v, str)}
        flat.update({f"cat_{k.lower()}": v for k, v in self.categories.items() if k})
        return flat

    def stylesheet(self) -> str:
        """The application style sheet in this theme's colours (and its arrow images)."""
        return Template(style_template()).substitute(
            {**self.colours(), **control_images(self.name)}
        )


LIGHT = Theme(
    name="light",
    dark=False,
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1f2328",
    muted="#59636e",
    border="#d0d7de",
    accent="#2563a8",
    accent_text="#ffffff",
    hover="#e6eef8",
    canvas="#eceff3",
    grid="#dde2e8",
    node="#ffffff",
    node_border="#b8c1cc",
    wire="#6e7b8b",
    error="#c62828",
    error_fill="#fdecec",
    unknown="#8b949e",
    categories={
        "Input": "#0f8b8d",
        "Convolution": "#2563a8",
        "Pooling": "#7b4fb8",
        "Normalization": "#c77700",
        "Core": "#2e8540",
        "Reshape": "#8a6d3b",
        "Merge": "#c2410c",
        "": "#6b7785",
    },
)

DARK = Theme(
    name="dark",
    dark=True,
    window="#1f2227",
    base="#16181c",
    alt_base="#1b1e23",
    text="#e6e8eb",
    muted="#9aa4af",
    border="#3a3f47",
    accent="#4f94e0",
    accent_text="#0b1220",
    hover="#2a3340",
    canvas="#181a1f",
    grid="#23272e",
    node="#262a31",
    node_border="#454c57",
    wire="#8b96a5",
    error="#ff6b6b",
    error_fill="#3d2226",
    unknown="#6b7480",
    categories={
        "Input": "#22a6a8",
        "Convolution": "#3b82d6",
        "Pooling": "#9369d1",
        "Normalization": "#d98b1c",
        "Core": "#3f9e55",
        "Reshape": "#a3855a",
        "Merge": "#e0622c",
        "": "#7a8491",
    },
)

THEMES = {LIGHT.name: LIGHT, DARK.name: DARK}


def theme(name: str) -> Theme:
    """The theme called ``name`` (light or dark)."""
    try:
        return THEMES[name]
    except KeyError:
        raise UnknownResourceError(f"unknown theme {name!r}; known: {', '.join(THEMES)}") from None
