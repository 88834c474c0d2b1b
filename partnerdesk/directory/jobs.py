"""The directory's periodic work: purging users past their restore window."""

from __future__ import annotations

from datetime import timedelta

from partnerdesk.directory import users
from partnerdesk.notifications.jobs import periodic


@periodic("directory.purge_deleted_users", every=timedelta(hours=1))
def purge_deleted_users() -> None:
    """Delete for good the users soft-deleted longer ago than DELETED_USER_RETENTION_DAYS."""
    # One bounded batch per run: a user another area still references (and so cannot be purged)
    # must not keep the job busy; the next run takes the next batch.
    users.purge_deleted_users(batch=1000)
