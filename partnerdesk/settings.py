"""The one settings module. Every value that varies between installs comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from partnerdesk.env import env_bool, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("PARTNERDESK_DATA_DIR", str(BASE_DIR.parent / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY when given; otherwise generate one once and keep it in the data folder."""
    given = env_str("SECRET_KEY")
    if given:
        return given
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "partnerdesk.tenancy",
    "partnerdesk.accounts",
    "partnerdesk.integrations",
    "partnerdesk.audit",
    "partnerdesk.notifications",
    "partnerdesk.portals",
    "partnerdesk.health",
    "partnerdesk.catalog",
    "partnerdesk.subscriptions",
    "partnerdesk.support",
    "partnerdesk.directory",
    "partnerdesk.sso",
    "partnerdesk.idempotency",
    "partnerdesk.ratelimits",
    "partnerdesk.mfa",
    "partnerdesk.events",
    "partnerdesk.webhooks",
    "partnerdesk.live",
]

MIDDLEWARE = [
    # The security headers come first, so that every answer carries them: static files (WhiteNoise),
    # the edge's errors and redirects included.
    "django.middleware.security.SecurityMiddleware",
    "partnerdesk.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "partnerdesk.edge.EdgeMiddleware",
    "partnerdesk.ratelimits.middleware.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the session's user, organization, roles and delegation in one query.
    "partnerdesk.access.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "partnerdesk.accounts.middleware.SessionTimeoutMiddleware",
    "partnerdesk.access.middleware.PrincipalMiddleware",
    # After the principal: a user whose organization requires a second factor they lack enrols first.
    "partnerdesk.mfa.middleware.EnrolmentRequiredMiddleware",
]

ROOT_URLCONF = "partnerdesk.urls"
WSGI_APPLICATION = "partnerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnerdesk.portals.context.portal",
            ],
        },
    },
]

# Databases: SQLite in the data folder unless DATABASE_URL names another (PostgreSQL in production).


def sqlite_database(name: str) -> dict[str, Any]:
    """The SQLite settings every SQLite database gets, the default file or one named by DATABASE_URL.

    Without them concurrent writers fail at once with "database is locked" instead of queueing.
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # A file, not shared-cache memory, so tests with several threads (workers, the live server)
        # lock like production does: waiting on busy_timeout instead of failing at once.
        "TEST": {"NAME": f"{Path(name).with_suffix('')}-test-{os.getpid()}.sqlite3"},
    }


def database_from_url(url: str | None) -> dict[str, Any]:
    """The default database: SQLite in the data folder, or what `url` names."""
    if not url:
        return sqlite_database(str(DATA_DIR / "partnerdesk.sqlite3"))
    parsed = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
    if parsed["ENGINE"] == "django.db.backends.sqlite3" and parsed["NAME"] not in ("", ":memory:"):
        return {**parsed, **sqlite_database(str(parsed["NAME"]))}
    if parsed["ENGINE"] == "django.db.backends.postgresql":
        # Planning a queue page's six joins exhaustively cost ~10 ms, ten times running it; Django
        # writes the joins in a good order already, so let PostgreSQL reorder only small groups
        # (bench/RESULTS.md, scenarios 3 and 4).
        database_options = parsed.setdefault("OPTIONS", {})
        given = database_options.get("options", "")
        database_options["options"] = f"{given} -c join_collapse_limit=4".strip()
    return dict(parsed)


DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["partnerdesk.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "portals:home"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 3)

# Rate limits (ADR 0009), counted in the database so every server process shares them. Sign-in: a
# tenant's security policy sets the (account, address) pair's threshold and first delay; these are
# the install's limits per account (from addresses it has not signed in from lately) and per address.
SIGN_IN_FAILURES_PER_ACCOUNT = env_int("SIGN_IN_FAILURES_PER_ACCOUNT", 50)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("SIGN_IN_FAILURES_PER_ADDRESS", 100)
SIGN_IN_FIRST_DELAY_SECONDS = env_int("SIGN_IN_FIRST_DELAY_SECONDS", 60)
SIGN_IN_MAX_DELAY_SECONDS = env_int("SIGN_IN_MAX_DELAY_SECONDS", 24 * 60 * 60)
SIGN_IN_FAILURE_MEMORY_SECONDS = env_int("SIGN_IN_FAILURE_MEMORY_SECONDS", 24 * 60 * 60)
SIGN_IN_KNOWN_ADDRESS_DAYS = env_int("SIGN_IN_KNOWN_ADDRESS_DAYS", 30)
PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = env_int("PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR", 5)
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 20)
# Calls of the API per minute by one user, whichever token or session (0: no limit).
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 600)
# Requests at the OAuth token endpoint per minute, per client id and per address (0: no limit).
OAUTH_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE = env_int("OAUTH_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE", 30)
OAUTH_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE = env_int("OAUTH_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", 120)
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; empty: REMOTE_ADDR.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])

# Multi-factor authentication (ADR 0010). A second factor verified within MFA_FRESHNESS_SECONDS is
# "fresh": sensitive actions (API credentials, delegated relationships, factor resets, the MFA policy)
# ask for one again after that. A password accepted waits MFA_PENDING_SECONDS for its second factor;
# an enrolment token (the API's way to enrol without a browser) lives MFA_ENROLLMENT_TOKEN_SECONDS.
MFA_ISSUER = env_str("MFA_ISSUER", "Partnerdesk")
MFA_FRESHNESS_SECONDS = env_int("MFA_FRESHNESS_SECONDS", 900, minimum=0)
MFA_PENDING_SECONDS = env_int("MFA_PENDING_SECONDS", 300, minimum=30)
MFA_ENROLLMENT_TOKEN_SECONDS = env_int("MFA_ENROLLMENT_TOKEN_SECONDS", 600, minimum=60)
MFA_RECOVERY_CODES = env_int("MFA_RECOVERY_CODES", 10, minimum=1)
# Wrong codes before the account's (any address) and the address's (any account) second step is
# refused for MFA_FIRST_DELAY_SECONDS, doubling with each further failure (ADR 0009's growing delays).
MFA_FAILURES_PER_ACCOUNT = env_int("MFA_FAILURES_PER_ACCOUNT", 10)
MFA_FAILURES_PER_ADDRESS = env_int("MFA_FAILURES_PER_ADDRESS", 50)
MFA_FIRST_DELAY_SECONDS = env_int("MFA_FIRST_DELAY_SECONDS", 60)
# Security keys and passkeys (WebAuthn): the relying party is the site's host unless set here.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "Partnerdesk")
# Single sign-on (ADR 0011). Identity providers are reached over HTTPS only; plain HTTP to a loopback
# address only when this is on (the tests' local provider). How long the provider may take to
# answer, and how long a break-glass pass (`partnerdesk sso_break_glass`) lasts.
SSO_ALLOW_INSECURE_LOOPBACK = env_bool("SSO_ALLOW_INSECURE_LOOPBACK", False)
SSO_HTTP_TIMEOUT_SECONDS = env_int("SSO_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
SSO_BREAK_GLASS_MINUTES = env_int("SSO_BREAK_GLASS_MINUTES", 60, minimum=1)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# A session ends after this long without a request, and this long after sign-in whatever happens
# (accounts.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 60)
SESSION_ABSOLUTE_TIMEOUT_HOURS = env_int("SESSION_ABSOLUTE_TIMEOUT_HOURS", 12)

# Security headers. Served over HTTPS (HTTPS=1), cookies are sent only over HTTPS and browsers are
# told to use nothing else (HSTS); behind a proxy that ends TLS, the proxy must set
# X-Forwarded-Proto, which is trusted only then.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script, style or event handler anywhere (partnerdesk.csp; Django 6.0's setting's shape).
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Personal API tokens: the longest life one may be given (90 days unless chosen), and how many live
# tokens one user may hold.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
API_TOKEN_DEFAULT_DAYS = min(90, API_TOKEN_MAX_DAYS)
API_TOKEN_MAX_PER_USER = env_int("API_TOKEN_MAX_PER_USER", 20, minimum=1)

# OAuth apps (ADR 0012): how long an access token from the token endpoint lives (an hour by default).
OAUTH_ACCESS_TOKEN_SECONDS = env_int("OAUTH_ACCESS_TOKEN_SECONDS", 60 * 60, minimum=60)
# The service credentials `pds_…` of the entitlement check are deprecated for OAuth apps: the date
# their answers announce (`Sunset`, RFC 8594) for their removal.
SERVICE_CREDENTIALS_SUNSET = env_str("SERVICE_CREDENTIALS_SUNSET", "2027-06-30")

# Internationalization: English source, Simplified Chinese and Spanish catalogs.
LANGUAGE_CODE = "en"
# Each language is named in itself, so a reader finds their own whatever the page's language is.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve the apps' static files directly, so an install works without a collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "files")))

# Mail leaves only through the outbox worker; these settings tell it where to send.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Partnerdesk <no-reply@partnerdesk.test>")
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)

# Webhooks (ADR 0013). Outbound requests never reach loopback, private, link-local, multicast or
# reserved addresses unless one of these networks (CIDRs) allows it; plain http only to those.
WEBHOOK_ALLOWED_NETWORKS = env_networks("WEBHOOK_ALLOWED_NETWORKS", [])
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 3, minimum=1)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1)
# How long the previous secret still signs after a rotation (both signatures are sent).
WEBHOOK_SECRET_ROLLOVER_HOURS = env_int("WEBHOOK_SECRET_ROLLOVER_HOURS", 24, minimum=0)
# An endpoint whose deliveries have failed without a success for this long is disabled.
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 72, minimum=1)
# Live pages (ADR 0017): a Server-Sent Events answer lasts at most this long, then the browser
# reconnects; it holds a server thread meanwhile, so keep it below the proxy's read timeout.
# 0: answer one tick and end.
LIVE_STREAM_SECONDS = env_int("LIVE_STREAM_SECONDS", 25, minimum=0)

# Tenancy: the suffix of every customer's initial domain (contoso.partnerdesk.test).
INITIAL_DOMAIN_SUFFIX = env_str("INITIAL_DOMAIN_SUFFIX", "partnerdesk.test")
# Directory: where domain verification looks up TXT records (empty: the system's resolvers), and how
# long a deleted user stays restorable before the worker purges it.
DNS_RESOLVER_NAMESERVERS = env_list("DNS_RESOLVER_NAMESERVERS", [])
DNS_RESOLVER_PORT = env_int("DNS_RESOLVER_PORT", 53)
DNS_RESOLVER_TIMEOUT = env_int("DNS_RESOLVER_TIMEOUT", 5)
DELETED_USER_RETENTION_DAYS = env_int("DELETED_USER_RETENTION_DAYS", 30)
# The longest a delegated relationship may last (GDAP allows two years).
RELATIONSHIP_MAX_DAYS = env_int("RELATIONSHIP_MAX_DAYS", 730)
# Days a suspended or ended subscription's data is kept before the deletion job removes it.
SUBSCRIPTION_DATA_RETENTION_DAYS = env_int("SUBSCRIPTION_DATA_RETENTION_DAYS", 60)
# Mounts the two floor endpoints of bench/run (partnerdesk/bench_floor.py); never on in production.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)

# Support: how long a customer may reopen a resolved request, the largest attachment, and how long
# before an SLA target a request counts as near breach.
SUPPORT_REOPEN_DAYS = env_int("SUPPORT_REOPEN_DAYS", 14)
SUPPORT_ATTACHMENT_MAX_BYTES = env_int("SUPPORT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
SUPPORT_SLA_NEAR_MINUTES = env_int("SUPPORT_SLA_NEAR_MINUTES", 30)
# Where customers' e-mailed replies arrive (read by `partnerdesk support_inbound`): the Reply-To of
# every notification that invites a reply. Empty: replies go to DEFAULT_FROM_EMAIL's address.
SUPPORT_INBOUND_ADDRESS = env_str("SUPPORT_INBOUND_ADDRESS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
