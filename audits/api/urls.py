from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views, views_governance, views_reports, views_schedules, views_webhooks

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
router.register("schedules", views_schedules.AuditScheduleViewSet, basename="schedule")
router.register("auth/tokens", views_governance.ApiTokenViewSet, basename="api-token")
router.register("webhooks", views_webhooks.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", views_governance.TokenLoginView.as_view(), name="api-token-login"),
    path("auth/logout/", views_governance.TokenLogoutView.as_view(), name="api-token-logout"),
    path("trail/", views_governance.TrailListView.as_view(), name="trail-list"),
    path("trail/verify/", views.TrailVerifyView.as_view(), name="trail-verify"),
    path("signing-key/", views_reports.SigningKeyView.as_view(), name="signing-key"),
    path("", include(router.urls)),
]
