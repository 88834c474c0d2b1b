"""Which audit events a principal may see.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`): the choke
point holds only the mechanism and imports no domain; each domain says here who sees its rows.
"""

from __future__ import annotations

from partnerdesk.access.policy import EVERY_ROW, by_side, scoped

# The operator sees every event; a partner those naming it as `partner` (its own and its customers'); a
# customer those of its own data.
scoped("audit.auditevent")(by_side(operator=EVERY_ROW, partner="partner", customer="organization"))
