"""Files Convas ships inside its package: graph templates, icons and style sheets.

Everything is read through ``importlib.resources``, so an installed wheel finds the
same files as a checkout (``examples/`` in the checkout is a link to
``resources/templates/``). This module is Qt-free: it hands out text and bytes, and
``app.gui.theme`` / ``app.gui.node_painter`` turn them into Qt objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from nodes.errors import ConvasError

TEMPLATE_TITLES = {  # menu order; a template missing here is listed after them by file name
    "lenet5": "LeNet-5",
    "mnist_cnn": "MNIST CNN",
    "digits_cnn": "Digits CNN",
    "small_vgg": "Small VGG",
    "resnet_mini": "Mini ResNet",
    "mobilenet_v2_mini": "Mini MobileNetV2",
    "se_resnet_mini": "Mini SE-ResNet",
}


class UnknownResourceError(ConvasError):
    """A template or theme name that Convas does not ship."""


@dataclass(frozen=True)
class Template:
    """A graph to start from: ``name`` for ``convas new --template``, ``title`` for menus."""

    name: str
    title: str

    def text(self) -> str:
        return _root().joinpath("templates", f"{self.name}.yaml").read_text(encoding="utf-8")


def _root() -> Traversable:
    return files(__name__)


def templates() -> dict[str, Template]:
    """Every shipped template by name, in menu order."""
    names = sorted(
        entry.name.removesuffix(".yaml")
        for entry in _root().joinpath("templates").iterdir()
        if entry.name.endswith(".yaml")
    )
    rank = {name: i for i, name in enumerate(TEMPLATE_TITLES)}
    names.sort(key=lambda name: (rank.get(name, len(rank)), name))
    return {
        name: Template(name, TEMPLATE_TITLES.get(name, name.replace("_", " ").title()))
        for name in names
    }


def template(name: str) -> Template:
    """The template called ``name``, or ``UnknownResourceError`` listing the known ones."""
    known = templates()
    if name not in known:
        raise UnknownResourceError(f"unknown template {name!r}; known: {', '.join(sorted(known))}")
    return known[name]


def icon_svg(category: str) -> bytes:
    """The SVG icon of a layer category (white strokes, drawn on the category colour);
    a category without its own icon gets the generic layer icon."""
    icons = _root().joinpath("icons")
    icon = icons.joinpath(f"{category.lower()}.svg")
    return (icon if icon.is_file() else icons.joinpath("layer.svg")).read_bytes()


def app_icon_svg() -> bytes:
    return _root().joinpath("app_icon.svg").read_bytes()


def control_images(theme: str) -> dict[str, str]:
    """File paths of the images the style sheet draws controls with in a theme (spin
    and combo box arrows, the check box's tick), as ``url()`` wants them (forward
    slashes on every system): ``arrow_up``, ``arrow_down`` and ``check``."""
    folder = _root().joinpath("icons", "controls")
    names = {"arrow_up": "up", "arrow_down": "down", "check": "check"}
    return {
        key: Path(str(folder.joinpath(f"{name}-{theme}.svg"))).as_posix()
        for key, name in names.items()
    }


def style_template() -> str:
    """The application style sheet with ``${colour}`` placeholders (``resources.themes``)."""
    return _root().joinpath("style.qss").read_text(encoding="utf-8")
