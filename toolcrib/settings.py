"""Toolcrib settings. Every value that differs between machines comes from an environment
variable; the README lists them all."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from inference import config as inference_config
from toolcrib.lib import embedded_db
from toolcrib.lib.env import (
    SettingError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# Without a configured key, a random one per data directory is made and kept under var/.
VAR_DIR = env_path("TOOLCRIB_VAR", Path("var"), BASE_DIR)
SECRET_KEY = env_str("SECRET_KEY")
SECRET_KEY_FROM_ENV = bool(SECRET_KEY)  # else kept in var/: `manage.py restore` puts it back
if not SECRET_KEY:
    from toolcrib.lib.secret import local_secret_key

    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# TOOLCRIB_HTTPS=true: served over HTTPS by a proxy that terminates TLS and says so in
# X-Forwarded-Proto (README, "HTTPS"). Cookies only over HTTPS, HSTS, plain HTTP redirected;
# /healthz stays reachable over plain HTTP for a load balancer's check.
TOOLCRIB_HTTPS = env_bool("TOOLCRIB_HTTPS", False)
if TOOLCRIB_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("TOOLCRIB_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TOOLCRIB_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("TOOLCRIB_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "toolcrib.crib",
    "toolcrib.mats",
    "toolcrib.transfer",
    "toolcrib.notify",
    "inference",
]

MIDDLEWARE = [
    # First: a request that finds the database away gets 503, from any layer below.
    "toolcrib.database_outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "toolcrib.lib.body_size.BodySizeLimit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "toolcrib.crib.audit.ActorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out log-in with the lockout page
]

ROOT_URLCONF = "toolcrib.urls"
WSGI_APPLICATION = "toolcrib.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "toolcrib.front.context.recognition",
            ],
        },
    },
]

# DATABASE_URL points at any PostgreSQL with pgvector; without it, the embedded server in
# var/pgdata. Settings only describe it: `serve`, the tests and `manage.py` commands start it.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    EMBEDDED_DB_DIR = None
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    EMBEDDED_DB_DIR = VAR_DIR / "pgdata"
    DATABASES = {"default": embedded_db.database_settings(EMBEDDED_DB_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Log-in throttling (django-axes): after TOOLCRIB_LOGIN_FAILURES failed log-ins for one user name,
# or from one address, that user name or address is refused for TOOLCRIB_LOCKOUT_MINUTES; each
# lockout goes into the audit trail. Behind TOOLCRIB_PROXY_COUNT proxies the address is read from
# X-Forwarded-For (set by them), else every user would share the proxy's address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("TOOLCRIB_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TOOLCRIB_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
TOOLCRIB_PROXY_COUNT = env_int("TOOLCRIB_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "toolcrib.lib.client_ip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# A refused CSRF check gets a page in the app's style that keeps the form (toolcrib/front/session.py).
CSRF_FAILURE_VIEW = "toolcrib.front.session.csrf_failure"
# When the shifts change (local time, HH:MM): the dashboard lists the tools due back before
# the next change and still out, and a return at shift end sends missing tools to a recount.
TOOLCRIB_SHIFT_CHANGES = env_list("TOOLCRIB_SHIFT_CHANGES", ["06:00", "18:00"])
for _change in TOOLCRIB_SHIFT_CHANGES:
    _hour, _, _minute = _change.partition(":")
    if not (_hour.isdigit() and _minute.isdigit() and int(_hour) < 24 and int(_minute) < 60):
        raise ValueError(f"TOOLCRIB_SHIFT_CHANGES: {_change!r} is not a time of day HH:MM")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks for it at start-up
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("TOOLCRIB_MEDIA", VAR_DIR / "media", BASE_DIR)

# Photos: the local folder above, or an S3-compatible object store when TOOLCRIB_S3_BUCKET is
# set (several application servers then share the photos). Photos are evidence: never public;
# the app reads them through the storage and serves them by role (/media/).
TOOLCRIB_S3_BUCKET = env_str("TOOLCRIB_S3_BUCKET")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if TOOLCRIB_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": TOOLCRIB_S3_BUCKET,
            "endpoint_url": env_str("TOOLCRIB_S3_ENDPOINT_URL") or None,
            "region_name": env_str("TOOLCRIB_S3_REGION") or None,
            "access_key": env_str("TOOLCRIB_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("TOOLCRIB_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("TOOLCRIB_S3_PREFIX"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,  # a photo is never replaced by another of the same name
        },
    }

# Uploads: a photo larger than this is refused from its Content-Length, before it is read
# (toolcrib/lib/body_size.py); uploads past Django's 2.5 MB go to a temporary file, not memory.
TOOLCRIB_MAX_UPLOAD_MB = env_int("TOOLCRIB_MAX_UPLOAD_MB", 25)
# JSON from outside (API bodies, JSON form fields) past this size or depth is refused with a 4xx
# (toolcrib/lib/json_limits.py); other request bodies and form fields have the same size limit.
TOOLCRIB_MAX_JSON_KB = env_int("TOOLCRIB_MAX_JSON_KB", 1024)
TOOLCRIB_MAX_JSON_DEPTH = env_int("TOOLCRIB_MAX_JSON_DEPTH", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = TOOLCRIB_MAX_JSON_KB * 1024

# What inference/ reads (it has no Django; inference/config.py is its one reader): all of it
# checked here, so a bad value stops start-up with a message instead of failing at the first photo.
try:
    TOOLCRIB_INFERENCE = inference_config.from_environ()
except inference_config.ConfigError as e:
    raise SettingError(str(e)) from None

# The recount threshold (match %) until an admin sets one: where 1% of different-type pairs
# pass in `manage.py evaluate` on ../shared/photos (README, "How good it is").
# The raw match % below which nothing is accepted without a look, for experts (the accepted
# risk below decides; 60 is the pairing floor of inference.kits, so no extra floor by default).
TOOLCRIB_DEFAULT_THRESHOLD = env_float("TOOLCRIB_THRESHOLD", 60.0)
# False accepts per 1,000 returned tools the crib accepts (the admin changes it in the app).
TOOLCRIB_ACCEPTED_RISK = env_float("TOOLCRIB_ACCEPTED_RISK", 20.0)
# The loan period until an admin sets one on the settings page (toolcrib/crib/loans.py).
TOOLCRIB_LOAN_HOURS = env_int("TOOLCRIB_LOAN_HOURS", 12)
TOOLCRIB_LOAN_HOURS_FROM_ENV = bool(os.environ.get("TOOLCRIB_LOAN_HOURS"))
# Email (notifications, `manage.py notify`): SMTP when EMAIL_HOST is set, else printed to the
# console (development). The crib's and QA's own addresses receive their notices whatever
# the users choose on /notifications/.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "toolcrib@localhost")
TOOLCRIB_CRIB_EMAIL = env_list("TOOLCRIB_CRIB_EMAIL", [])
TOOLCRIB_QA_EMAIL = env_list("TOOLCRIB_QA_EMAIL", [])
# Calibration due within this many days is announced (once per tool and due date).
TOOLCRIB_CALIBRATION_NOTICE_DAYS = env_int("TOOLCRIB_CALIBRATION_NOTICE_DAYS", 14)
# The daily digest goes out with the first `notify` run at or after this hour (crib's time).
TOOLCRIB_DIGEST_HOUR = env_int("TOOLCRIB_DIGEST_HOUR", 6)
# gunicorn worker processes that `serve` starts (0: 2 x cores + 1).
TOOLCRIB_WORKERS = env_int("TOOLCRIB_WORKERS", 0)
# `markings: "wait"` (the recognition API): how long a request waits, idle, for the marking
# reader (manage.py read_markings) before answering what is read and `reading` for the rest.
TOOLCRIB_MARKING_WAIT_SECONDS = env_int("TOOLCRIB_MARKING_WAIT_SECONDS", 20)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "toolcrib.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Toolcrib API",
    "DESCRIPTION": "Issue and return hand tools, verified from photos.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: no CDN needed (hangar networks may have none).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Two choice sets are called `status`: a tool's and a marking reader's.
    "ENUM_NAME_OVERRIDES": {
        "MarkingStatusEnum": "toolcrib.api.serializers.MARKING_STATUSES",
        # A return line and a mat slot check a marking the same way: one enum in the schema.
        "MarkingCheckEnum": "toolcrib.crib.models.MARKING_CHECKS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

# Static files are served by WhiteNoise straight from the source folders: no build step.
WHITENOISE_USE_FINDERS = True
