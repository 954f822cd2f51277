"""The structure of a graph file (format v1), validated by pydantic.

pydantic checks the document's shape (which keys, which types); the layer registry
then checks what only it knows (layer types and parameter values). Both report
through ``FormatError`` with the field path, and ``yaml_io`` adds the line.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from graph_io.training_config import TrainingConfig

FORMAT_VERSION = 1


class NodeDocument(BaseModel):
    """One entry of ``nodes:``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(description="unique node id, [A-Za-z_][A-Za-z0-9_]*")
    type: str = Field(description="layer type, e.g. Conv2D")
    params: dict[str, Any] = Field(
        default_factory=dict, description="layer parameters; omitted ones take defaults"
    )
    inputs: list[str] = Field(
        default_factory=list, description="ids of the nodes feeding this one, in order"
    )
    pos: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        None, min_length=2, max_length=2, description="canvas position [x, y]"
    )


class GraphDocument(BaseModel):
    """A whole file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    convas: int = Field(description="format version")
    name: str = Field("untitled", min_length=1, max_length=200)
    nodes: list[NodeDocument] = Field(default_factory=list, max_length=100_000)
    training: TrainingConfig | None = None
