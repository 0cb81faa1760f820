"""EU AI Act evidence pack (Regulation (EU) 2024/1689, Annex IV point 2(g)): one deterministic ZIP per approved
report, its MANIFEST of sha256 sums signed as a DSSE envelope, and the offline verifier of such a pack.

Plain Python (no Django): the service (audits.services.report_exports) gathers the files, this module packs and
signs them, and ``verify_evidence_pack`` checks a pack with only the platform's public key.

Deterministic: entries sorted by name, every timestamp 1980-01-01 00:00:00, fixed permissions, DEFLATE; the same
files give the same bytes (Ed25519 signatures are deterministic too).
"""

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field

from audits.signing import dsse

MANIFEST = "MANIFEST"
MANIFEST_ENVELOPE = "MANIFEST.dsse.json"
PREDICATE_TYPE = "https://fairness-audit.local/attestations/evidence-pack/v1"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_ENTRY_BYTES = 1 << 30  # an entry claiming more than 1 GiB is refused before it is read


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` format, sorted by name: `sha256sum -c MANIFEST` checks an unpacked pack."""
    return "".join(f"{_sha256(files[name])}  {name}\n" for name in sorted(files)).encode("utf-8")


def _parse_manifest(text: bytes) -> dict[str, str]:
    entries = {}
    for number, line in enumerate(text.decode("utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name or name in entries:
            raise ValueError(f"line {number} is not '<sha256>  <name>' (or names a file twice)")
        entries[name] = digest
    return entries


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, so the permissions read the same everywhere
            archive.writestr(info, files[name])
    return buffer.getvalue()


def evidence_pack(files: dict[str, bytes], *, predicate: dict, private_key, key_id: str) -> bytes:
    """ZIP of `files` plus MANIFEST and MANIFEST.dsse.json (an in-toto Statement whose subjects are the MANIFEST and
    every file, signed with `private_key`). Raises ValueError when a name is reserved or not a plain file name."""
    for name in files:
        if name in (MANIFEST, MANIFEST_ENVELOPE) or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"'{name}' cannot be a file of an evidence pack")
    manifest = manifest_text(files)
    subjects = [{"name": MANIFEST, "sha256": _sha256(manifest)}]
    subjects += [{"name": name, "sha256": _sha256(files[name])} for name in sorted(files)]
    envelope = dsse.sign_envelope(dsse.statement(subjects, PREDICATE_TYPE, predicate), private_key, key_id)
    signed = json.dumps(envelope, sort_keys=True, indent=2).encode("utf-8") + b"\n"
    return deterministic_zip({**files, MANIFEST: manifest, MANIFEST_ENVELOPE: signed})


@dataclass
class PackCheck:
    """The result of verifying a pack: ok, or the first file that does not match and why."""

    ok: bool
    files: int = 0
    first_bad_file: str = ""
    reason: str = ""
    predicate: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fail(name: str, reason: str, **kw) -> PackCheck:
    return PackCheck(False, first_bad_file=name, reason=reason, **kw)


def _read_entries(data: bytes) -> dict[str, bytes] | PackCheck:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return _fail("(the ZIP)", f"not a ZIP file: {exc}")
    entries = {}
    with archive:
        for info in archive.infolist():
            if info.file_size > MAX_ENTRY_BYTES:
                return _fail(info.filename, "larger than 1 GiB; refused")
            if info.filename in entries:
                return _fail(info.filename, "appears twice in the ZIP")
            try:
                entries[info.filename] = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:  # CRC, damaged streams
                return _fail(info.filename, f"cannot be read from the ZIP: {exc}")
    return entries


def _signed_manifest(entries: dict[str, bytes], public_key) -> tuple[dict[str, str], dict] | PackCheck:
    for name in (MANIFEST_ENVELOPE, MANIFEST):
        if name not in entries:
            return _fail(name, "missing from the pack")
    try:
        statement = dsse.verify_envelope(entries[MANIFEST_ENVELOPE], public_key)
    except (dsse.EnvelopeError, ValueError) as exc:
        return _fail(MANIFEST_ENVELOPE, f"the manifest signature does not verify with this public key: {exc}")
    if statement.get("predicateType") != PREDICATE_TYPE:
        return _fail(MANIFEST_ENVELOPE, f"not an evidence-pack statement ({statement.get('predicateType')!r})")
    signed = {s["name"]: s.get("digest", {}).get("sha256", "") for s in statement.get("subject", [])}
    if signed.get(MANIFEST) != _sha256(entries[MANIFEST]):
        return _fail(MANIFEST, "its sha256 is not the one the signed statement names (the manifest was altered)")
    try:
        manifest = _parse_manifest(entries[MANIFEST])
    except (ValueError, UnicodeDecodeError) as exc:
        return _fail(MANIFEST, f"unreadable: {exc}")
    if {k: v for k, v in signed.items() if k != MANIFEST} != manifest:
        return _fail(MANIFEST, "lists other files or sums than the signed statement")
    return manifest, statement.get("predicate") or {}


def verify_evidence_pack(data: bytes, public_key) -> PackCheck:
    """Check a pack offline: the manifest's signature with `public_key` (PEM, raw bytes or key object), then in name
    order that every file is listed with its sha256 and that no listed file is missing. Stops at the first file
    that does not match. Never raises for a bad pack; raises ValueError only for an unreadable public key."""
    dsse.load_public_key(public_key)
    entries = _read_entries(data)
    if isinstance(entries, PackCheck):
        return entries
    signed = _signed_manifest(entries, public_key)
    if isinstance(signed, PackCheck):
        return signed
    manifest, predicate = signed
    for name in sorted(set(entries) | set(manifest)):
        if name in (MANIFEST, MANIFEST_ENVELOPE):
            continue
        if name not in manifest:
            return _fail(name, "is in the pack but not in the signed manifest (an extra file)", predicate=predicate)
        if name not in entries:
            return _fail(name, "is in the signed manifest but missing from the pack", predicate=predicate)
        if _sha256(entries[name]) != manifest[name]:
            return _fail(name, "its sha256 does not match the signed manifest (the file was altered)",
                         predicate=predicate)  # fmt: skip
    notes, problem = _inner_checks(entries, public_key)
    if problem:
        return _fail(problem[0], problem[1], files=len(manifest), predicate=predicate, notes=notes)
    return PackCheck(True, files=len(manifest), predicate=predicate, notes=notes)


def _inner_checks(entries: dict[str, bytes], public_key) -> tuple[list[str], tuple[str, str] | None]:
    """What the pack's own files say, once their sums hold: the report's signatures name report.json, and every
    event of the trail extract matches its hash. Returns notes and the first (file, reason) that fails."""
    notes = []
    report = entries.get("report.json")
    if report is not None and "signatures.intoto.jsonl" in entries:
        try:
            statements = dsse.verify_bundle(entries["signatures.intoto.jsonl"], public_key)
        except (dsse.EnvelopeError, ValueError) as exc:
            return notes, ("signatures.intoto.jsonl", f"the report's signatures do not verify with this key: {exc}")
        if _sha256(report) not in {d for s in statements for d in dsse.subject_digests(s)}:
            return notes, ("report.json", "is not a subject of the report's signatures")
        notes.append(f"report signatures: {len(statements)} verified, report.json is their signed subject")
    trail = entries.get("trail.json")
    if trail is not None:
        try:
            events = json.loads(trail)["events"]
            broken = [e["id"] for e in events if _event_hash(e) != e["hash"]]
        except (ValueError, KeyError, TypeError) as exc:
            return notes, ("trail.json", f"unreadable trail extract: {exc}")
        if broken:
            return notes, ("trail.json", f"events {broken} do not match their hash")
        notes.append(f"trail extract: {len(events)} events, each one's hash recomputed")
    return notes, None


def _event_hash(event: dict) -> str:
    """design.md section 7: sha256(prev_hash + canonical JSON of the hashed fields) (audits.services.events)."""
    payload = event["payload"]
    return _sha256((payload["prev_hash"] + dsse.canonical_bytes(payload).decode("utf-8")).encode("utf-8"))
