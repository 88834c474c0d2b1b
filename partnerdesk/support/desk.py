"""A desk's own settings: the partner's support profile and designated contacts, saved queue views, the
people who can be assigned requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.access import rules
from partnerdesk.access.permissions import Permission
from partnerdesk.access.principal import Principal
from partnerdesk.accounts.models import User
from partnerdesk.audit import services as audit
from partnerdesk.errors import NotFound
from partnerdesk.support.common import clean, users_with
from partnerdesk.support.models import SavedView, SubscriptionSupportContact, SupportProfile

if TYPE_CHECKING:
    pass

P = Permission


PROFILE_FIELDS = ["email", "phone", "website", "hours"]


def update_support_profile(principal: Principal, changes: dict[str, str]) -> SupportProfile:
    """Save the partner's support profile that its customers see."""
    principal.require(rules.SUPPORT_PROFILE_EDIT)
    with transaction.atomic():
        profile, _created = SupportProfile.objects.select_for_update().get_or_create(
            partner=principal.organization
        )
        before = audit.snapshot(profile, PROFILE_FIELDS)
        for name in PROFILE_FIELDS:
            if name in changes:
                setattr(profile, name, (changes[name] or "").strip())
        profile.updated_at = timezone.now()
        profile.save()
        audit.record(
            principal,
            action="support_profile.updated",
            target=profile,
            organization=principal.organization,
            before=before,
            after=audit.snapshot(profile, PROFILE_FIELDS),
        )
    return profile


def set_subscription_contact(
    principal: Principal, subscription: Any, *, name: str, email: str, phone: str = ""
) -> SubscriptionSupportContact | None:
    """Designate (or, with no name and e-mail, remove) the support contact of one subscription."""
    principal.require(P.SUPPORT_PROFILE_EDIT)
    if subscription.partner_id != principal.organization.pk:
        raise NotFound(_("Not found."))
    with transaction.atomic():
        existing = (
            SubscriptionSupportContact.objects.select_for_update().filter(subscription=subscription).first()
        )
        before = audit.snapshot(existing, ["name", "email", "phone"]) if existing else None
        if not name.strip() and not email.strip():
            if existing is None:
                return None
            existing.delete()
            contact = None
            after = None
        else:
            contact = existing or SubscriptionSupportContact(subscription=subscription)
            contact.name = clean(name, _("Name"), limit=200)
            contact.email = clean(email, _("E-mail"), limit=254)
            contact.phone = phone.strip()[:40]
            contact.updated_at = timezone.now()
            contact.save()
            after = audit.snapshot(contact, ["name", "email", "phone"])
        audit.record(
            principal,
            action="subscription.support_contact_set",
            target=subscription,
            organization=subscription.customer,
            before=before,
            after=after,
        )
    return contact


def save_view(principal: Principal, *, queue: str, name: str, query: str) -> SavedView:
    """Remember the current queue filters under a name, for this user."""
    with transaction.atomic():
        view = SavedView.objects.create(
            user=principal.user, queue=queue, name=clean(name, _("Name"), limit=80), query=query[:500]
        )
        audit.record(
            principal, action="saved_view.created", target=view, organization=principal.home_organization
        )
    return view


def get_visible_user(organization_id: Any, user_id: Any) -> User:
    """A person of the principal's own organization (a contact to name), else NotFound."""
    try:
        return User.objects.get(pk=user_id, organization_id=organization_id)
    except (User.DoesNotExist, ValueError, Exception):
        raise NotFound(_("Not found.")) from None


def desk_agents(organization_id: Any) -> list[User]:
    """People who can be assigned a customer request (partner) or a service request (operator)."""
    from partnerdesk.tenancy.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    permission = P.SUPPORT_OPERATOR_DESK if organization.is_operator else P.SUPPORT_DESK
    return users_with(organization_id, permission)
