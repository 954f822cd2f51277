"""Errors raised where data enters the graph: files, edits and compilation."""

from __future__ import annotations

from nodes.errors import ConvasError, ParamError, ShapeError


class FormatError(ConvasError):
    """A graph file that cannot be read: carries the file, line and field path.

    The message is the full ``file:line: field: reason`` text, ready to show.
    """

    def __init__(
        self, reason: str, *, file: str | None = None, line: int | None = None, field: str = ""
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        location = file or "<graph>"
        if line is not None:
            location += f":{line}"
        text = f"{location}: {field + ': ' if field else ''}{reason}"
        super().__init__(text)


class GraphError(ConvasError):
    """An edit or a graph that breaks a rule; names the node and parameter to fix."""

    def __init__(self, message: str, node: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.param = param


class CompileError(ConvasError):
    """The graph cannot be turned into a torch module; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "the graph cannot be compiled:\n" + "\n".join(f"  - {p}" for p in problems)
        )


class TorchImportError(ConvasError):
    """A torch model that cannot become a graph; lists every problem and where it is.

    ``problems`` holds one line per unsupported operation (module path or fx node),
    gathered over the whole model before raising.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        text = message
        if self.problems:
            text += ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


__all__ = [
    "CompileError",
    "ConvasError",
    "FormatError",
    "GraphError",
    "ParamError",
    "ShapeError",
    "TorchImportError",
]
