"""Which single sign-on connection a principal may see: its own organization's, nobody else's.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`).
"""

from __future__ import annotations

from partnerdesk.access.policy import of_organization, scoped

# The organization one acts in; a partner agent acting for a customer never holds sso.manage
# (not delegable), so it reaches no page or operation that shows it.
scoped("sso.ssoconnection")(of_organization())
