"""The one settings module of govhall, read from the environment (docs/configuration.md).

Defaults are safe for a laptop: SQLite, DEBUG off unless asked, development keys generated
into an ignored folder. ``GOVHALL_ENV=production`` turns every default secret into an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from django.core.exceptions import ImproperlyConfigured

from govhall.conf.env import dev_secret, env_bool, env_int, env_list, env_str, weak_secret_reason

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(env_str("GOVHALL_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("GOVHALL_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"GOVHALL_ENV must be development, test or production; got {ENVIRONMENT!r}")
IS_PRODUCTION = ENVIRONMENT == "production"
KEYS_DIR = Path(env_str("GOVHALL_KEYS_DIR", str(VAR_DIR / "keys")))


def _secret(name: str) -> str:
    """A secret from the environment; in development, generated once into KEYS_DIR."""
    value = env_str(name)
    if value:
        return value
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} is not set. In production every secret must be given "
            f"(as {name} or {name}_FILE); see docs/configuration.md."
        )
    return dev_secret(KEYS_DIR, name.lower())


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = _secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Field encryption for personal identifiers: the first key encrypts, every key decrypts, so a
# new key is put first and the old ones stay until `rotate_field_keys` has re-encrypted.
FIELD_ENCRYPTION_KEYS = env_list("GOVHALL_FIELD_ENCRYPTION_KEYS") or (
    [] if IS_PRODUCTION else [dev_secret(KEYS_DIR, "field_encryption_key")]
)
# Keyed hash used to find a person by ID number or phone without decrypting every row:
LOOKUP_HASH_KEY = _secret("GOVHALL_LOOKUP_HASH_KEY")
# Key of the audit log's hash chain (HMAC), so a database-only attacker cannot rebuild it:
AUDIT_CHAIN_KEY = _secret("GOVHALL_AUDIT_CHAIN_KEY")
# Signed checkpoints of the chain's head, written outside the database (one new file each, never
# overwritten) every AUDIT_UPKEEP_SECONDS by the worker, which seals the batched entries too;
# another storage (an object store with a write-once lock) through GOVHALL_AUDIT_CHECKPOINT_STORAGE:
AUDIT_CHECKPOINT_DIR = Path(env_str("GOVHALL_AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))
AUDIT_UPKEEP_SECONDS = env_int("GOVHALL_AUDIT_UPKEEP_SECONDS", 60)
# 好差评 (ratings/): a bad rating's rectification deadline in working days (local rules: 5
# or 15), the days after an SMS invitation before the default rating (and its level:
# Guangdong practice is "basic"), how long an SMS link is good for, and the sweep's interval:
RATINGS_RECTIFY_WORKING_DAYS = env_int("GOVHALL_RATINGS_RECTIFY_WORKING_DAYS", 5)
RATINGS_DEFAULT_AFTER_DAYS = env_int("GOVHALL_RATINGS_DEFAULT_AFTER_DAYS", 7)
RATINGS_DEFAULT_LEVEL = env_str("GOVHALL_RATINGS_DEFAULT_LEVEL", "satisfied")
RATINGS_SMS_LINK_DAYS = env_int("GOVHALL_RATINGS_SMS_LINK_DAYS", 7)
RATINGS_SWEEP_SECONDS = env_int("GOVHALL_RATINGS_SWEEP_SECONDS", 3600)
if RATINGS_DEFAULT_LEVEL not in {"very_satisfied", "satisfied", "basic"}:
    raise ImproperlyConfigured(
        f"GOVHALL_RATINGS_DEFAULT_LEVEL must be very_satisfied, satisfied or basic; got {RATINGS_DEFAULT_LEVEL!r}"
    )
# The consumers of the case events (provincial outbox, archiving) read past an event id only
# once every event before it is this old: no transaction may stay open longer (cases/feed.py):
CASE_FEED_SETTLE_SECONDS = env_int("GOVHALL_CASE_FEED_SETTLE_SECONDS", 600)
# Electronic archives (archives/, docs/archives.md): the two copies' folders (another disk or a
# mounted share for the second), SM3 manifests beside SHA-256, how long after closing a case its
# package is built, failed builds before it is listed as rejected, the retention class of an item
# with none, the fonds code and address written into every bag, the fixity sample per run (0 =
# all) and the tasks' intervals, and the waiting period between approving a disposal and
# destroying:
ARCHIVES_PRIMARY_DIR = Path(env_str("GOVHALL_ARCHIVES_PRIMARY_DIR", str(VAR_DIR / "archives" / "primary")))
ARCHIVES_SECONDARY_DIR = Path(env_str("GOVHALL_ARCHIVES_SECONDARY_DIR", str(VAR_DIR / "archives" / "secondary")))
ARCHIVES_SM3 = env_bool("GOVHALL_ARCHIVES_SM3", False)
ARCHIVES_BUILD_DELAY_SECONDS = env_int("GOVHALL_ARCHIVES_BUILD_DELAY_SECONDS", 60)
ARCHIVES_MAX_ATTEMPTS = env_int("GOVHALL_ARCHIVES_MAX_ATTEMPTS", 3)
ARCHIVES_DEFAULT_RETENTION = env_str("GOVHALL_ARCHIVES_DEFAULT_RETENTION", "D30")
ARCHIVES_FONDS = env_str("GOVHALL_ARCHIVES_FONDS", "")
ARCHIVES_ADDRESS = env_str("GOVHALL_ARCHIVES_ADDRESS", "")
ARCHIVES_FIXITY_SAMPLE = env_int("GOVHALL_ARCHIVES_FIXITY_SAMPLE", 0)
ARCHIVES_FIXITY_SECONDS = env_int("GOVHALL_ARCHIVES_FIXITY_SECONDS", 86400)
ARCHIVES_UPKEEP_SECONDS = env_int("GOVHALL_ARCHIVES_UPKEEP_SECONDS", 60)
ARCHIVES_DISPOSAL_WAIT_DAYS = env_int("GOVHALL_ARCHIVES_DISPOSAL_WAIT_DAYS", 7)
# Days after archiving when a case's live material files are deleted and served from the
# package instead (0: never; the live store keeps them):
ARCHIVES_RELEASE_MATERIALS_AFTER_DAYS = env_int("GOVHALL_ARCHIVES_RELEASE_MATERIALS_AFTER_DAYS", 0)
# Field sensors (sensors/, docs/sensors.md): the subscriber's broker and its own account (the
# stations' accounts come from the registry), the CA file for TLS, the per-person interval
# between non-red notices, and the minutes before an unacknowledged red alarm goes to the duty
# officer:
SENSORS_MQTT_HOST = env_str("GOVHALL_SENSORS_MQTT_HOST", "127.0.0.1")
SENSORS_MQTT_PORT = env_int("GOVHALL_SENSORS_MQTT_PORT", 1883)
SENSORS_MQTT_USERNAME = env_str("GOVHALL_SENSORS_MQTT_USERNAME", "")
SENSORS_MQTT_PASSWORD = env_str("GOVHALL_SENSORS_MQTT_PASSWORD", "")
SENSORS_MQTT_CLIENT_ID = env_str("GOVHALL_SENSORS_MQTT_CLIENT_ID", "govhall-sensors")
SENSORS_MQTT_TLS_CA = env_str("GOVHALL_SENSORS_MQTT_TLS_CA", "")
SENSORS_NOTICE_INTERVAL_MINUTES = env_int("GOVHALL_SENSORS_NOTICE_INTERVAL_MINUTES", 60)
SENSORS_ESCALATE_MINUTES = env_int("GOVHALL_SENSORS_ESCALATE_MINUTES", 15)
# Exchange with higher-level platforms (sharing/, docs/exchange.md): messages per request, the
# platform's backoff after a failed request (base and cap, seconds), a refused message's own
# backoff cap and refusals before it is dead, the sender's lease on a
# platform, and how often the worker looks for new events:
EXCHANGE_BATCH = env_int("GOVHALL_EXCHANGE_BATCH", 200)
EXCHANGE_BACKOFF_BASE_SECONDS = env_int("GOVHALL_EXCHANGE_BACKOFF_BASE_SECONDS", 2)
EXCHANGE_BACKOFF_CAP_SECONDS = env_int("GOVHALL_EXCHANGE_BACKOFF_CAP_SECONDS", 60)
EXCHANGE_MESSAGE_BACKOFF_CAP_SECONDS = env_int("GOVHALL_EXCHANGE_MESSAGE_BACKOFF_CAP_SECONDS", 3600)
EXCHANGE_MAX_ATTEMPTS = env_int("GOVHALL_EXCHANGE_MAX_ATTEMPTS", 8)
EXCHANGE_LEASE_SECONDS = env_int("GOVHALL_EXCHANGE_LEASE_SECONDS", 120)
EXCHANGE_POLL_SECONDS = env_int("GOVHALL_EXCHANGE_POLL_SECONDS", 5)
# A webhook subscriber is paused after this many failed requests in a row; after a key rotation
# the old key keeps signing beside the new one for this many hours:
EXCHANGE_WEBHOOK_PAUSE_AFTER = env_int("GOVHALL_EXCHANGE_WEBHOOK_PAUSE_AFTER", 10)
EXCHANGE_WEBHOOK_ROTATION_HOURS = env_int("GOVHALL_EXCHANGE_WEBHOOK_ROTATION_HOURS", 24)
# Public information (publicinfo/, docs/publicinfo.md): disclosure requests and questions per
# address an hour, follow-ups per address a minute, and working days to answer a question:
PUBLICINFO_REQUESTS_PER_HOUR = env_int("GOVHALL_PUBLICINFO_REQUESTS_PER_HOUR", 10)
PUBLICINFO_FOLLOWS_PER_MINUTE = env_int("GOVHALL_PUBLICINFO_FOLLOWS_PER_MINUTE", 10)
PUBLICINFO_QUESTION_DAYS = env_int("GOVHALL_PUBLICINFO_QUESTION_DAYS", 5)
# A column not updated for this many days is flagged to its editors, per column ("*": the rest;
# 0: no duty), e.g. GOVHALL_PUBLICINFO_STALE_DAYS="*=14,law=0,rule=0,review_rule=90":
PUBLICINFO_STALE_DAYS = {
    key.strip(): int(value)
    for key, value in (
        pair.split("=", 1)
        for pair in env_str(
            "GOVHALL_PUBLICINFO_STALE_DAYS", "*=14,law=0,rule=0,review_rule=90,intermediary_service=90,intermediary=90"
        ).split(",")
        if "=" in pair
    )
}
# The public indicators page holds back a rate counted on fewer cases than this (no one can be picked out):
STATS_PUBLIC_MIN_COUNT = env_int("GOVHALL_STATS_PUBLIC_MIN_COUNT", 10)
# Audit records younger than this are never deleted (网络安全法 art. 21: at least six months):
AUDIT_RETENTION_DAYS = env_int("GOVHALL_AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured(
        f"GOVHALL_AUDIT_RETENTION_DAYS must be at least 183 (six months); got {AUDIT_RETENTION_DAYS}"
    )

# Document signing (PAdES, lib/signing.py) and the keys that sign licence QR payloads.
# PEM file paths; when unset outside production a development CA is generated into KEYS_DIR/pki.
SIGNING_CERT = env_str("GOVHALL_SIGNING_CERT")
SIGNING_KEY = env_str("GOVHALL_SIGNING_KEY")
SIGNING_CHAIN = env_list("GOVHALL_SIGNING_CHAIN")
# Roots under which signatures (ours and those on uploaded materials) are trusted:
TRUST_ROOTS = env_list("GOVHALL_TRUST_ROOTS")
# EC P-256 private keys (PEM) for signed QR payloads: the first signs, all are published so
# that licences signed with a retired key still verify.
CREDENTIAL_KEYS = env_list("GOVHALL_CREDENTIAL_KEYS")


def check_production_settings() -> None:
    """Refuse to start a production server that is not safe to expose."""
    if not IS_PRODUCTION:
        return
    problems = []
    if DEBUG:
        problems.append("DJANGO_DEBUG is on; turn it off in production.")
    weakness = weak_secret_reason(SECRET_KEY)
    if weakness:
        problems.append(f"DJANGO_SECRET_KEY {weakness}.")
    if not ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS is empty; list the host names this server answers to.")
    if not FIELD_ENCRYPTION_KEYS:
        problems.append("GOVHALL_FIELD_ENCRYPTION_KEYS is empty; personal identifiers cannot be encrypted.")
    if not (SIGNING_CERT and SIGNING_KEY and TRUST_ROOTS and CREDENTIAL_KEYS):
        problems.append(
            "GOVHALL_SIGNING_CERT, GOVHALL_SIGNING_KEY, GOVHALL_TRUST_ROOTS and GOVHALL_CREDENTIAL_KEYS "
            "must name the bureau's signing certificate, key, trusted roots and credential keys."
        )
    if not env_str("GOVHALL_PUBLIC_URL").startswith("https://"):
        problems.append(
            "GOVHALL_PUBLIC_URL must be the https:// address the public reaches the platform at; "
            "it is printed in every licence's QR code."
        )
    if STAFF_2FA_SKIP:
        problems.append("GOVHALL_DEV_SKIP_STAFF_2FA is on; staff must use a second factor in production.")
    if any(path.endswith(".SmsGatewaySender") for path in NOTIFICATION_SENDER) and not (SMS_URL and SMS_SECRET):
        problems.append("The SMS channel is configured but GOVHALL_SMS_URL or GOVHALL_SMS_SECRET is not set.")
    if not (FINANCE_URL.startswith("https://") and FINANCE_SECRET):
        problems.append("GOVHALL_FINANCE_URL (https://) and GOVHALL_FINANCE_SECRET must name the finance platform.")
    if not (EMS_URL.startswith("https://") and EMS_SECRET and DELIVERY_SENDER.get("phone")):
        problems.append(
            "GOVHALL_EMS_URL (https://), GOVHALL_EMS_SECRET and GOVHALL_DELIVERY_SENDER_PHONE must name EMS "
            "and the bureau as sender."
        )
    if problems:
        raise ImproperlyConfigured("govhall refuses to start in production:\n  - " + "\n  - ".join(problems))


INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "oauth2_provider",
    "govhall.audit",
    "govhall.holidays",
    "govhall.identity",
    "govhall.catalog",
    "govhall.licences",
    "govhall.cases",
    "govhall.payments",
    "govhall.delivery",
    "govhall.halls",
    "govhall.complaints",
    "govhall.ratings",
    "govhall.office",
    "govhall.stats",
    "govhall.publicinfo",
    "govhall.archives",
    "govhall.sensors",
    "govhall.inspections",
    "govhall.proactive",
    "govhall.dossier",
    "govhall.sharing",
    "govhall.portal",
]

MIDDLEWARE = [
    # First, so that everything after it (rate limits, audit) sees the client's own address:
    "govhall.portal.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before any view reads the body (the CSRF check does, in process_view):
    "govhall.portal.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "govhall.identity.middleware.IdleTimeoutMiddleware",
    "govhall.identity.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "govhall.conf.urls"
WSGI_APPLICATION = "govhall.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # Django's i18n tags, with a constant {% translate %} rendered once per language:
            "libraries": {"i18n": "govhall.portal.templatetags.translations"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "govhall.portal.context_processors.platform",
            ],
        },
    },
]

# The i18n library above takes Django's name on purpose, and Django's check warns on any name
# used twice: silenced, with portal/tests/test_translate_tag.py keeping every other name single.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# Database: SQLite by default (one file in var/), PostgreSQL through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'govhall.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web server and the worker share the file: WAL lets them read while one writes, and
    # IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Identity and login.
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["govhall.identity.backends.AccountBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # Staff 12, applicants 8 (why: identity/passwords.py); never the ID number, phone or user name:
    {"NAME": "govhall.identity.passwords.MinimumLengthValidator", "OPTIONS": {"staff": 12, "applicant": 8}},
    {"NAME": "govhall.identity.passwords.CharacterClassValidator"},
    {"NAME": "govhall.identity.passwords.PersonalDataValidator"},
    {
        "NAME": "govhall.identity.passwords.SimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "full_name", "email"]},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:login"
LOGIN_FAILURE_LIMIT = env_int("GOVHALL_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("GOVHALL_LOGIN_LOCKOUT_MINUTES", 30)
# Failed logins from one address (any accounts) within LOGIN_LOCKOUT_MINUTES before it is locked out:
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("GOVHALL_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
STAFF_PASSWORD_MAX_DAYS = env_int("GOVHALL_STAFF_PASSWORD_MAX_DAYS", 90)  # 0: staff passwords never expire
TOTP_ENROLMENT_CODE_HOURS = env_int("GOVHALL_TOTP_ENROLMENT_CODE_HOURS", 24)
IDLE_TIMEOUT_MINUTES = env_int("GOVHALL_IDLE_TIMEOUT_MINUTES", 30)
STAFF_2FA_SKIP = env_bool("GOVHALL_DEV_SKIP_STAFF_2FA", False)
OTP_TOTP_ISSUER = env_str("GOVHALL_TOTP_ISSUER", "govhall")
# Xiamen 2015 pilot credit codes (fail the GB 32100 check, legally valid) accepted though not on record:
PILOT_CREDIT_CODES = frozenset(code.strip().upper() for code in env_list("GOVHALL_PILOT_CREDIT_CODES"))

# OIDC login with a provincial unified identity provider (off unless configured).
OIDC_ENABLED = bool(env_str("OIDC_RP_CLIENT_ID"))
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("govhall.identity.oidc.ProvincialOIDCBackend")
    OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile")
    OIDC_ID_NUMBER_CLAIM = env_str("OIDC_ID_NUMBER_CLAIM", "id_number")
    OIDC_NAME_CLAIM = env_str("OIDC_NAME_CLAIM", "name")
    LOGIN_REDIRECT_URL = "/my/"
    LOGOUT_REDIRECT_URL = "/"

# Idle sessions end after IDLE_TIMEOUT_MINUTES, every session SESSION_MAX_HOURS after its login
# however busy (identity.middleware); the cookie lasts no longer:
SESSION_MAX_HOURS = env_int("GOVHALL_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# One year in production (browsers then never try plain HTTP); off elsewhere, where there is no TLS:
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0)
# The reverse proxies whose X-Forwarded-For names the client (portal.middleware.TrustedProxyMiddleware):
TRUSTED_PROXIES = env_list("GOVHALL_TRUSTED_PROXIES")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_TLS_PROXY") else None
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Pages that need a
# script (the hall's board, charts, the application form) load it from /static/:
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
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
}

# Language: Chinese first, English switchable. Message ids are Chinese (see STYLE.md), the
# English catalogue lives in locale/en.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env_str("GOVHALL_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
MATERIAL_MAX_BYTES = env_int("GOVHALL_MATERIAL_MAX_MB", 20) * 1024 * 1024
MATERIAL_MAX_PAGES = env_int("GOVHALL_MATERIAL_MAX_PAGES", 200)
# Decompression bombs (lib.uploads): an image (a PNG, a JPEG, an image in a PDF) larger than
# this is refused from its declared size, before any pixel is decoded (an A3 scan at 600 dpi
# is 70 million pixels); a PDF stream that inflates past MATERIAL_MAX_STREAM_BYTES, or all of
# a PDF's streams past MATERIAL_MAX_EXPANDED_BYTES, is refused while it is counted, unkept:
MATERIAL_MAX_PIXELS = env_int("GOVHALL_MATERIAL_MAX_MEGAPIXELS", 100) * 1_000_000
MATERIAL_MAX_STREAM_BYTES = env_int("GOVHALL_MATERIAL_MAX_STREAM_MB", 64) * 1024 * 1024
MATERIAL_MAX_EXPANDED_BYTES = env_int("GOVHALL_MATERIAL_MAX_EXPANDED_MB", 1024) * 1024 * 1024
# Form fields other than files (Django's own limit; files are not counted in it):
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A whole request (several materials at once) larger than this is refused from its declared
# length before it is read (portal.middleware); each file is cut off as it streams in once it
# passes MATERIAL_MAX_BYTES (lib.uploads.MaterialSizeLimitHandler), so it never fills the disk:
REQUEST_MAX_BYTES = env_int("GOVHALL_REQUEST_MAX_MB", 100) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "govhall.lib.uploads.MaterialSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Development serves static files straight from the apps; production from collectstatic's folder:
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Applicants' materials: outside any served folder, read only through access-checked views.
    # With more than one server, a storage they all see: a shared folder, or an object store
    # (django-storages' S3Storage) through GOVHALL_PRIVATE_STORAGE (docs/operations.md):
    "private": {
        "BACKEND": env_str("GOVHALL_PRIVATE_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(env_str("GOVHALL_PRIVATE_STORAGE_OPTIONS", "{}"))
        or {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STORAGES["audit_checkpoints"] = {
    "BACKEND": env_str("GOVHALL_AUDIT_CHECKPOINT_STORAGE", "govhall.audit.checkpoints.AppendOnlyStorage"),
    "OPTIONS": json.loads(env_str("GOVHALL_AUDIT_CHECKPOINT_STORAGE_OPTIONS", "{}"))
    or {"location": str(AUDIT_CHECKPOINT_DIR)},
}

# The cache holds rate-limit counters: shared through Redis when several app servers run.
REDIS_URL = env_str("GOVHALL_REDIS_URL")
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "govhall.lib.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Public pages kept whole for visitors who are not logged in (guides, catalog search): per
# process, keyed by the live catalog, so a publication changes the key; anything else the page
# shows (a department renamed) shows within PAGE_CACHE_SECONDS. A process re-checks the live
# catalog against the database at most every CATALOG_RECHECK_SECONDS:
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "govhall-pages",
    # A guide list is ~35 KB, a search ~5 KB: at most a few tens of MB per process.
    "OPTIONS": {"MAX_ENTRIES": env_int("GOVHALL_PAGE_CACHE_ENTRIES", 1000)},
}
PAGE_CACHE_SECONDS = env_int("GOVHALL_PAGE_CACHE_SECONDS", 60)
# Sessions live in the database; with Redis they are also kept there, so that a request
# reads its session from Redis instead of querying the database (written through to both;
# a logout deletes both):
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")
CATALOG_RECHECK_SECONDS = env_int("GOVHALL_CATALOG_RECHECK_SECONDS", 1)

# Background work: Django's Tasks API through the database backend; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env_str("GOVHALL_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Working days an approver may add to a case's limit (行政许可法 art. 42: 10 unless a law says more):
EXTENSION_MAX_DAYS = env_int("GOVHALL_EXTENSION_MAX_DAYS", 10)
# A case turns yellow with at most this many working days, or this share of its committed
# limit, left (whichever is more); red once a due date has passed (STANDARDS §5 practice):
CASE_WARN_YELLOW_DAYS = env_int("GOVHALL_WARN_YELLOW_DAYS", 1)
CASE_WARN_YELLOW_PERCENT = env_int("GOVHALL_WARN_YELLOW_PERCENT", 20)
# Channels for notifications, each tried in turn (docs/sms-gateway.md for the SMS gateway):
NOTIFICATION_SENDER = env_list("GOVHALL_NOTIFICATION_SENDER", ["govhall.proactive.senders.ConsoleSender"])
SMS_URL = env_str("GOVHALL_SMS_URL")
SMS_SECRET = env_str("GOVHALL_SMS_SECRET") or ("" if IS_PRODUCTION else dev_secret(KEYS_DIR, "govhall_sms_secret"))
SMS_TIMEOUT = env_int("GOVHALL_SMS_TIMEOUT", 5)
SMS_LINK_BASE = env_str("GOVHALL_SMS_LINK_BASE")
# The finance bureau's non-tax revenue platform (docs/finance-platform.md); `make run` starts its sandbox:
FINANCE_URL = env_str("GOVHALL_FINANCE_URL")
FINANCE_SECRET = env_str("GOVHALL_FINANCE_SECRET") or (
    "" if IS_PRODUCTION else dev_secret(KEYS_DIR, "govhall_finance_secret")
)
FINANCE_APP_ID = env_str("GOVHALL_FINANCE_APP_ID", "350205-NLSJ")
FINANCE_TIMEOUT = env_int("GOVHALL_FINANCE_TIMEOUT", 10)
# Calendar days a payer has to pay a fee order (缴款期限), and the first retry delay toward the platform:
PAYMENT_DUE_DAYS = env_int("GOVHALL_PAYMENT_DUE_DAYS", 15)
PAYMENT_RETRY_BASE_SECONDS = env_int("GOVHALL_PAYMENT_RETRY_BASE_SECONDS", 30)
# EMS's logistics platform (docs/ems-platform.md); `make run` starts its sandbox. The bureau is the
# sender on every waybill (the service hall's address, a county-level GB/T 2260 code):
EMS_URL = env_str("GOVHALL_EMS_URL")
EMS_SECRET = env_str("GOVHALL_EMS_SECRET") or ("" if IS_PRODUCTION else dev_secret(KEYS_DIR, "govhall_ems_secret"))
EMS_CUSTOMER = env_str("GOVHALL_EMS_CUSTOMER", "350205-NLSJ")
EMS_TIMEOUT = env_int("GOVHALL_EMS_TIMEOUT", 10)
DELIVERY_SENDER = {
    "name": env_str("GOVHALL_DELIVERY_SENDER_NAME", "厦门市海沧区农林水利局"),
    "phone": env_str("GOVHALL_DELIVERY_SENDER_PHONE", "" if IS_PRODUCTION else "0592-6051234"),
    "region_code": env_str("GOVHALL_DELIVERY_SENDER_REGION", "350205"),
    "address": env_str("GOVHALL_DELIVERY_SENDER_ADDRESS", "海沧区滨湖北路308号 海沧区行政服务中心2楼农林水利综合窗口"),
}
# Days a result may wait at the window before the applicant is reminded to collect it, and how
# often the delivery upkeep runs (the case feed, the EMS outbox, tracking queries, reminders):
DELIVERY_PICKUP_REMINDER_DAYS = env_int("GOVHALL_DELIVERY_PICKUP_REMINDER_DAYS", 5)
DELIVERY_UPKEEP_SECONDS = env_int("GOVHALL_DELIVERY_UPKEEP_SECONDS", 60)
DELIVERY_TRACKING_POLL_SECONDS = env_int("GOVHALL_DELIVERY_TRACKING_POLL_SECONDS", 1800)
DELIVERY_RETRY_BASE_SECONDS = env_int("GOVHALL_DELIVERY_RETRY_BASE_SECONDS", 30)
# The service hall (halls): its upkeep round (held bookings expired, no-shows, reminders, the
# night close), the booking form's proof-of-work difficulty, and the rate limits of booking:
HALLS_UPKEEP_SECONDS = env_int("GOVHALL_HALLS_UPKEEP_SECONDS", 60)
CHALLENGE_MAX_NUMBER = env_int("GOVHALL_CHALLENGE_MAX_NUMBER", 100_000)
HALLS_BOOKINGS_PER_PERSON_PER_HOUR = env_int("GOVHALL_HALLS_BOOKINGS_PER_PERSON_PER_HOUR", 10)
HALLS_BOOKINGS_PER_ADDRESS_PER_HOUR = env_int("GOVHALL_HALLS_BOOKINGS_PER_ADDRESS_PER_HOUR", 30)
# How often a display board asks whether anything changed (a 304 when nothing did):
HALLS_BOARD_POLL_MS = env_int("GOVHALL_HALLS_BOARD_POLL_MS", 1000)
# Suggestions (proactive/suggestions.py): an item pair is suggested only when at least this many
# subjects' closed cases support it, so that no suggestion can point at a few people:
SUGGESTION_MIN_SUPPORT = env_int("GOVHALL_SUGGESTION_MIN_SUPPORT", 20)
# Paying a fee posts to the platform's own page, which then redirects to the finance platform's
# payment page: a form may lead there too (docs/finance-platform.md):
if FINANCE_URL:
    _finance = urlsplit(FINANCE_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_finance.scheme}://{_finance.netloc}")
# /healthz calls the worker stale when its heartbeat or the oldest waiting task is older:
WORKER_STALE_SECONDS = env_int("GOVHALL_WORKER_STALE_SECONDS", 120)
# A task RUNNING this long lost its worker (killed mid-task) and is queued again (portal.tasks):
TASK_RUNNING_TIMEOUT_SECONDS = env_int("GOVHALL_TASK_RUNNING_TIMEOUT_SECONDS", 600)

REST_FRAMEWORK = {
    # Documents the errors every operation can answer (lib.api); errors are JSON everywhere under /api/:
    "DEFAULT_SCHEMA_CLASS": "govhall.lib.api.PlatformAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("GOVHALL_API_ANON_RATE", "120/minute")},
}
# Other departments' systems call the sharing API with OAuth2 client credentials; each gets
# only the scopes its grant lists (sharing.scopes), and its secret is stored hashed. Its access
# tokens are stored as their SHA-256 only (the token column stays empty; a token is 30 random
# characters, so an unsalted hash cannot be reversed), and one in an address is refused (RFC 9700):
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "govhall.sharing.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("GOVHALL_API_TOKEN_SECONDS", 3600),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
}
# Named so that our models can point at it (Django resolves a swappable model through its setting):
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
SPECTACULAR_SETTINGS = {
    "TITLE": "govhall API",
    "DESCRIPTION": "Government services platform: catalog of service items, applications, licences.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # What a client sends and what it gets are separate components (read-only fields, a request's minLength):
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DeliveryStatusEnum": "govhall.delivery.constants.DeliveryStatus",
        "ShipmentStatusEnum": "govhall.delivery.constants.ShipmentStatus",
        "DeliveryMethodEnum": "govhall.delivery.constants.Method",
        "TrackingKindEnum": "govhall.delivery.constants.Tracking",
    },
}

# Platform identity shown on every page.
PLATFORM_NAME = env_str("GOVHALL_PLATFORM_NAME", "海沧区农林水政务服务平台")
REGION_CODE = env_str("GOVHALL_REGION_CODE", "350205")
BUREAU_NAME = env_str("GOVHALL_BUREAU_NAME", "厦门市海沧区农林水利局")
BUREAU_PHONE = env_str("GOVHALL_BUREAU_PHONE", "0592-6051234")
BUREAU_CREDIT_CODE = env_str("GOVHALL_BUREAU_CREDIT_CODE", "11350205MB01000012")
# The address the public reaches the platform at (links in QR codes, emails, SMS; lib.urls.public_url).
# scripts/run-dev.sh sets it to the host and port it starts the development server on:
PUBLIC_URL = env_str("GOVHALL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# A TrueType CJK font that PDFs embed (Debian: fonts-wqy-zenhei):
CJK_FONT_PATH = env_str("GOVHALL_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("GOVHALL_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

check_production_settings()
