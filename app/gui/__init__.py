"""The Convas editor: PySide6 + NodeGraphQt views adapting the Qt-free core."""

import os
import warnings

# NodeGraphQt imports distutils (for LooseVersion); setuptools' shim would serve it by
# importing setuptools, 0.15 s of a start-up that aims at 1 s. The standard library's
# distutils (Python 3.11) does the same job. The shim then warns that relying on it is
# deprecated — true, and not the user's concern: keep it off their terminal. Set here,
# before any module of this package imports NodeGraphQt.
os.environ.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
warnings.filterwarnings("ignore", message="Reliance on distutils from stdlib", category=UserWarning)
