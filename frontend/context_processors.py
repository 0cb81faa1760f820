"""The navigation: which section the page belongs to, and whether the user may create anything."""

from audits import selectors

# url name prefix -> navigation section
_SECTIONS = {
    "home": "dashboard",
    "dataset": "datasets",
    "model": "models",
    "plan": "new",
    "run": "runs",
    "report": "runs",
    "schedule": "schedules",
    "trail": "trail",
    "workspace": "settings",
    "webhook": "settings",
    "account": "account",
}


def navigation(request) -> dict:
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    section = _SECTIONS.get(name.split("-")[0], "")
    user = getattr(request, "user", None)
    can_write = bool(user and user.is_authenticated and selectors.workspace_writable_list(user=user).exists())
    return {"nav_section": section, "can_write": can_write}
