"""SinGAN Studio for Krita: train single-image GANs on a layer and bring samples back as new layers.

Krita loads this package from its pykrita folder (see ``singan_studio.desktop``). When installed by
``installers/krita.py`` the plugin's pure-Python dependencies and the client library live in
``_vendor/`` next to this file and are put first on ``sys.path`` (never into Krita's own Python).
Imported outside Krita (unit tests, docs) nothing is registered. Scripting API: :mod:`.api`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_VENDOR = Path(__file__).resolve().parent / "_vendor"
if _VENDOR.is_dir():
    if str(_VENDOR) not in sys.path:
        sys.path.insert(0, str(_VENDOR))
    # The vendored protobuf is the pure-Python build; never try a compiled one from Krita's Python.
    os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

try:
    import krita
except ImportError:  # not running inside Krita
    krita = None

if krita is not None:
    from .extension import register

    register()
