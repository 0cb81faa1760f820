"""Forms of the pages. They only parse input; every rule is the service's, and its errors land on these fields.

Field names equal the `field` an ApplicationError names (decision_column, protected, reference, favourable...),
so a service error is shown next to the input at fault. One module per page: datasets, models, plans.
"""

from ._common import show_service_error, split_values
from .datasets import DatasetUploadForm
from .models import ModelRegisterForm
from .plans import PlanForm
from .schedules import ScheduleForm

__all__ = ["DatasetUploadForm", "ModelRegisterForm", "PlanForm", "ScheduleForm", "show_service_error", "split_values"]
