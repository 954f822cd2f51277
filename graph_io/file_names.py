"""Turning a graph's ``name`` into a safe part of a file name.

A graph file may come from anywhere, and its ``name`` is free text: ``../../x``,
``/etc/cron.d/x`` or ``C:\\x`` must never decide where Convas writes. Wherever a
name becomes part of a path (run folders, default export names), it goes through
``safe_file_stem`` first, which keeps letters, digits, ``-``, ``_`` and ``.``
inside the name and nothing that can leave the folder.
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))} | {
    f"lpt{i}" for i in range(10)
}


def safe_file_stem(name: str, fallback: str = "graph") -> str:
    """``name`` reduced to one harmless path component (``"../../x"`` -> ``"x"``).

    Accents are dropped, every other character outside ``[A-Za-z0-9_.-]`` becomes
    ``_``, leading dots and separators go (no hidden files, no ``..``), Windows
    device names get a suffix, and the result is at most ``MAX_STEM`` characters;
    an empty result becomes ``fallback``.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("_", ascii_name).strip("._-")
    stem = re.sub(r"\.{2,}", ".", stem)[:MAX_STEM].rstrip("._-")
    if not stem:
        return fallback
    if stem.split(".", 1)[0].lower() in _RESERVED:
        stem += "_"
    return stem
