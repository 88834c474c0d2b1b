"""Partnerdesk: the platform a cloud operator runs when it sells only through partners."""
