"""The optional ``training:`` section of a graph file.

It lives in the document (not in the app) because it is part of the public format:
the same YAML trains the same way from the editor, the CLI and a cluster.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TrainingConfig(BaseModel):
    """How to train the graph. Every field is optional; defaults suit the digits set."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    dataset: str = Field(
        "digits",
        min_length=1,
        description="'digits', 'shapes', or a path to an image folder, .npz or IDX file",
    )
    path: str | None = Field(None, description="file or folder for file-based datasets")
    samples: int | None = Field(
        None,
        ge=1,
        description="how many images: generated for 'shapes', a stratified subset otherwise",
    )
    epochs: int = Field(10, ge=1, le=100_000, description="passes over the training images")
    batch_size: int = Field(64, ge=1, le=1_000_000, description="images per optimizer step")
    optimizer: Literal["SGD", "Adam", "AdamW"] = Field(
        "Adam", description="SGD (with momentum), Adam or AdamW"
    )
    lr: float = Field(1e-3, gt=0, le=100, description="learning rate")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum")
    weight_decay: float = Field(0.0, ge=0, le=1, description="L2 penalty on the weights")
    val_fraction: float = Field(0.2, ge=0, le=0.9, description="share held out for validation")
    seed: int = Field(
        0,
        ge=0,
        le=2**63 - 1,  # what both torch's and numpy's generators accept
        description="same seed, same split, weights and metrics (on CPU)",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", description="auto = cuda, then mps, then cpu"
    )

    @classmethod
    def from_section(cls, section: dict[str, object] | None) -> TrainingConfig:
        """Defaults overlaid with a (validated) ``training:`` section."""
        return cls.model_validate(section or {}, strict=False)


TRAINING_FIELDS = tuple(TrainingConfig.model_fields)
