"""Per-pair results of the probes, kept as Parquet files beside the run (design.md section 5): the report
holds the summaries, the artifact every pair, named in the report with its sha256."""

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

_SAFE = re.compile(r"[^a-z0-9_.-]+")


class ArtifactWriter:
    """Keeps each probe finding's per-pair table (the attribution stage reads them) and, when `folder` is given,
    writes it there as Parquet and remembers what it wrote. No folder: nothing row-level reaches the disk."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.records: dict[str, dict] = {}
        self.frames: dict[str, pd.DataFrame] = {}

    def sink(self, name: str) -> Callable[[pd.DataFrame], None]:
        safe = _SAFE.sub("-", name.lower()).strip("-")

        def write(frame: pd.DataFrame) -> None:
            self.frames[name] = frame
            if self.folder is None:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{safe}.parquet"
            frame.to_parquet(path, index=False)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            self.records[name] = {"name": safe, "file": path.name, "sha256": digest, "rows": len(frame)}

        return write

    def record(self, name: str) -> dict | None:
        return self.records.get(name)
