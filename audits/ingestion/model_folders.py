"""Model folders from uploads or server paths: safe extraction of a zipped folder, allowed roots only.

Nothing here loads a model; the folder's content is checked afterwards by
explainers.runners.hf_files.inspect_hf_directory (safetensors only, no pickles, no custom code).
"""

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .reader import IngestionError

MAX_ENTRIES = 200
_COPY_CHUNK = 1 << 20


def _members(archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise IngestionError(f"The archive has {len(infos)} entries; at most {MAX_ENTRIES} are accepted.", field="file")
    total = 0
    for info in infos:
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
            raise IngestionError(f"The archive entry '{info.filename}' points outside its folder.", field="file")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise IngestionError(f"The archive entry '{info.filename}' is a symbolic link.", field="file")
        total += info.file_size
    if total > max_bytes:
        message = f"The archive expands to {total / 1e6:.0f} MB, more than the {max_bytes / 1e6:.0f} MB allowed."
        raise IngestionError(message, field="file")
    return [info for info in infos if not info.is_dir()]


def extract_model_zip(data_path: Path, target: Path, *, max_bytes: int) -> Path:
    """Extract a zipped model folder into `target` (created) and return the folder holding config.json.

    A single top-level folder in the archive is accepted (``zip -r model.zip my-model/``). Entries with
    absolute or parent paths, symbolic links, too many entries or too many bytes (as declared and as
    actually decompressed) are refused with IngestionError before or while writing; the caller removes
    `target` on error.
    """
    try:
        archive = zipfile.ZipFile(data_path)
    except zipfile.BadZipFile as exc:
        raise IngestionError("The model file is not a readable ZIP archive of a model folder.", field="file") from exc
    with archive:
        members = _members(archive, max_bytes)
        target.mkdir(parents=True, exist_ok=False)
        written = 0
        for info in members:
            destination = target / info.filename
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(destination, "wb") as sink:
                while chunk := source.read(_COPY_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:  # sizes in the central directory can lie; the bytes cannot
                        raise IngestionError("The archive expands to more bytes than it declares.", field="file")
                    sink.write(chunk)
    if (target / "config.json").is_file():
        return target
    children = [child for child in target.iterdir() if child.name != "__MACOSX"]
    if len(children) == 1 and (children[0] / "config.json").is_file():
        return children[0]
    raise IngestionError("The archive holds no model folder: config.json is missing at its top level.", field="file")


def is_model_folder_zip(upload) -> bool:
    """True for a ZIP holding config.json (a transformers folder); skops archives hold schema.json instead."""
    upload.seek(0)
    if upload.read(4) != b"PK\x03\x04":
        upload.seek(0)
        return False
    upload.seek(0)
    try:
        names = zipfile.ZipFile(upload).namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        upload.seek(0)
    return "schema.json" not in names and any(n == "config.json" or n.endswith("/config.json") for n in names)


def allowed_server_path(path: str, roots: list[str]) -> Path:
    """`path` resolved, if it is a folder inside one of `roots` (symlinks resolved first); else IngestionError."""
    resolved = Path(path).expanduser().resolve()
    for root in roots:
        base = Path(root).expanduser().resolve()
        if resolved == base or base in resolved.parents:
            if not resolved.is_dir():
                raise IngestionError(f"'{path}' is not a folder on the server.", field="path")
            return resolved
    raise IngestionError(
        "Models can be registered by path only from the folders an administrator allowed "
        "(AUDIT_MODEL_PATH_ROOTS); upload the folder as a ZIP archive instead.",
        field="path",
    )


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
