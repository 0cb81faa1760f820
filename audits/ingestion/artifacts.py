"""Model uploads, decided by content: only skops archives with no untrusted types are loaded.

Pickles (and zip archives carrying one, like torch's) are refused before anything reads them:
unpickling executes code chosen by the file's author (design.md section 8).
"""

import io
import zipfile
from dataclasses import dataclass

from .reader import IngestionError

_PICKLE_PROTOCOL_BYTE = b"\x80"


@dataclass
class SkopsArtifact:
    model: object
    untrusted_types: list[str]


def _describe_refused(data: bytes) -> str | None:
    if data[:1] == _PICKLE_PROTOCOL_BYTE and len(data) > 1 and 2 <= data[1] <= 5:
        return "a Python pickle"
    if data[:4] != b"PK\x03\x04":
        return None
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return "a damaged ZIP archive"
    if any(name.endswith((".pkl", ".pickle")) or name.endswith("/data.pkl") for name in names):
        return "a ZIP archive carrying a pickle (e.g. a torch.save or joblib file)"
    if "schema.json" not in names:
        return "a ZIP archive that is not a skops file"
    return None


def load_skops_model(data: bytes) -> SkopsArtifact:
    """Load a skops archive whose untrusted-types list is empty, or raise IngestionError (nothing executed)."""
    refused = _describe_refused(data)
    if refused is None and data[:4] != b"PK\x03\x04":
        refused = "not a skops archive"
    if refused:
        raise IngestionError(
            f"The model file is {refused}. Only scikit-learn models saved with skops.io.dump are accepted; "
            "pickle and joblib files are refused because loading them runs arbitrary code.",
            field="file",
        )
    import skops.io as sio  # loads torch (scikit-learn's array-API shim): only when a model is uploaded

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a malformed archive: skops says why
        raise IngestionError(f"The skops file could not be read: {exc}", field="file") from exc
    if untrusted:
        raise IngestionError(
            "The skops file contains types that are not trusted by default, so it is not loaded: "
            f"{', '.join(untrusted)}. Re-save the model with standard scikit-learn components, "
            "or ask an administrator to review these types.",
            field="file",
        )
    try:
        model = sio.loads(data)
    except Exception as exc:
        raise IngestionError(f"The skops file could not be loaded: {exc}", field="file") from exc
    if not hasattr(model, "predict"):
        raise IngestionError(
            f"The skops file holds a {type(model).__name__}, not a model with predict().", field="file"
        )
    return SkopsArtifact(model=model, untrusted_types=untrusted)
