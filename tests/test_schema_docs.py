"""The published schema and format reference match the code that reads files."""

from __future__ import annotations

import json
from pathlib import Path

import nodes
from graph_io.schema import json_schema, layer_reference
from graph_io.yaml_io import load_graph, to_document

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "convas.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema())), "run: python -m graph_io.schema"


def test_format_doc_contains_current_reference() -> None:
    text = (ROOT / "docs" / "format.md").read_text()
    assert layer_reference() in text, "run: python -m graph_io.schema"
    for spec in nodes.all_layers():
        assert f"### {spec.type}" in text


def test_examples_satisfy_the_schema_enums_and_params() -> None:
    schema = json_schema()
    node_def = schema["$defs"]["NodeDocument"]
    allowed = {
        rule["if"]["properties"]["type"]["const"]: rule["then"]["properties"]["params"][
            "properties"
        ]
        for rule in node_def["allOf"]
    }
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        document = to_document(load_graph(path))
        assert set(document) <= set(schema["properties"])
        for node in document["nodes"]:
            assert node["type"] in node_def["properties"]["type"]["enum"]
            for name, value in node.get("params", {}).items():
                rule = allowed[node["type"]][name]
                if "enum" in rule:
                    assert value in rule["enum"]
                if "minimum" in rule:
                    assert value >= rule["minimum"]
