"""The pages, one module per section of the navigation."""

from .datasets import dataset_detail, dataset_list, dataset_status, dataset_upload, dataset_upload_preview
from .home import home, home_in_progress
from .models import model_detail, model_list, model_register_page, model_status
from .plans import plan_new
from .reports import report_detail, report_download, report_review
from .runs import run_detail, run_list, run_status

__all__ = [
    "dataset_detail",
    "dataset_list",
    "dataset_status",
    "dataset_upload",
    "dataset_upload_preview",
    "home",
    "home_in_progress",
    "model_detail",
    "model_list",
    "model_register_page",
    "model_status",
    "plan_new",
    "report_detail",
    "report_download",
    "report_review",
    "run_detail",
    "run_list",
    "run_status",
]
