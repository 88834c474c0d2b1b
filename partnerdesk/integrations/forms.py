"""The form that registers an OAuth app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerdesk.access.permissions import TOKEN_SCOPE_LABELS, OrgKind, app_scopes_for
from partnerdesk.integrations.inputs import OAuthAppIn


class AppForm(forms.Form):
    input_model = OAuthAppIn  # what it validates into (`partnerdesk.inputs`), as the API does

    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one. Read only: the app changes nothing. An area: only that part."),
    )

    def __init__(self, *args: object, kind: OrgKind, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(scope.value, TOKEN_SCOPE_LABELS[scope]) for scope in app_scopes_for(kind)]
