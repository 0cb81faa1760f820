from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .views import compare, schedules, tokens, trail, webhooks, whatif, workspace_settings

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/upload/", views.dataset_upload, name="dataset-upload"),
    path("datasets/upload/preview/", views.dataset_upload_preview, name="dataset-upload-preview"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:pk>/status/", views.dataset_status, name="dataset-status"),
    path("models/", views.model_list, name="model-list"),
    path("models/register/", views.model_register_page, name="model-register"),
    path("models/<int:pk>/", views.model_detail, name="model-detail"),
    # What-if playground of a model (HTMX form; its result polls while a worker computes it) and saving as evidence.
    path("models/<int:pk>/what-if/", whatif.model_what_if, name="model-what-if"),
    path("models/<int:pk>/what-if/evidence/", whatif.model_what_if_evidence, name="model-what-if-evidence"),
    path("models/<int:pk>/status/", views.model_status, name="model-status"),
    path("audits/new/", views.plan_new, name="plan-new"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    # Schedules: re-audits of a plan on a rule (the list, create, change, pause, resume, delete).
    path("schedules/", schedules.schedule_list, name="schedule-list"),
    path("schedules/new/", schedules.schedule_new, name="schedule-new"),
    path("schedules/<int:pk>/edit/", schedules.schedule_edit, name="schedule-edit"),
    path("schedules/<int:pk>/pause/", schedules.schedule_pause_page, name="schedule-pause"),
    path("schedules/<int:pk>/resume/", schedules.schedule_resume_page, name="schedule-resume"),
    path("schedules/<int:pk>/delete/", schedules.schedule_delete_page, name="schedule-delete"),
    path("reports/<int:pk>/export/<str:fmt>/", views.report_download, name="report-download"),
    # Dashboard: the live "In progress" card
    path("dashboard/in-progress/", views.home_in_progress, name="home-in-progress"),
    # Report page: the review panel's steps (submit, start, approve, reject, request_changes, comment).
    path("reports/<int:pk>/review/<str:action>/", views.report_review, name="report-review"),
    # Governance: Compare, Trail, workspace settings, API tokens.
    path("reports/compare/", compare.report_compare_page, name="report-compare"),
    path("trail/", trail.trail, name="trail"),
    path("trail/verify/", trail.trail_verification, name="trail-verify"),
    path("workspaces/<slug:slug>/settings/", workspace_settings.workspace_settings, name="workspace-settings"),
    path(
        "workspaces/<slug:slug>/settings/members/add/",
        workspace_settings.workspace_member_add,
        name="workspace-member-add",
    ),
    path(
        "workspaces/<slug:slug>/settings/members/<int:user_id>/role/",
        workspace_settings.workspace_member_role,
        name="workspace-member-role",
    ),
    path(
        "workspaces/<slug:slug>/settings/members/<int:user_id>/remove/",
        workspace_settings.workspace_member_remove,
        name="workspace-member-remove",
    ),
    # Webhooks of a workspace (admins): list and add, one endpoint's form and log, its actions.
    path("workspaces/<slug:slug>/settings/webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("workspaces/<slug:slug>/settings/webhooks/add/", webhooks.webhook_add, name="webhook-add"),
    path("workspaces/<slug:slug>/settings/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook-detail"),
    path(
        "workspaces/<slug:slug>/settings/webhooks/<int:pk>/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook-deliveries",
    ),
    path("workspaces/<slug:slug>/settings/webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook-test"),
    path(
        "workspaces/<slug:slug>/settings/webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"
    ),
    path("account/tokens/", tokens.account_tokens, name="account-tokens"),
    path("account/tokens/create/", tokens.account_token_create, name="account-token-create"),
    path("account/tokens/<str:token_id>/revoke/", tokens.account_token_revoke, name="account-token-revoke"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
