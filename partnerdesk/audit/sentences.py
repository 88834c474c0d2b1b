"""The audit log in words: one translated sentence per event, and before → after as labelled fields.

"Adam Agent (Fabrikam, acting for Contoso) suspended Office 365 E3": who (name, organization, on
whose behalf), a verb phrase per action (`ACTIONS`, translated in the viewer's language when shown),
and the object by the name it had then (`AuditEvent.object_label`). The raw JSON stays in the event
(details toggle, CSV, API). An action without a phrase reads "did <action> on <object>" rather than
failing: new actions show up readable and get their phrase here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from partnerdesk.audit.models import AuditEvent
from partnerdesk.texts import when


def _(message: str) -> str:
    """Mark a phrase for makemessages; it is translated when shown (`gettext(phrase)`)."""
    return message


# Each phrase has %(object)s: the object's name when the event happened.
ACTIONS: dict[str, str] = {
    "api_token.created": _("created the API token %(object)s"),
    "api_token.revoked": _("revoked the API token %(object)s"),
    "attachment.added": _("attached %(object)s"),
    "canned_reply.created": _("created the canned reply %(object)s"),
    "catalog.addon_rule_added": _("added the add-on rule %(object)s"),
    "catalog.offer_created": _("created the offer %(object)s"),
    "catalog.policy_changed": _("changed the policy of %(object)s"),
    "catalog.price_change_announced": _("announced a price change for %(object)s"),
    "catalog.product_created": _("created the product %(object)s"),
    "catalog.sku_created": _("created the SKU %(object)s"),
    "catalog.upgrade_path_added": _("added the upgrade path %(object)s"),
    "change_request.created": _("asked for a change to %(object)s"),
    "change_request.approved": _("approved the change request %(object)s"),
    "change_request.rejected": _("rejected the change request %(object)s"),
    "change_request.information_requested": _("asked for information about %(object)s"),
    "change_request.replied": _("answered about %(object)s"),
    "customer.created": _("created the customer %(object)s"),
    "customer.updated": _("changed the customer %(object)s"),
    "domain.added": _("added the domain %(object)s"),
    "domain.default_changed": _("made %(object)s the default domain"),
    "domain.removed": _("removed the domain %(object)s"),
    "domain.verified": _("verified the domain %(object)s"),
    "feature.created": _("created the feature %(object)s"),
    "feed_token.created": _("created a feed link %(object)s"),
    "feed_token.revoked": _("revoked a feed link %(object)s"),
    "group.created": _("created the group %(object)s"),
    "group.deleted": _("deleted the group %(object)s"),
    "group.member_added": _("added a member to %(object)s"),
    "group.member_removed": _("removed a member from %(object)s"),
    "health_issue.created": _("opened the health issue %(object)s"),
    "health_issue.posted": _("posted an update to %(object)s"),
    "health_issue.published": _("published the health issue %(object)s"),
    "health_issue.report_published": _("published the incident report of %(object)s"),
    "health_issue.revised": _("revised the health issue %(object)s"),
    "health_preferences.updated": _("changed the service health preferences %(object)s"),
    "help_article.created": _("wrote the help article %(object)s"),
    "help_article.updated": _("revised the help article %(object)s"),
    "inbound_mail.discarded": _("discarded the quarantined mail %(object)s"),
    "inbound_mail.released": _("released the quarantined mail %(object)s to a request"),
    "licence.assigned": _("assigned a licence to %(object)s"),
    "licence.removed": _("removed a licence from %(object)s"),
    "maintenance.cancelled": _("cancelled the maintenance %(object)s"),
    "maintenance.created": _("scheduled the maintenance %(object)s"),
    "maintenance.rescheduled": _("rescheduled the maintenance %(object)s"),
    "message.attachment_added": _("attached a file to the post %(object)s"),
    "message.created": _("wrote the Message center post %(object)s"),
    "message.published": _("published the Message center post %(object)s"),
    "message.revised": _("revised the Message center post %(object)s"),
    "oauth_app.created": _("registered the OAuth app %(object)s"),
    "oauth_app.deleted": _("deleted the OAuth app %(object)s"),
    "oauth_app.secret_rotated": _("gave the OAuth app %(object)s a new client secret"),
    "organization.mfa_policy_changed": _("changed who must use a second factor in %(object)s"),
    "organization.security_changed": _("changed the security policy of %(object)s"),
    "organization.updated": _("changed the organization profile of %(object)s"),
    "partner.created": _("created the partner %(object)s"),
    "partner.flag_resolved": _("resolved a flag of the partner %(object)s"),
    "partner.flagged": _("flagged the partner %(object)s"),
    "partner.reactivated": _("reactivated the partner %(object)s"),
    "partner.suspended": _("suspended the partner %(object)s"),
    "partner.updated": _("changed the partner %(object)s"),
    "region.created": _("created the region %(object)s"),
    "relationship.accepted": _("accepted delegated access %(object)s"),
    "relationship.declined": _("declined delegated access %(object)s"),
    "relationship.ended": _("ended delegated access %(object)s"),
    "relationship.requested": _("asked for delegated access %(object)s"),
    "saved_view.created": _("saved the view %(object)s"),
    "service.created": _("added the service %(object)s"),
    "service_credential.created": _("created the service credential %(object)s"),
    "service_request.created": _("opened the service request %(object)s"),
    "service_request.updated": _("changed the service request %(object)s"),
    "sla_policy.saved": _("saved the SLA policy %(object)s"),
    "sso.break_glass_granted": _("allowed a password sign-in past single sign-on for %(object)s"),
    "sso.break_glass_used": _("signed in with a password past single sign-on for %(object)s"),
    "sso.changed": _("changed the identity provider %(object)s"),
    "sso.connected": _("connected the identity provider %(object)s"),
    "sso.removed": _("disconnected the identity provider %(object)s"),
    "subscription.cancelled": _("cancelled %(object)s"),
    "subscription.change_refused": _("was refused a change to %(object)s"),
    "subscription.created": _("bought %(object)s"),
    "subscription.data_deleted": _("deleted the data of %(object)s"),
    "subscription.decrease_scheduled": _("scheduled fewer seats at renewal for %(object)s"),
    "subscription.expired": _("let %(object)s expire"),
    "subscription.reactivated": _("reactivated %(object)s"),
    "subscription.renewed": _("renewed %(object)s"),
    "subscription.scheduled_change_invalidated": _("dropped a scheduled change of %(object)s"),
    "subscription.seats_decreased": _("removed seats from %(object)s"),
    "subscription.seats_increased": _("added seats to %(object)s"),
    "subscription.support_contact_set": _("set the support contact of %(object)s"),
    "subscription.suspended": _("suspended %(object)s"),
    "subscription.updated": _("changed the settings of %(object)s"),
    "subscription.upgraded": _("upgraded %(object)s"),
    "support.deflected": _("solved a problem with the help article %(object)s"),
    "support_profile.updated": _("changed the support profile of %(object)s"),
    "support_request.created": _("opened the support request %(object)s"),
    "support_request.escalated": _("escalated the support request %(object)s to the operator"),
    "support_request.merged": _("merged the support request %(object)s"),
    "support_request.note_added": _("added an internal note to %(object)s"),
    "support_request.updated": _("changed the support request %(object)s"),
    "support_topic.saved": _("saved the support topic %(object)s"),
    "user.blocked": _("blocked %(object)s from signing in"),
    "user.created": _("created the user %(object)s"),
    "user.deleted": _("deleted the user %(object)s"),
    "user.language_changed": _("changed the language of %(object)s"),
    "user.mfa_factor_added": _("added a second factor for %(object)s"),
    "user.mfa_factor_removed": _("removed a second factor of %(object)s"),
    "user.mfa_factor_renamed": _("renamed a second factor of %(object)s"),
    "user.mfa_recovery_code_used": _("recorded that %(object)s signed in with a recovery code"),
    "user.mfa_recovery_codes_created": _("made new recovery codes for %(object)s"),
    "user.mfa_reset": _("removed every second factor of %(object)s"),
    "user.password_change_required": _("required %(object)s to change their password"),
    "user.password_changed": _("changed the password of %(object)s"),
    "user.password_reset": _("reset the password of %(object)s"),
    "user.password_reset_by_admin": _("reset the password of %(object)s"),
    "user.profile_changed": _("changed the profile of %(object)s"),
    "user.purged": _("deleted the user %(object)s for good"),
    "user.restored": _("restored the user %(object)s"),
    "user.roles_changed": _("changed the roles of %(object)s"),
    "user.signed_in": _("signed in as %(object)s"),
    "user.unblocked": _("allowed %(object)s to sign in again"),
    "user.updated": _("changed the user %(object)s"),
    "api_token.all_revoked": _("revoked every API token of %(object)s"),
    "user.session_ended": _("ended a session of %(object)s"),
    "maintenance.started": _("started the maintenance %(object)s"),
    "maintenance.completed": _("completed the maintenance %(object)s"),
    # A support request's status changes (support_request.<status>) and replies.
    "support_request.replied": _("replied on the support request %(object)s"),
    "support_request.open": _("reopened the support request %(object)s"),
    "support_request.waiting_on_customer": _("asked the customer to answer on %(object)s"),
    "support_request.resolved": _("resolved the support request %(object)s"),
    "support_request.closed": _("closed the support request %(object)s"),
    "support_request.sla_breach": _("recorded that %(object)s breached its SLA"),
    "support_request.sla_near": _("recorded that %(object)s is about to breach its SLA"),
    # A service request's notes (service_request.<note kind>) and status changes.
    "service_request.to_partner": _("wrote to the partner on %(object)s"),
    "service_request.from_partner": _("wrote to the operator on %(object)s"),
    "service_request.operator_internal": _("added an operator note to %(object)s"),
    "service_request.shared": _("shared the customer's request with %(object)s"),
    "service_request.system": _("changed the status of %(object)s"),
    "service_request.open": _("reopened the service request %(object)s"),
    "service_request.attention_needed": _("asked the partner to act on %(object)s"),
    "service_request.closed": _("closed the service request %(object)s"),
    "service_request.sla_breach": _("recorded that %(object)s breached its SLA"),
    "service_request.sla_near": _("recorded that %(object)s is about to breach its SLA"),
    "webhook_endpoint.created": _("registered the webhook endpoint %(object)s"),
    "webhook_endpoint.deleted": _("deleted the webhook endpoint %(object)s"),
    "webhook_endpoint.disabled": _("disabled the webhook endpoint %(object)s"),
    "webhook_endpoint.resent": _("re-sent a delivery to the webhook endpoint %(object)s"),
    "webhook_endpoint.secret_rotated": _("rotated the signing secret of %(object)s"),
    "webhook_endpoint.tested": _("sent a test ping to %(object)s"),
    "webhook_endpoint.updated": _("changed the webhook endpoint %(object)s"),
}

# Labels of the fields that before/after hold; others are shown by their name, made readable.
FIELDS: dict[str, Promise] = {
    "quantity": gettext_lazy("Seats"),
    "quantity_at_renewal": gettext_lazy("Seats at renewal"),
    "status": gettext_lazy("Status"),
    "suspension_reason": gettext_lazy("Suspension reason"),
    "auto_renew": gettext_lazy("Auto-renew"),
    "friendly_name": gettext_lazy("Name"),
    "name": gettext_lazy("Name"),
    "term_end": gettext_lazy("Term ends"),
    "roles": gettext_lazy("Roles"),
    "email": gettext_lazy("E-mail"),
    "display_name": gettext_lazy("Display name"),
    "language": gettext_lazy("Language"),
    "time_zone": gettext_lazy("Time zone"),
    "title": gettext_lazy("Title"),
    "severity": gettext_lazy("Severity"),
    "assignee": gettext_lazy("Assigned to"),
    "blocked": gettext_lazy("Blocked"),
    "note": gettext_lazy("Note"),
    "kind": gettext_lazy("Type"),
    "deleted_at": gettext_lazy("Deleted at"),
    "restorable_until": gettext_lazy("Restorable until"),
    "customer": gettext_lazy("Customer"),
    "partner": gettext_lazy("Partner"),
    "user": gettext_lazy("User"),
    "offer": gettext_lazy("Offer"),
    "service": gettext_lazy("Service"),
    "services": gettext_lazy("Service"),
    "service_request": gettext_lazy("Service request"),
    "number": gettext_lazy("Number"),
    "message": gettext_lazy("Message"),
    "visibility": gettext_lazy("Visibility"),
    "reason": gettext_lazy("Reason"),
    "resolution": gettext_lazy("Resolution"),
    "remediation": gettext_lazy("Remediation plan"),
    "description": gettext_lazy("Description"),
    "topic": gettext_lazy("Topic"),
    "article": gettext_lazy("Help article"),
    "merged_into": gettext_lazy("Merged into"),
    "source": gettext_lazy("Source"),
    "scopes": gettext_lazy("Scopes"),
    "client_id": gettext_lazy("Client ID"),
    "client_secret": gettext_lazy("Client secret"),
    "secret_prefix": gettext_lazy("Secret starts with"),
    "access_tokens_ended": gettext_lazy("Access tokens ended"),
    "requirement": gettext_lazy("Second factor required"),
    "issuer": gettext_lazy("Identity provider"),
    "just_in_time": gettext_lazy("Create users on first sign-in"),
    "require_sso": gettext_lazy("Require single sign-on"),
    "admin": gettext_lazy("Admin"),
    "until": gettext_lazy("Until"),
    "left": gettext_lazy("Recovery codes left"),
    "factors": gettext_lazy("Second factors"),
}

# Fields holding the id of another row, shown by that row's name: (model, the fields naming it).
# A page looks the names up once per model (`names`), never once per event.
REFERENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "assignee": ("accounts.user", ("display_name", "email")),
    "user": ("accounts.user", ("display_name", "email")),
    "customer": ("tenancy.organization", ("name",)),
    "partner": ("tenancy.organization", ("name",)),
    "offer": ("catalog.offer", ("name",)),
    "service": ("catalog.service", ("name",)),
    "services": ("catalog.service", ("name",)),
    "service_request": ("support.servicerequest", ("number",)),
    "merged_into": ("support.supportrequest", ("number",)),
    "article": ("support.helparticle", ("title",)),
    "topic": ("support.supporttopic", ("name",)),
}

# Fields whose values are choices of another model than the event's object (a reply's visibility).
CHOICES_OF: dict[str, str] = {
    "visibility": "support.message",
    "source": "support.message",
    "requirement": "mfa.organizationpolicy",
}


# Actions whose reason is one of a field's choices ("non_payment"), shown by the choice's label.
REASON_FIELDS: dict[str, str] = {"subscription.suspended": "suspension_reason"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def _label(key: str) -> str:
    return str(FIELDS[key]) if key in FIELDS else key.replace("_", " ").capitalize()


def _model(event: AuditEvent) -> type[models.Model] | None:
    """The model the event's object is an instance of ("subscriptions.subscription"), if it still exists."""
    try:
        return apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return None


def _choices_model(key: str) -> type[models.Model] | None:
    label = CHOICES_OF.get(key)
    return apps.get_model(label) if label else None


def _choice(model: type[models.Model] | None, key: str, value: Any) -> str | None:
    """The translated label of `value` among the choices of `model.key` ("suspended" → "Suspended")."""
    if key == "language":
        return dict(settings.LANGUAGES).get(str(value))
    if model is None or not isinstance(value, str):
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    labels = dict(getattr(field, "flatchoices", None) or ())
    return str(labels[value]) if value in labels else None


def _is_id(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


Names = dict[str, str]


def names(events: Iterable[AuditEvent]) -> Names:
    """The names of the rows the events' before/after refer to by id: one query per kind of row."""
    by_model: dict[str, set[str]] = {}
    for event in events:
        for side in (event.before, event.after):
            for key, value in side.items() if isinstance(side, dict) else ():
                if key in REFERENCES:
                    values = value if isinstance(value, list) else [value]
                    by_model.setdefault(REFERENCES[key][0], set()).update(v for v in values if _is_id(v))
    found: Names = {}
    fields = {label: naming for label, naming in REFERENCES.values()}
    for label, ids in by_model.items():
        model = apps.get_model(label)
        for row in model._base_manager.filter(pk__in=ids).values("pk", *fields[label]):
            found[str(row["pk"])] = next((str(row[f]) for f in fields[label] if row[f]), "")
    return found


def _value(
    value: Any, key: str = "", model: type[models.Model] | None = None, known: Names | None = None
) -> str:
    if value is None or value == "":
        return "—"
    label = _choice(_choices_model(key) or model, key, value)
    if label is not None:
        return label
    if _is_id(value):
        # Another row's id: its name when the page looked it up, else nothing a person could read.
        return (known or {}).get(value, "") or "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(_value(v, key, model, known) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_value(v, k, model, known)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        moment = parse_datetime(value)
        if isinstance(moment, datetime):
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, UTC)
            return when(moment)
    return str(value)


def changes(event: AuditEvent, known: Names | None = None) -> list[FieldChange]:
    """Before → after, one row per field that either side names, in the order written; ids of other
    rows read as their names (`known`, from `names`), and a field that would show only an id that
    names nothing readable is left to the raw record."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    model = _model(event)
    rows = []
    for key in keys:
        if before.get(key) == after.get(key) and key in before:
            continue
        old, new = _value(before.get(key), key, model, known), _value(after.get(key), key, model, known)
        if old == new:  # nothing a person could tell apart (no value, or ids that name nothing)
            continue
        rows.append(FieldChange(_label(key), old, new))
    return rows


def actor(event: AuditEvent) -> str:
    """ "Adam Agent (Fabrikam, acting for Contoso)", "The app PSA sync (Fabrikam)", or "The system"."""
    if event.actor_app_name:
        name = gettext("The app %(app)s") % {"app": event.actor_app_name}
    elif not event.actor_email:
        return gettext("The system")
    else:
        user = event.actor_user
        name = (user.display_name if user is not None and user.display_name else "") or event.actor_email
    home = event.actor_organization.name if event.actor_organization else ""
    if event.on_behalf_of is not None:
        return gettext("%(name)s (%(home)s, acting for %(customer)s)") % {
            "name": name,
            "home": home,
            "customer": event.on_behalf_of.name,
        }
    return gettext("%(name)s (%(home)s)") % {"name": name, "home": home} if home else name


def sentence(event: AuditEvent) -> str:
    """The whole event in one sentence, in the active language."""
    thing = event.object_label or event.object_type
    phrase = ACTIONS.get(event.action)
    if phrase is None:
        what = gettext("did %(action)s on %(object)s") % {"action": event.action, "object": thing}
    else:
        what = gettext(phrase) % {"object": thing}
    text = gettext("%(actor)s %(what)s") % {"actor": actor(event), "what": what}
    if event.reason:
        field = REASON_FIELDS.get(event.action, "")
        reason = (_choice(_model(event), field, event.reason) if field else None) or event.reason
        text = gettext("%(sentence)s: %(reason)s") % {"sentence": text, "reason": reason}
    return text
