"""Datasets pages: the list, the upload form calling dataset_create, and the stored profile."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditEvent, Dataset, ModelArtifact
from tests.audits.factories import DatasetFactory
from tests.factories import credit_frame, csv_upload


def _form(**overrides) -> dict:
    form = {
        "file": csv_upload(credit_frame()),
        "name": "Credit decisions",
        "decision_column": "decision",
        "decision_favourable": "approve",
        "outcome_column": "repaid",
        "outcome_favourable": "1",
        "protected": "sex, age_band",
        "reference": "sex=male",
        "missing_policy": "drop_rows",
        "score_higher_is_favourable": "on",
    }
    form.update(overrides)
    return form


def test_upload_stores_the_dataset_and_its_decisions_model_with_their_events(auditor_page, auditor):
    response = auditor_page.post("/datasets/upload/", _form())

    dataset = Dataset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.pk}/"
    assert dataset.name == "Credit decisions" and dataset.created_by == auditor
    assert {(a.column, a.reference_group) for a in dataset.protected_attributes.all()} == {
        ("sex", "male"),
        ("age_band", ""),
    }
    model = ModelArtifact.objects.get(dataset=dataset)
    assert (model.decision_column, model.decision_favourable) == ("decision", ["approve"])
    events = AuditEvent.objects.filter(actor=auditor).values_list("action", flat=True)
    assert {"dataset.created", "model.registered"} <= set(events)


def test_a_misnamed_column_is_explained_next_to_its_field_and_nothing_is_stored(auditor_page):
    response = auditor_page.post("/datasets/upload/", _form(decision_column="decison"))

    assert response.status_code == 200
    html = response.content.decode()
    field_block = html.split('id="id_decision_column"')[0].rsplit('<div class="field', 1)[1]
    assert "Column &#x27;decison&#x27; is not in the file" in field_block and "Did you mean: decision" in field_block
    assert Dataset.objects.count() == 0 and not AuditEvent.objects.filter(action="dataset.created").exists()


def test_an_unknown_reference_group_lands_on_the_reference_field(auditor_page):
    response = auditor_page.post("/datasets/upload/", _form(reference="sex=other"))

    html = response.content.decode()
    block = html.split('id="id_reference"')[0].rsplit('<div class="field', 1)[1]
    assert "Reference group &#x27;other&#x27; is not a value of &#x27;sex&#x27;" in block
    assert Dataset.objects.count() == 0


def test_a_reference_for_a_column_that_is_not_protected_is_refused(auditor_page):
    response = auditor_page.post("/datasets/upload/", _form(reference="race=white"))

    assert response.status_code == 200 and "not protected attributes: race" in response.content.decode()
    assert Dataset.objects.count() == 0


def test_an_upload_sent_with_progress_navigates_the_browser_to_the_dataset(auditor_page):
    page = auditor_page.get("/datasets/upload/").content.decode()
    response = auditor_page.post("/datasets/upload/", _form(), headers={"HX-Request": "true"})

    dataset = Dataset.objects.get()
    assert 'hx-encoding="multipart/form-data"' in page and '<progress id="upload-progress"' in page
    assert response.status_code == 200 and response["HX-Redirect"] == f"/datasets/{dataset.pk}/"


def test_a_refused_upload_sent_with_progress_answers_the_form_with_its_errors(auditor_page):
    response = auditor_page.post("/datasets/upload/", _form(decision_column="decisoin"), headers={"HX-Request": "true"})

    assert response.status_code == 200 and "HX-Redirect" not in response
    assert "Nothing was stored" in response.content.decode() and not Dataset.objects.exists()


def test_a_viewer_sees_no_upload_button_and_is_refused_with_a_message_page(viewer_page):
    listing = viewer_page.get("/datasets/")
    refused = viewer_page.post("/datasets/upload/", _form())

    assert listing.status_code == 200 and "Upload dataset" not in listing.content.decode()
    assert refused.status_code == 403
    assert "Your role in this workspace is &#x27;viewer&#x27;" in refused.content.decode()
    assert Dataset.objects.count() == 0


def test_the_auditor_sees_the_upload_button(auditor_page):
    assert "Upload dataset" in auditor_page.get("/datasets/").content.decode()


def test_the_detail_page_shows_columns_group_sizes_and_warns_of_small_groups(auditor_page, auditor, workspace):
    frame = credit_frame(n=200)
    frame.loc[:9, "age_band"] = "over-90"  # ten rows: under the minimum group size of 30
    dataset = DatasetFactory(user=auditor, workspace=workspace, frame=frame)

    html = auditor_page.get(f"/datasets/{dataset.pk}/").content.decode()

    columns = html.split("<h2>Columns</h2>")[1]
    assert all(f"<td>{c}</td><td><code>" in columns for c in ("sex", "age_band", "decision", "repaid"))
    counts = frame["sex"].value_counts()
    assert f'<td>female</td><td class="num">{counts["female"]}</td>' in html
    assert "Small groups:</strong> over-90 has fewer than 30 rows" in html
    summary = html.split('id="small-head"')[1].split("</div>")[0]  # listed first, before the facts
    age_band = dataset.protected_attributes.get(name="age_band")
    assert f'<li><a href="#attribute-{age_band.pk}">age_band</a>: over-90</li>' in summary
    assert html.index('id="small-head"') < html.index('<dl class="facts">')
    assert f'<h3 id="attribute-{age_band.pk}">age_band' in html


def test_without_small_groups_the_detail_page_says_every_group_is_large_enough(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace, protected=(("sex", ""),))

    html = auditor_page.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "Every group of every protected attribute has at least 30 rows" in html and "small-head" not in html


def test_after_a_failed_upload_the_form_keeps_every_choice_but_the_file(auditor_page):
    html = auditor_page.post("/datasets/upload/", _form(decision_column="decison")).content.decode()

    kept = {"name": "Credit decisions", "decision_favourable": "approve", "protected": "sex, age_band",
            "reference": "sex=male", "outcome_column": "repaid"}  # fmt: skip
    for name, value in kept.items():
        assert f'name="{name}" value="{value}"' in html
    assert "choose the file again" in html


def test_outsiders_get_404_on_another_workspaces_dataset(outsider_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    assert outsider_page.get(f"/datasets/{dataset.pk}/").status_code == 404
    assert dataset.name not in outsider_page.get("/datasets/").content.decode()


def test_pages_need_a_login(client):
    for url in ("/datasets/", "/datasets/upload/", "/models/", "/models/register/", "/audits/new/", "/runs/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_a_chosen_file_is_previewed_with_group_sizes_and_nothing_is_stored(auditor_page):
    form = _form()
    response = auditor_page.post("/datasets/upload/preview/", {"file": form["file"]}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "What the file holds" in html
    assert "600 rows" in html and "female: " in html and "age_band" in html
    assert not Dataset.objects.exists() and not AuditEvent.objects.filter(action="dataset.created").exists()


def test_a_preview_of_a_refused_file_says_why(auditor_page):
    pickle = SimpleUploadedFile("data.csv", b"\x80\x04\x95 not a table", content_type="text/csv")

    html = auditor_page.post("/datasets/upload/preview/", {"file": pickle}).content.decode()

    assert "This file cannot be uploaded" in html and "pickle" in html


def test_a_viewer_gets_no_preview(viewer_page):
    html = viewer_page.post("/datasets/upload/preview/", {"file": _form()["file"]}).content.decode()

    assert "lets you read, not upload" in html and "What the file holds" not in html
