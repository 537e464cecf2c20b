"""Toolcrib settings. Every value that differs between machines comes from an environment
variable; the README lists them all."""

from pathlib import Path

import dj_database_url

from toolcrib.lib import embedded_db
from toolcrib.lib.env import env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# Without a configured key, a random one per data directory is made and kept under var/.
VAR_DIR = env_path("TOOLCRIB_VAR", Path("var"), BASE_DIR)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    from toolcrib.lib.secret import local_secret_key

    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "toolcrib.crib",
    "inference",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "toolcrib.crib.audit.ActorMiddleware",
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

# DATABASE_URL points at any PostgreSQL with pgvector; without it the embedded server starts.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {"default": embedded_db.start(VAR_DIR / "pgdata")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks for it at start-up
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("TOOLCRIB_MEDIA", VAR_DIR / "media", BASE_DIR)

# Uploads: a photo larger than this is refused before it is decoded.
TOOLCRIB_MAX_UPLOAD_MB = env_int("TOOLCRIB_MAX_UPLOAD_MB", 25)
DATA_UPLOAD_MAX_MEMORY_SIZE = TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# The pixel limit (decompression bombs) is TOOLCRIB_MAX_PHOTO_PIXELS, read by inference.preprocess.

# The recount threshold (match %) until an admin sets one: where 1% of different-type pairs
# pass in `manage.py evaluate` on ../shared/photos (README, "How good it is").
# The raw match % below which nothing is accepted without a look, for experts (the accepted
# risk below decides; 60 is the pairing floor of inference.kits, so no extra floor by default).
TOOLCRIB_DEFAULT_THRESHOLD = env_float("TOOLCRIB_THRESHOLD", 60.0)
# False accepts per 1,000 returned tools the crib accepts (the admin changes it in the app).
TOOLCRIB_ACCEPTED_RISK = env_float("TOOLCRIB_ACCEPTED_RISK", 20.0)
TOOLCRIB_LOAN_HOURS = env_int("TOOLCRIB_LOAN_HOURS", 12)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
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
