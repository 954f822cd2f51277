"""The one error hierarchy of Convas.

Everything the core raises on bad input derives from ``ConvasError`` so the CLI and
the GUI can catch one type and show its message unchanged: the message is written
for the user, never a traceback.
"""

from __future__ import annotations


class ConvasError(Exception):
    """Base of every error whose message is meant for the user."""


class ParamError(ConvasError):
    """A parameter value is outside what its layer accepts.

    Carries the parameter name so the GUI can mark the right editor red.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


class ShapeError(ConvasError):
    """A layer cannot produce an output from the shapes it is given.

    ``param`` names the parameter the user should change (or ``None`` when the fix
    is in the wiring, e.g. "insert a Flatten").
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
