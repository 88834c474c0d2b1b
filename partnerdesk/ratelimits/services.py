"""Rate limits shared by every server process: sign-in throttles, fixed windows, the client address.

Sign-in (the web form, the token exchange, the API's password change) is throttled by three
counters of failures (ADR 0009): one per (account, address) pair, one per account and one per
address. Past a counter's threshold each further failure refuses that key for a window that doubles,
so a guesser slows down exponentially while the owner, signing in from an address the account used
recently, is held back only by their own pair. The account is named by a keyed hash of the e-mail as
typed, so an unknown e-mail is throttled exactly like a known one.

Password reset requests, OAuth token requests and every authenticated API call are counted in fixed
windows instead.
"""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerdesk.errors import RateLimited
from partnerdesk.ratelimits.models import RateCounter

# Failures counted while the request's transaction is open (an API call with Idempotency-Key rolls
# back everything a refused call wrote): written by `RateLimitMiddleware` once the answer is made.
_pending: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "ratelimit_pending", default=None
)


@dataclass(frozen=True)
class Throttle:
    """How many failures a key may have before it is refused, and the first refusal's length."""

    threshold: int
    first_delay: timedelta


# Client addresses -----------------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent the request.

    `REMOTE_ADDR`, unless it is one of `TRUSTED_PROXIES`: then the nearest address of
    `X-Forwarded-For` that is not a trusted proxy (the hops before it were written by the client and
    prove nothing).
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES or not _is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            return _valid_address(hop) or remote
    return hops[0] if hops and _valid_address(hops[0]) else remote


def _valid_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _is_trusted(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES)


# Sign-in --------------------------------------------------------------------------------------------


def refuse_sign_in(email: str, address: str) -> None:
    """Refuse a sign-in attempt while this account may not be tried from this address.

    Reads the same rows whether or not the account exists, before anything looks the account up.
    """
    account = _account(email)
    keys = [_pair_key(account, address)]
    if not _is_known(account, address):
        keys += [f"signin:account:{account}", f"signin:address:{address}"]
    wait = _blocked_for(keys)
    if wait:
        raise RateLimited(_sign_in_message(wait), retry_after=wait)


def sign_in_failed(email: str, address: str, *, pair: Throttle) -> bool:
    """Count a failed sign-in; return whether it starts a refusal of this account from this address."""
    account = _account(email)
    known = _is_known(account, address)

    def write() -> bool:
        delay = timedelta(seconds=settings.SIGN_IN_FIRST_DELAY_SECONDS)
        throttled = _fail(_pair_key(account, address), pair)
        if not known:
            # An address the account signed in from lately is the owner's: their typos count only
            # against their own pair, and an attacker's failures elsewhere never refuse it.
            _fail(f"signin:account:{account}", Throttle(settings.SIGN_IN_FAILURES_PER_ACCOUNT, delay))
            _fail(f"signin:address:{address}", Throttle(settings.SIGN_IN_FAILURES_PER_ADDRESS, delay))
        return throttled

    pending = _pending.get()
    if pending is not None and connection.in_atomic_block:
        pending.append(write)
        return _would_throttle(_pair_key(account, address), pair)
    return write()


def sign_in_succeeded(email: str, address: str) -> None:
    """Forget the pair's failures and remember the address as one the account signs in from."""
    account = _account(email)
    now = timezone.now()
    RateCounter.objects.filter(key=_pair_key(account, address)).delete()
    key = f"known:{account}:{address}"
    RateCounter.objects.bulk_create([RateCounter(key=key, last_at=now)], ignore_conflicts=True)
    RateCounter.objects.filter(key=key).update(last_at=now)


def _sign_in_message(wait: int) -> str:
    minutes = max(1, -(-wait // 60))
    return ngettext(
        "Too many sign-in attempts. Try again in %(minutes)s minute.",
        "Too many sign-in attempts. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def _account(email: str) -> str:
    """A keyed hash of the e-mail as typed: the table never holds addresses of people."""
    return salted_hmac(
        "partnerdesk.ratelimits.account", email.strip().lower(), algorithm="sha256"
    ).hexdigest()


def _pair_key(account: str, address: str) -> str:
    return f"signin:pair:{account}:{address}"


def _is_known(account: str, address: str) -> bool:
    since = timezone.now() - timedelta(days=settings.SIGN_IN_KNOWN_ADDRESS_DAYS)
    return RateCounter.objects.filter(key=f"known:{account}:{address}", last_at__gte=since).exists()


def _blocked_for(keys: list[str]) -> int:
    """Seconds until every key is free again (0: none is refused now)."""
    now = timezone.now()
    until = (
        RateCounter.objects.filter(key__in=keys, blocked_until__gt=now)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return 0 if until is None else _seconds(until - now)


def _fail(key: str, throttle: Throttle) -> bool:
    """Count one failure under `key`; past the threshold, refuse it for a window that doubles."""
    if throttle.threshold <= 0:
        return False
    now = timezone.now()
    memory = timedelta(seconds=settings.SIGN_IN_FAILURE_MEMORY_SECONDS)
    with transaction.atomic():
        count, _started = _increment(key, now=now, restart=now - memory, after_field="last_at")
        if count < throttle.threshold:
            return False
        most = timedelta(seconds=settings.SIGN_IN_MAX_DELAY_SECONDS)
        delay = min(most, throttle.first_delay * 2 ** min(count - throttle.threshold, 30))
        RateCounter.objects.filter(key=key).update(blocked_until=now + delay)
    return True


def _would_throttle(key: str, throttle: Throttle) -> bool:
    """Whether one more failure under `key` reaches its threshold (for a failure written later)."""
    count = RateCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0
    return throttle.threshold > 0 and count + 1 >= throttle.threshold


def _increment(key: str, *, now: datetime, restart: datetime, after_field: str) -> tuple[int, datetime]:
    """Add one to `key`'s count in one statement; return the count and when its window started.

    A row whose `after_field` is older than `restart` starts again at 1. One `INSERT … ON CONFLICT
    DO UPDATE … RETURNING` (PostgreSQL and SQLite 3.35+ speak the same), so a counted call costs one
    round trip and two processes counting the same key never lose a count.
    """
    q = connection.ops.quote_name
    table, field = q(RateCounter._meta.db_table), q(after_field)
    key_, count_, started_, last_ = q("key"), q("count"), q("started_at"), q("last_at")
    sql = (
        f"INSERT INTO {table} ({key_}, {count_}, {started_}, {last_}) VALUES (%s, 1, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({key_}) DO UPDATE SET "
        f"{count_} = CASE WHEN {table}.{field} < %s THEN 1 ELSE {table}.{count_} + 1 END, "
        f"{started_} = CASE WHEN {table}.{field} < %s THEN excluded.{started_} "
        f"ELSE {table}.{started_} END, "
        f"{last_} = excluded.{last_} "
        f"RETURNING {count_}, {started_}"
    )
    at, threshold = (connection.ops.adapt_datetimefield_value(value) for value in (now, restart))
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, at, at, threshold, threshold])
        count, started = cursor.fetchone()
    return int(count), _aware(started)


def _aware(value: object) -> datetime:
    """A raw cursor's timestamp as the ORM would give it: SQLite answers naive UTC (or text)."""
    converted = RateCounter._meta.get_field("started_at").to_python(value)
    assert isinstance(converted, datetime)
    return converted if timezone.is_aware(converted) else converted.replace(tzinfo=UTC)


# Second factors -------------------------------------------------------------------------------------
# Whoever reaches the second step knows the password already, so a count per account (any address)
# may refuse: it slows that guesser down and cannot be triggered by someone without the password.


def refuse_second_factor(account: str, address: str) -> None:
    """Refuse a second-factor attempt while this account or this address is held back."""
    wait = _blocked_for([f"mfa:account:{account}", f"mfa:address:{address}"])
    if wait:
        raise RateLimited(_second_factor_message(wait), retry_after=wait)


def second_factor_failed(account: str, address: str) -> None:
    """Count a wrong second-factor code for the account and for the address."""

    def write() -> None:
        delay = timedelta(seconds=settings.MFA_FIRST_DELAY_SECONDS)
        _fail(f"mfa:account:{account}", Throttle(settings.MFA_FAILURES_PER_ACCOUNT, delay))
        _fail(f"mfa:address:{address}", Throttle(settings.MFA_FAILURES_PER_ADDRESS, delay))

    pending = _pending.get()
    if pending is not None and connection.in_atomic_block:
        pending.append(write)
        return
    write()


def second_factor_succeeded(account: str) -> None:
    """Forget the account's wrong codes (the address's stay: it may be guessing other accounts)."""
    RateCounter.objects.filter(key=f"mfa:account:{account}").delete()


def _second_factor_message(wait: int) -> str:
    minutes = max(1, -(-wait // 60))
    return ngettext(
        "Too many wrong codes. Try again in %(minutes)s minute.",
        "Too many wrong codes. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


# Fixed windows --------------------------------------------------------------------------------------


def count_in_window(key: str, *, limit: int, window: timedelta, message: str) -> None:
    """Count one attempt under `key`; refuse it when more than `limit` fell in the current window."""
    if limit <= 0:
        return
    now = timezone.now()
    count, started = _increment(key, now=now, restart=now - window, after_field="started_at")
    if count <= limit:
        return
    raise RateLimited(message, retry_after=_seconds(started + window - now))


def count_api_request(credential: str) -> None:
    """Count one call of the API by a credential (a user's tokens and session share one count)."""
    count_in_window(
        f"api:{credential}",
        limit=settings.API_REQUESTS_PER_MINUTE,
        window=timedelta(minutes=1),
        message=_("Too many requests. Slow down and retry after the time in Retry-After."),
    )


def count_token_request(client_id: str, address: str) -> None:
    """Count one request at the OAuth token endpoint, per address and per client id, in windows of a minute.

    The client id is counted as sent, before anything looks it up (a keyed hash, so the table never
    holds one), so guessing secrets of one app or of many from one address is slowed alike.
    """
    message = _("Too many token requests. Retry after the time in Retry-After.")
    minute = timedelta(minutes=1)
    count_in_window(
        f"oauth:address:{address}",
        limit=settings.OAUTH_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE,
        window=minute,
        message=message,
    )
    if client_id:
        client = salted_hmac("partnerdesk.ratelimits.client", client_id, algorithm="sha256").hexdigest()
        count_in_window(
            f"oauth:client:{client}",
            limit=settings.OAUTH_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE,
            window=minute,
            message=message,
        )


def count_password_reset(email: str, address: str) -> None:
    """Count one password reset request, per account and per address, in windows of an hour."""
    message = _("Too many password reset requests. Try again later.")
    hour = timedelta(hours=1)
    count_in_window(
        f"reset:address:{address}",
        limit=settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR,
        window=hour,
        message=message,
    )
    count_in_window(
        f"reset:account:{_account(email)}",
        limit=settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR,
        window=hour,
        message=message,
    )


def _seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))


# Bookkeeping ----------------------------------------------------------------------------------------


@contextmanager
def deferred_writes() -> Iterator[None]:
    """Collect failures counted inside a transaction during one request; write them at its end."""
    token = _pending.set([])
    try:
        yield
    finally:
        pending = _pending.get() or []
        _pending.reset(token)
        for write in pending:
            write()


def forget(*, batch: int = 1000) -> int:
    """Delete up to `batch` counters nobody touched within their longest memory; return how many."""
    longest = max(
        timedelta(seconds=settings.SIGN_IN_FAILURE_MEMORY_SECONDS),
        timedelta(days=settings.SIGN_IN_KNOWN_ADDRESS_DAYS),
        timedelta(seconds=settings.SIGN_IN_MAX_DELAY_SECONDS),
    )
    now = timezone.now()
    old = RateCounter.objects.filter(last_at__lt=now - longest).exclude(blocked_until__gt=now)
    deleted, _by_model = RateCounter.objects.filter(
        pk__in=list(old.values_list("pk", flat=True)[:batch])
    ).delete()
    return deleted
