"""Which webhook endpoints and deliveries a principal may see: its own organization's, on every side.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`). The
operator's console sees only the operator's own endpoints: another organization's integration is
that organization's business.
"""

from __future__ import annotations

from partnerdesk.access.policy import of_organization, scoped

scoped("webhooks.webhookendpoint")(of_organization())
scoped("webhooks.webhookdelivery")(of_organization("endpoint__organization"))
scoped("webhooks.deliveryattempt")(of_organization("delivery__endpoint__organization"))
