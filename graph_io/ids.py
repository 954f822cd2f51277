"""Node ids: what makes one valid, and how new ones are chosen.

Ids become torch submodule names and Python variable names in exported code, so
they must be identifiers and must not shadow what an ``nn.Module`` already has.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Container

ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Public attributes of torch.nn.Module and torch.fx.GraphModule (class and instance);
# a submodule with one of these names cannot be registered or would be shadowed
# (tests check this list against torch).
RESERVED = frozenset(
    {
        "T_destination",
        "add_module",
        "apply",
        "bfloat16",
        "buffers",
        "call_super_init",
        "children",
        "compile",
        "cpu",
        "cuda",
        "double",
        "dump_patches",
        "eval",
        "extra_repr",
        "float",
        "forward",
        "get_buffer",
        "get_extra_state",
        "get_parameter",
        "get_submodule",
        "half",
        "ipu",
        "load_state_dict",
        "modules",
        "mtia",
        "named_buffers",
        "named_children",
        "named_modules",
        "named_parameters",
        "parameters",
        "register_backward_hook",
        "register_buffer",
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook",
        "register_module",
        "register_parameter",
        "register_state_dict_post_hook",
        "register_state_dict_pre_hook",
        "requires_grad_",
        "set_extra_state",
        "set_submodule",
        "share_memory",
        "state_dict",
        "to",
        "to_empty",
        "train",
        "type",
        "xpu",
        "zero_grad",
        "training",
        "graph",
        "code",
        "recompile",
        "to_folder",
        "print_readable",
        "meta",
        "self",
        "torch",
        "nn",
        "F",
        "add_submodule",
        "delete_submodule",
        "delete_all_unused_submodules",
        "shape_env",
    }
)


def id_problem(node_id: object) -> str | None:
    """Why ``node_id`` cannot be used, or None when it can."""
    if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
        return (
            f"id {node_id!r} must start with a letter and contain only letters, "
            "digits and _ (e.g. conv1)"
        )
    if node_id.startswith("_"):
        # torch's private attributes (_modules, _apply, _code, ...) change between
        # versions; refusing the prefix is the only rule that keeps ids safe.
        return (
            f"id {node_id!r} starts with _, which torch keeps for its own attributes; "
            "start it with a letter"
        )
    if keyword.iskeyword(node_id) or node_id in RESERVED:
        return f"id {node_id!r} is reserved by Python or torch; choose another, e.g. {node_id}_1"
    return None


def base_name(type_name: str) -> str:
    """The stem for generated ids: Conv2D -> conv2d, MaxPool2D -> maxpool2d."""
    return type_name.lower()


def unique_id(taken: Container[str], type_name: str) -> str:
    stem = base_name(type_name)
    index = 1
    while f"{stem}_{index}" in taken:
        index += 1
    return f"{stem}_{index}"
