import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
INSECURE_DEFAULT_KEY = "insecure-development-key-change-me"

env = environ.Env()
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))
if not DATA_DIR.is_absolute():
    DATA_DIR = BASE_DIR / DATA_DIR

WAREHOUSE_URL = env.str("WAREHOUSE_URL", default=f"duckdb:///{DATA_DIR / 'warehouse'}")
WAREHOUSE_DATABASE = env.str("WAREHOUSE_DATABASE", default="MEDALLION")
WAREHOUSE_POOL_SIZE = env.int("WAREHOUSE_POOL_SIZE", default=8)
WAREHOUSE_ACQUIRE_TIMEOUT = env.float("WAREHOUSE_ACQUIRE_TIMEOUT", default=5.0)
WAREHOUSE_STATEMENT_TIMEOUT = env.float("WAREHOUSE_STATEMENT_TIMEOUT", default=120.0)
WAREHOUSE_LONG_STATEMENT_TIMEOUT = env.float("WAREHOUSE_LONG_STATEMENT_TIMEOUT", default=600.0)
WAREHOUSE_NETWORK_TIMEOUT = env.float("WAREHOUSE_NETWORK_TIMEOUT", default=60.0)
WAREHOUSE_LOGIN_TIMEOUT = env.float("WAREHOUSE_LOGIN_TIMEOUT", default=30.0)
WAREHOUSE_CONNECTION_MAX_AGE = env.float("WAREHOUSE_CONNECTION_MAX_AGE", default=3600.0)
WAREHOUSE_INJECT_LATENCY_MS = env.float("WAREHOUSE_INJECT_LATENCY_MS", default=0.0)
# The embedded engine's memory and worker threads, so that one large load cannot take the web process's memory.
WAREHOUSE_MEMORY_LIMIT = env.str("WAREHOUSE_MEMORY_LIMIT", default="512MB")
if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", WAREHOUSE_MEMORY_LIMIT, re.IGNORECASE):
    raise ImproperlyConfigured("WAREHOUSE_MEMORY_LIMIT must look like 512MB or 2GB")
WAREHOUSE_THREADS = max(1, min(env.int("WAREHOUSE_THREADS", default=2), os.cpu_count() or 1))
WAREHOUSE_STAGE_DIR = Path(env.str("WAREHOUSE_STAGE_DIR", default=str(DATA_DIR / "stages")))

UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
UPLOAD_TEMP_DIR = Path(env.str("UPLOAD_TEMP_DIR", default=str(DATA_DIR / "uploads")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

QUEUE_LEASE_SECONDS = env.int("QUEUE_LEASE_SECONDS", default=45)
WORKER_POLL_SECONDS = env.float("WORKER_POLL_SECONDS", default=2.0)
# A load tells its rows so far (heartbeat row and event stream) at most once per this many rows and seconds.
LOAD_PROGRESS_ROWS = env.int("LOAD_PROGRESS_ROWS", default=5000)
LOAD_PROGRESS_SECONDS = env.float("LOAD_PROGRESS_SECONDS", default=1.0)
# Alert e-mails: printed to the console unless a real backend (and its EMAIL_HOST, ...) is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="medallion-alerts@localhost")
REQUEST_LOG_QUEUE_SIZE = env.int("REQUEST_LOG_QUEUE_SIZE", default=10000)

RETENTION_DAYS_COMPLETED = env.int("RETENTION_DAYS_COMPLETED", default=30)
RETENTION_DAYS_ARCHIVE = env.int("RETENTION_DAYS_ARCHIVE", default=365)
RETENTION_DAYS_LOGS = env.int("RETENTION_DAYS_LOGS", default=90)
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=3600)
# How long a cluster-wide lock outlives a holder that stopped renewing it (a process that died).
LOCK_LEASE_SECONDS = env.int("LOCK_LEASE_SECONDS", default=60)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

CORTEX_MODELS = env.list("CORTEX_MODELS", default=["snowflake-arctic", "mistral-large2", "llama3.1-70b"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "medallion",
    "tpa",
    "bronze",
    "silver",
    "gold",
    "ops",
    "demo",
]

MIDDLEWARE = [
    "medallion.middleware.RequestContextMiddleware",
    "ops.middleware.RouteMetricsMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "medallion.middleware.DjangoEssentialsMiddleware",
    "medallion.middleware.BearerTokenMiddleware",
]
# The admin and the deploy checks look for Django's middleware by class; DjangoEssentialsMiddleware runs them
# inline, and medallion.checks repeats the deploy checks those warnings would otherwise hide.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410", "security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "medallion.urls"
APPEND_SLASH = False

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
                "medallion.context.site",
            ],
            "builtins": ["medallion.templatetags.display"],
        },
    },
]

ASGI_APPLICATION = "medallion.asgi.application"

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'django.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}
# Server-Sent Events (/api/events): streams one user may hold open, heartbeat interval, browser retry delay.
EVENT_STREAMS_PER_USER = env.int("EVENT_STREAMS_PER_USER", default=6)
EVENT_STREAM_HEARTBEAT_SECONDS = env.float("EVENT_STREAM_HEARTBEAT_SECONDS", default=15.0)
EVENT_STREAM_RETRY_MS = 3000
CACHE_DEFAULT_TTL = env.int("CACHE_DEFAULT_TTL", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Behind HTTPS (production): Secure cookies, HSTS, redirect to HTTPS, and the proxy header that says a request
# came in over HTTPS (only when a proxy sets it and strips it from clients).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header.split("=", 1)) if "=" in _proxy_ssl_header else None
SECURE_REDIRECT_EXEMPT = [r"^api/health"]
SECURE_REFERRER_POLICY = "same-origin"
# Pages run no inline script; inline styles stay allowed for the server-drawn charts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Signed-in sessions end after this many seconds without a request, and at the latest after SESSION_COOKIE_AGE.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_NAME = "XSRF-TOKEN"
CSRF_HEADER_NAME = "HTTP_X_XSRF_TOKEN"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "medallion.views.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["medallion.formats"]
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "snowflake.connector": {"level": "WARNING"},
        "fakesnow": {"level": "WARNING"},
    },
}
