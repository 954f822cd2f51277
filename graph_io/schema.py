"""The public description of the format: a JSON Schema and a Markdown reference.

Both are generated from the pydantic document models and the layer registry, and
tests compare them with the committed copies in docs/, so they cannot drift.
Run ``python -m graph_io.schema`` to regenerate both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nodes
from graph_io.document import GraphDocument
from graph_io.training_config import TrainingConfig
from nodes.spec import ParamKind, ParamSpec

DOCS = Path(__file__).resolve().parents[1] / "docs"
REFERENCE_START = "<!-- generated layer reference: python -m graph_io.schema -->"
REFERENCE_END = "<!-- end of generated layer reference -->"


def _param_schema(param: ParamSpec) -> dict[str, Any]:
    bounds = {
        k: v for k, v in (("minimum", param.minimum), ("maximum", param.maximum)) if v is not None
    }
    integer = {"type": "integer", **bounds}
    by_kind: dict[ParamKind, dict[str, Any]] = {
        ParamKind.INT: integer,
        ParamKind.FLOAT: {"type": "number", **bounds},
        ParamKind.BOOL: {"type": "boolean"},
        ParamKind.CHOICE: {"enum": list(param.choices)},
        ParamKind.INT_PAIR: {
            "oneOf": [integer, {"type": "array", "items": integer, "minItems": 2, "maxItems": 2}]
        },
        ParamKind.PADDING: {
            "oneOf": [{"enum": ["None", "Same", None]}, {"type": "integer", "minimum": 0}]
        },
    }
    schema = by_kind[param.kind]
    return {**schema, "default": param.default, "description": param.help}


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of format v1, with each layer type's parameters."""
    schema = GraphDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Convas graph, format 1"
    node = schema["$defs"]["NodeDocument"]
    node["properties"]["type"]["enum"] = nodes.type_names()
    node["allOf"] = [
        {
            "if": {"properties": {"type": {"const": spec.type}}},
            "then": {
                "properties": {
                    "params": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {p.name: _param_schema(p) for p in spec.params},
                    }
                }
            },
        }
        for spec in nodes.all_layers()
    ]
    return schema


def layer_reference() -> str:
    """Markdown tables of every layer's parameters, in palette order."""
    lines = [REFERENCE_START, ""]
    for spec in nodes.all_layers():
        lines += [f"### {spec.type}", "", spec.summary, ""]
        inputs = (
            "no inputs"
            if spec.max_inputs == 0
            else "2 or more inputs"
            if spec.max_inputs is None
            else "1 input"
        )
        lines += [f"Category: {spec.category}; {inputs}.", ""]
        if spec.params:
            lines += ["| param | default | allowed | meaning |", "|---|---|---|---|"]
            lines += [
                f"| `{p.name}` | `{p.default}` | {p.describe_allowed()} | {p.help} |"
                for p in spec.params
            ]
            lines.append("")
    lines += ["### training", "", "| field | default | meaning |", "|---|---|---|"]
    for name, field in TrainingConfig.model_fields.items():
        meaning = field.description or ""
        lines.append(f"| `{name}` | `{field.default}` | {meaning} |")
    lines += [
        "",
        "Images are converted to the Input node's channel count (grey <-> RGB) and",
        "resized to its height and width, so the Input node sets the image size; the",
        "editor and `convas train` say when it differs from the dataset's own size.",
        "Loss is cross-entropy: the last layer must output one value per class.",
        "",
        REFERENCE_END,
    ]
    return "\n".join(lines)


def write_docs() -> None:
    (DOCS / "convas.schema.json").write_text(
        json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8"
    )
    format_md = DOCS / "format.md"
    text = format_md.read_text(encoding="utf-8")
    head, rest = text.split(REFERENCE_START, 1)
    _, tail = rest.split(REFERENCE_END, 1)
    format_md.write_text(head + layer_reference() + tail, encoding="utf-8")


if __name__ == "__main__":
    write_docs()
