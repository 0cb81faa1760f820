"""Forms of the Webhooks page: they only parse input; services.webhooks checks the URL, events and secret."""

from django import forms

from audits.choices import WEBHOOK_SUBSCRIBABLE, WebhookEventType

EVENT_CHOICES = [(e.value, f"{e.value}: {e.label}") for e in WebhookEventType if e in WEBHOOK_SUBSCRIBABLE]


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=2000,
        help_text="https://… of your receiver. No user name or password in it: every message is signed instead.",
        widget=forms.URLInput(attrs={"placeholder": "https://governance.example.org/hooks/audits"}),
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Events", choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["run.succeeded"]
    )
    enabled = forms.BooleanField(label="Enabled (send messages to this receiver)", required=False, initial=True)


class WebhookAddForm(WebhookForm):
    secret = forms.CharField(
        label="Signing secret (optional)",
        max_length=200,
        required=False,
        help_text="whsec_… in the Standard Webhooks form; leave empty and one is generated.",
    )


class WebhookEditForm(WebhookForm):
    rotate_secret = forms.BooleanField(
        label="Generate a new signing secret (the old one stops verifying)", required=False
    )
