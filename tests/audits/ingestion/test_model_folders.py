"""Zipped model folders are extracted only when safe; server paths only inside allowed roots."""

import io
import stat
import zipfile

import pytest

from audits.ingestion.model_folders import allowed_server_path, extract_model_zip
from audits.ingestion.reader import IngestionError


def _zip(tmp_path, entries: dict[str, bytes], *, symlink: str | None = None):
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_a_single_top_level_folder_is_accepted(tmp_path):
    archive = _zip(tmp_path, {"my-model/config.json": b"{}", "my-model/model.safetensors": b"x"})

    folder = extract_model_zip(archive, tmp_path / "out", max_bytes=10_000)

    assert folder == tmp_path / "out" / "my-model"
    assert (folder / "config.json").read_bytes() == b"{}"


def test_entries_climbing_out_of_the_folder_are_refused_before_writing(tmp_path):
    archive = _zip(tmp_path, {"config.json": b"{}", "../escaped.txt": b"x"})

    with pytest.raises(IngestionError, match="outside its folder"):
        extract_model_zip(archive, tmp_path / "out", max_bytes=10_000)

    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "out").exists()


def test_symbolic_links_are_refused(tmp_path):
    archive = _zip(tmp_path, {"config.json": b"{}"}, symlink="tokenizer.json")

    with pytest.raises(IngestionError, match="symbolic link"):
        extract_model_zip(archive, tmp_path / "out", max_bytes=10_000)


def test_an_archive_expanding_beyond_the_limit_is_refused(tmp_path):
    archive = _zip(tmp_path, {"config.json": b"{}", "model.safetensors": b"\0" * 50_000})

    with pytest.raises(IngestionError, match="expands to"):
        extract_model_zip(archive, tmp_path / "out", max_bytes=10_000)


def test_an_archive_without_config_is_refused(tmp_path):
    archive = _zip(tmp_path, {"weights/model.safetensors": b"x"})

    with pytest.raises(IngestionError, match="config.json"):
        extract_model_zip(archive, tmp_path / "out", max_bytes=10_000)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "model.zip"
    path.write_bytes(b"PK\x03\x04 not really")

    with pytest.raises(IngestionError, match="not a readable ZIP"):
        extract_model_zip(path, tmp_path / "out", max_bytes=10_000)


def test_server_paths_must_lie_inside_an_allowed_root(tmp_path):
    root = tmp_path / "models"
    (root / "bert").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "link").symlink_to(outside)

    assert allowed_server_path(str(root / "bert"), [str(root)]) == (root / "bert").resolve()
    with pytest.raises(IngestionError, match="AUDIT_MODEL_PATH_ROOTS"):
        allowed_server_path(str(outside), [str(root)])
    with pytest.raises(IngestionError, match="AUDIT_MODEL_PATH_ROOTS"):
        allowed_server_path(str(root / "link"), [str(root)])  # a symlink out of the root does not count
    with pytest.raises(IngestionError, match="AUDIT_MODEL_PATH_ROOTS"):
        allowed_server_path(str(root / "bert"), [])


def test_zip_detection_tells_folders_from_skops_archives():
    from audits.ingestion.model_folders import is_model_folder_zip

    def upload(names):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in names:
                archive.writestr(name, b"{}")
        buffer.seek(0)
        return buffer

    assert is_model_folder_zip(upload(["m/config.json", "m/model.safetensors"]))
    assert not is_model_folder_zip(upload(["schema.json", "config.json"]))
    assert not is_model_folder_zip(io.BytesIO(b"\x80\x04 pickle"))
