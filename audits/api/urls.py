from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import views, views_reports

router = DefaultRouter()
router.register("workspaces", views.WorkspaceViewSet, basename="workspace")
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("protected-attributes", views.ProtectedAttributeViewSet, basename="protected-attribute")
router.register("models", views.ModelArtifactViewSet, basename="model")
router.register("lexicons", views.WorkspaceLexiconViewSet, basename="lexicon")
router.register("plans", views.AuditPlanViewSet, basename="plan")
router.register("runs", views.AuditRunViewSet, basename="run")
router.register("reports", views_reports.AuditReportViewSet, basename="report")
router.register("reviews", views_reports.ReportReviewViewSet, basename="review")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("trail/verify/", views.TrailVerifyView.as_view(), name="trail-verify"),
    path("signing-key/", views_reports.SigningKeyView.as_view(), name="signing-key"),
    path("", include(router.urls)),
]
