"""Uploading datasets over the API: good files are stored, bad ones get a clear 400 and leave nothing."""

import io
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditEvent, Dataset, ModelArtifact, ProtectedAttribute
from tests.api_errors import error_attr, error_detail
from tests.factories import credit_frame, csv_upload, upload_form

URL = "/api/v1/datasets/"


def _stored_files(media_root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(media_root) for f in files]


def _record_counts():
    return (
        Dataset.objects.count(),
        ProtectedAttribute.objects.count(),
        ModelArtifact.objects.count(),
        AuditEvent.objects.filter(action__in=["dataset.created", "model.registered"]).count(),
    )


def test_upload_stores_parquet_with_sha_schema_and_protected_attributes(auditor_client, _media_root):
    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    dataset = Dataset.objects.get(pk=body["id"])
    assert dataset.n_rows == 600 and dataset.source_format == "csv" and dataset.source_delimiter == ","
    assert len(dataset.sha256) == 64 and dataset.file.name.endswith(".parquet")
    stored = pd.read_parquet(dataset.file.path)
    assert list(stored.columns) == ["sex", "age_band", "decision", "repaid"]
    assert {a["name"]: a["groups"] for a in body["protected_attributes"]} == {
        "sex": ["female", "male"],
        "age_band": ["25-60", "<25", ">60"],
    }
    assert body["model"]["kind"] == "dataset_decisions" and body["model"]["decision_favourable"] == ["approve"]
    assert dataset.profile["decision"]["favourable_rows"] == int((credit_frame()["decision"] == "approve").sum())
    assert AuditEvent.objects.filter(action="dataset.created", object_id=str(dataset.pk)).exists()


def test_latin1_semicolon_file_is_detected(auditor_client):
    frame = credit_frame()
    frame["sex"] = frame["sex"].map({"female": "féminin", "male": "masculin"})
    response = auditor_client.post(URL, upload_form(csv_upload(frame, sep=";", encoding="latin-1")), format="multipart")

    assert response.status_code == 201, response.json()
    dataset = Dataset.objects.get(pk=response.json()["id"])
    assert dataset.source_encoding in {"cp1252", "latin-1"} and dataset.source_delimiter == ";"
    assert ProtectedAttribute.objects.get(dataset=dataset, name="sex").groups == ["féminin", "masculin"]


def test_parquet_upload_is_accepted_by_content_whatever_its_name(auditor_client):
    buffer = io.BytesIO()
    credit_frame().to_parquet(buffer, index=False)
    upload = SimpleUploadedFile("looks-like.csv", buffer.getvalue())

    response = auditor_client.post(URL, upload_form(upload), format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["source_format"] == "parquet"


def _latin1_file():
    frame = credit_frame()
    frame["sex"] = frame["sex"].map({"female": "Frau (weiblich, ä)", "male": "Mann"})
    return csv_upload(frame, encoding="latin-1")


def _binary_renamed_csv():
    return SimpleUploadedFile("data.csv", pickle.dumps({"weights": [1, 2, 3]}), content_type="text/csv")


def _empty_protected():
    frame = credit_frame()
    frame["sex"] = ""
    return csv_upload(frame)


def _no_favourable():
    frame = credit_frame()
    frame["decision"] = "deny"
    return csv_upload(frame)


MALFORMED = [
    pytest.param(lambda: _latin1_file(), {"encoding": "utf-8"}, "encoding", "not valid utf-8", id="wrong-encoding"),
    pytest.param(
        lambda: csv_upload(credit_frame()),
        {"protected": ["gender"]},
        "protected",
        "'gender' is not in",
        id="missing-protected-column",
    ),
    pytest.param(
        lambda: csv_upload(credit_frame()),
        {"decision_column": "decison"},
        "decision_column",
        "Did you mean: decision",
        id="missing-decision-column",
    ),
    pytest.param(_no_favourable, {}, "decision_column", "no row equal to the favourable value", id="no-favourable"),
    pytest.param(_empty_protected, {}, "protected", "'sex' is empty", id="empty-protected-column"),
    pytest.param(_binary_renamed_csv, {}, "file", "Python pickle", id="binary-renamed-csv"),
    pytest.param(lambda: SimpleUploadedFile("x.csv", b"\x00\x01\x02" * 100), {}, "file", "binary data", id="nul-bytes"),
    pytest.param(
        lambda: SimpleUploadedFile("x.csv", b"sex,decision,repaid\n"), {}, "file", "no data rows", id="header-only"
    ),
    # Issue 14: inputs that used to answer 500.
    pytest.param(
        lambda: csv_upload(credit_frame()), {"delimiter": "é"}, "delimiter", "one ASCII character", id="delim-e"
    ),
    pytest.param(
        lambda: csv_upload(credit_frame()), {"delimiter": "a"}, "delimiter", "one ASCII character", id="delim-a"
    ),
    pytest.param(
        lambda: csv_upload(credit_frame()), {"encoding": "punycode"}, "encoding", "Unknown encoding", id="puny"
    ),
    pytest.param(lambda: csv_upload(credit_frame()), {"encoding": "rot13"}, "encoding", "Unknown encoding", id="rot13"),
    pytest.param(lambda: csv_upload(credit_frame()), {"encoding": "idna"}, "encoding", "Unknown encoding", id="idna"),
    pytest.param(lambda: _long_header_field(), {}, "file", "header row could not be parsed", id="huge-header-field"),
    pytest.param(lambda: _nul_after_the_head(), {}, "file", "binary data", id="nul-after-8-kb"),
]


def _long_header_field() -> SimpleUploadedFile:
    data = csv_upload(credit_frame()).read()
    return SimpleUploadedFile("x.csv", b'"' + b"h" * 140_000 + b'",' + data)


def _nul_after_the_head() -> SimpleUploadedFile:
    """A NUL byte well past the first 8 KB (the binary sniffing window), in a row of protected labels."""
    data = csv_upload(credit_frame(n=2000)).read()
    cut = data.index(b"\n", 20_000) + 1
    return SimpleUploadedFile("x.csv", data[:cut] + b"F\x00emale" + data[cut:])


@pytest.mark.parametrize(("make_file", "overrides", "field", "message"), MALFORMED)
def test_malformed_upload_gets_clear_400_and_leaves_no_records(
    auditor_client, _media_root, make_file, overrides, field, message
):
    before = _record_counts()

    response = auditor_client.post(URL, upload_form(make_file(), **overrides), format="multipart")

    assert response.status_code == 400, response.content
    assert error_attr(response) == field
    assert message.lower() in error_detail(response).lower()
    assert _record_counts() == before
    assert _stored_files(_media_root) == []


def test_oversized_upload_gets_400_naming_the_limit(auditor_client, settings, _media_root):
    settings.AUDIT_UPLOAD_MAX_BYTES = 1000
    before = _record_counts()

    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 400 and error_attr(response) == "file"
    assert "; the limit is 0.0 MB" in error_detail(response)
    assert _record_counts() == before and _stored_files(_media_root) == []


def test_too_many_rows_gets_400(auditor_client, settings):
    settings.AUDIT_UPLOAD_MAX_ROWS = 100

    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 400 and "more than 100 rows" in error_detail(response)


def test_unknown_reference_group_names_the_groups(auditor_client):
    response = auditor_client.post(
        URL, upload_form(csv_upload(credit_frame()), reference=["sex=nonbinary"]), format="multipart"
    )

    assert response.status_code == 400
    assert "Groups are: female, male" in error_detail(response)


def test_reviewer_cannot_upload(reviewer_client):
    response = reviewer_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 403 and Dataset.objects.count() == 0


def test_anonymous_cannot_list_or_upload(anonymous_client):
    assert anonymous_client.get(URL).status_code in (401, 403)
    assert anonymous_client.post(URL, {}, format="multipart").status_code in (401, 403)


def test_outsider_sees_no_foreign_dataset_and_cannot_upload_into_it(auditor_client, outsider_client):
    dataset_id = auditor_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart").json()["id"]

    assert outsider_client.get(URL).json()["results"] == []
    assert outsider_client.get(f"{URL}{dataset_id}/").status_code == 404
    response = outsider_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")
    assert response.status_code == 400 and error_attr(response) == "workspace"


def test_a_small_parquet_file_holding_a_huge_table_is_refused_from_its_metadata(auditor_client, _media_root):
    """Issue 14: 5 million rows x 23 columns of zeros compress to well under a megabyte and took 2.4 GB to read."""
    import resource

    import pyarrow as pa
    import pyarrow.parquet as pq

    zeros = pa.array(np.zeros(5_000_000, dtype=np.int8))
    table = pa.table({"sex": pa.array(np.zeros(5_000_000, dtype=np.int8)), **{f"c{i}": zeros for i in range(22)}})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    del table, zeros
    assert buffer.tell() < 2_000_000
    before = _record_counts()
    peak_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    response = auditor_client.post(
        URL,
        upload_form(SimpleUploadedFile("zeros.parquet", buffer.getvalue()), protected=["sex"], outcome_column=""),
        format="multipart",
    )

    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kb) / 1024
    assert response.status_code == 400, response.content
    assert "115,000,000 values" in response.content.decode() and "AUDIT_UPLOAD_MAX_CELLS" in response.content.decode()
    assert grown_mb < 100, f"refusing cost {grown_mb:.0f} MB of peak memory"
    assert _record_counts() == before and _stored_files(_media_root) == []


def test_a_csv_over_the_cell_budget_is_refused_before_it_is_parsed(auditor_client, settings, _media_root):
    settings.AUDIT_UPLOAD_MAX_CELLS = 1_000

    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame(n=600))), format="multipart")

    assert response.status_code == 400
    assert "AUDIT_UPLOAD_MAX_CELLS" in response.content.decode()


def test_a_large_upload_answers_202_validating_and_a_plan_on_it_is_refused_until_it_is_ready(auditor_client, settings):
    small = auditor_client.post(URL, upload_form(csv_upload(credit_frame(n=100))), format="multipart")
    assert small.status_code == 201 and small.json()["status"] == "ready"
    assert small.json()["decisions_model"] == small.json()["model"]["id"]
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000

    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame()), name="large"), format="multipart")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["status_reason"], body["model"], body["decisions_model"]) == (
        "validating",
        "",
        None,
        None,
    )
    assert auditor_client.get(f"{URL}{body['id']}/").json()["status"] == "validating"
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": body["id"], "model": small.json()["model"]["id"]}, format="json"
    )
    assert plan.status_code == 400 and error_attr(plan) == "dataset"
    assert "is still being validated" in error_detail(plan)


def test_a_large_upload_that_its_head_already_refuses_answers_400_at_once(auditor_client, settings, _media_root):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000
    before = _record_counts()

    response = auditor_client.post(
        URL, upload_form(csv_upload(credit_frame()), encoding="punycode"), format="multipart"
    )

    assert response.status_code == 400 and error_attr(response) == "encoding"
    assert _record_counts() == before and _stored_files(_media_root) == []
