"""Shipped resources: templates, icons and the two themes, found through the package."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nodes
import resources
from graph_io.shapes import infer
from graph_io.yaml_io import loads_graph
from nodes.registry import CATEGORY_ORDER
from resources.themes import THEMES, Theme, ThemeChoice, theme

ROOT = Path(__file__).resolve().parents[1]


def test_every_template_loads_and_the_checkout_examples_are_the_same_files() -> None:
    shipped = resources.templates()
    assert list(shipped)[:2] == ["lenet5", "mnist_cnn"]  # menu order, titles for menus
    assert shipped["resnet_mini"].title == "Mini ResNet"
    for name, template in shipped.items():
        graph = loads_graph(template.text(), f"{name}.yaml")
        assert infer(graph).ok, name
        assert (ROOT / "examples" / f"{name}.yaml").read_text() == template.text()


def test_an_unknown_template_names_the_known_ones() -> None:
    with pytest.raises(resources.UnknownResourceError, match="known: digits_cnn, lenet5"):
        resources.template("resnet")


@pytest.mark.parametrize("category", [*CATEGORY_ORDER, "Something New"])
def test_every_category_has_a_valid_svg_icon(category: str) -> None:
    svg = ET.fromstring(resources.icon_svg(category))
    assert svg.tag.endswith("svg")
    assert svg.get("viewBox") == "0 0 24 24"
    ET.fromstring(resources.app_icon_svg())


@pytest.mark.parametrize("name", list(THEMES))
def test_each_theme_fills_every_placeholder_and_colours_every_category(name: str) -> None:
    chosen = theme(name)
    sheet = chosen.stylesheet()
    assert "$" not in sheet
    assert chosen.canvas in sheet
    assert chosen.accent in sheet
    assert sheet.count("{") == sheet.count("}")
    for category in {spec.category for spec in nodes.all_layers()}:
        assert category in chosen.categories, f"{name} theme has no colour for {category}"
    hexes = [v for v in chosen.colours().values() if v.startswith("#")]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", v) for v in hexes)


@pytest.mark.parametrize("name", list(THEMES))
def test_each_theme_has_its_control_images_in_its_colours(name: str) -> None:
    """Spin and combo boxes draw these chevrons (Qt's own arrows vanish once a style
    sheet styles the boxes); they are files, since ``url()`` wants one."""
    chosen = theme(name)
    images = resources.control_images(name)
    for way in ("up", "down"):
        path = Path(images[f"arrow_{way}"])
        assert path.is_file()
        svg = ET.fromstring(path.read_bytes())
        strokes = {e.get("stroke") for e in svg.iter() if e.get("stroke")}
        assert strokes == {chosen.muted}
        assert f"url({images[f'arrow_{way}']})" in chosen.stylesheet()
    tick = ET.fromstring(Path(images["check"]).read_bytes())
    assert {e.get("stroke") for e in tick.iter() if e.get("stroke")} == {chosen.accent_text}


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("chosen", THEMES.values(), ids=lambda t: t.name)
def test_text_stands_out_from_its_backgrounds(chosen: Theme) -> None:
    for background in (chosen.window, chosen.base, chosen.node, chosen.canvas):
        assert abs(_luminance(chosen.text) - _luminance(background)) > 0.5
    assert (_luminance(chosen.canvas) < 0.5) is chosen.dark


def test_unknown_theme_and_the_menu_choices() -> None:
    with pytest.raises(resources.UnknownResourceError, match="light, dark"):
        theme("solarized")
    assert [c.value for c in ThemeChoice] == ["system", "light", "dark"]
