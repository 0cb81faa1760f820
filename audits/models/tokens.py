from django.db import models
from knox.models import AuthToken

from audits.choices import TokenScope


class ApiTokenScope(models.Model):
    """The scope and label of one API token (knox's AuthToken holds only the key's digest, owner and expiry).

    Written by services.tokens.token_create with its token; deleted with it (revoked or expired). A token without
    this row (made outside the platform's service, e.g. in the Django admin) counts as read-only."""

    token = models.OneToOneField(AuthToken, on_delete=models.CASCADE, primary_key=True, related_name="platform_scope")
    scope = models.CharField(max_length=10, choices=TokenScope.choices)
    name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.scope} token {self.name or self.token.token_key[:8]}"
