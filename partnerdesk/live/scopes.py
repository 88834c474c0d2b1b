"""Who may see a presence row: the organization of the person replying, and nobody else.

Registered into the choke point (`access.policy.scoped`) when the app is ready (`apps.py`). A
customer never learns which partner agent is typing, another partner nothing at all.
"""

from __future__ import annotations

from partnerdesk.access.policy import of_organization, scoped

scoped("live.presence")(of_organization())
