"""uint8 arrays (from the Qt-free views) as pixmaps, enlarged without blurring.

Kernels are 3×3 or 5×5 pixels: smooth scaling would turn them into mush, so tiles
are enlarged with nearest-neighbour sampling, one block per weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui

if TYPE_CHECKING:  # imported on use: the editor starts without numpy
    import numpy as np


def to_pixmap(image: np.ndarray, size: int) -> QtGui.QPixmap:
    """A greyscale H×W or RGB H×W×3 uint8 array as a pixmap about ``size`` pixels wide."""
    import numpy as np

    data = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = data.shape[:2]
    if data.ndim == 3:
        fmt = QtGui.QImage.Format.Format_RGB888
        qimage = QtGui.QImage(data.data, width, height, 3 * width, fmt)
    else:
        fmt = QtGui.QImage.Format.Format_Grayscale8
        qimage = QtGui.QImage(data.data, width, height, width, fmt)
    factor = max(1, size // max(width, height))
    scaled = qimage.scaled(
        width * factor,
        height * factor,
        QtCore.Qt.AspectRatioMode.KeepAspectRatio,
        QtCore.Qt.TransformationMode.FastTransformation,
    )
    return QtGui.QPixmap.fromImage(scaled.copy())  # copy: detach from the numpy buffer
