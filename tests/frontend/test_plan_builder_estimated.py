"""New audit page: race never recorded, estimated from surname and ZIP (BISG); the upload page takes proxy columns."""

import numpy as np
import pytest

from audits.models import AuditPlan, Dataset, ModelArtifact
from audits.services.datasets import dataset_create
from tests.explainers.estimated.population import population
from tests.factories import csv_upload
from tests.frontend.test_plan_and_run_pages import _plan_form


@pytest.fixture
def applicants():
    frame = population(400, seed=8).drop(columns=["race"])
    frame["decision"] = np.where(frame.pop("approved"), "approve", "deny")
    return frame


@pytest.fixture
def dataset(auditor, workspace, applicants):
    dataset, _ = dataset_create(
        user=auditor, workspace=workspace, name="applicants", upload=csv_upload(applicants, "applicants.csv"),
        protected=[], proxy_columns=["surname", "zip"], decision_column="decision", decision_favourable=["approve"],
    )  # fmt: skip
    return dataset


def test_the_upload_page_takes_proxy_columns_instead_of_protected_ones(auditor_page, workspace, applicants):
    response = auditor_page.post(
        "/datasets/upload/",
        {"workspace": workspace.pk, "file": csv_upload(applicants, "applicants.csv"), "decision_column": "decision",
         "decision_favourable": "approve", "protected": "", "proxy_columns": "surname, zip",
         "missing_policy": "drop_rows"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    dataset = Dataset.objects.get()
    assert not dataset.protected_attributes.exists()


def test_the_builder_offers_an_estimated_race_and_sends_it_to_the_plan(auditor_page, dataset):
    model = ModelArtifact.objects.get(dataset=dataset)
    html = auditor_page.get(f"/audits/new/?model={model.pk}").content.decode()
    assert "Attributes never recorded" in html and 'name="surname_column"' in html
    assert '<option value="Black">Black</option>' in html

    form = _plan_form(model, dataset, attributes=[], estimate_race="on", surname_column="surname", zip_column="zip",
                      estimate_reference="White")  # fmt: skip
    response = auditor_page.post("/audits/new/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    plan = AuditPlan.objects.get()
    assert plan.estimated_attributes == [
        {"name": "race (estimated)", "estimate": "race", "surname_column": "surname", "zip_column": "zip",
         "first_name_column": "", "reference_group": "White"}
    ]  # fmt: skip


def test_a_missing_proxy_column_is_refused_next_to_the_estimate(auditor_page, dataset):
    model = ModelArtifact.objects.get(dataset=dataset)
    form = _plan_form(model, dataset, attributes=[], estimate_race="on", surname_column="last_name")

    response = auditor_page.post("/audits/new/", form)

    html = response.content.decode()
    assert response.status_code == 200 and not AuditPlan.objects.exists()
    fieldset = html.split("Attributes never recorded")[0].rsplit("<fieldset", 1)[-1]
    assert 'class="invalid"' in fieldset and "no column &#x27;last_name&#x27;" in html
