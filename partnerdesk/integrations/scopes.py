"""Which OAuth apps and access tokens a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`).
"""

from __future__ import annotations

from partnerdesk.access.policy import of_organization, scoped

# An organization's apps are its own: not even the operator sees a partner's.
scoped("integrations.oauthapp")(of_organization())
scoped("integrations.oauthaccesstoken")(of_organization("app__organization"))
