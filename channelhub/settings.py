"""ChannelHub settings: one module, driven by environment variables.

With nothing set (``make run``) it runs on the embedded defaults: SQLite, a filesystem
Celery broker and console email. ``DATABASE_URL`` and ``REDIS_URL`` switch it to
PostgreSQL and Redis. With ``DEBUG`` off (the default) it refuses to start without
``SECRET_KEY`` and ``DATABASE_URL``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CHANNELHUB_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# Local development keeps its settings in .env (`make run` writes one); real environment
# variables win over it.
environ.Env.read_env(env.str("CHANNELHUB_ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)

if not DEBUG:
    missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            f"Set {', '.join(missing)} (or DEBUG=1 for local development; `make run` does that)."
        )

SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-for-debug-mode")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "django_htmx",
    "axes",
    "channelhub",
    "accounts",
    "partners",
    "sales",
    "maintenance",
    "reminders",
    "incentives",
    "reviews",
    "surveys",
    "support",
    "tiers",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "channelhub.urls"
WSGI_APPLICATION = "channelhub.wsgi.application"
ASGI_APPLICATION = "channelhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 0.2–1.5 s on the wide queries of lists and dashboards and gains
    # nothing at our sizes (perf-notes.md); batch jobs may turn it on with SET LOCAL.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = env.str(
        "POSTGRES_OPTIONS", default="-c jit=off"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "partners:partner_list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: 5 failures per username + IP lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_VERBOSE = False
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["channelhub.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
# Sales files are imported by a Celery task from shared storage, so they may be large.
# Dashboards keep summaries for the current calendar year and the ones before it.
DASHBOARD_YEARS = env.int("DASHBOARD_YEARS", default=3)
SALES_IMPORT_MAX_UPLOAD_BYTES = env.int("SALES_IMPORT_MAX_UPLOAD_BYTES", default=1024**3)

# --- Email ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ChannelHub <noreply@channelhub.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
from celery.schedules import crontab  # noqa: E402 (settings read top to bottom)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "heartbeat": {
        "task": "channelhub.tasks.record_heartbeat_task",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Beat is only the clock: both tasks derive what is due from the database.
    "reminder-sweep": {
        "task": "reminders.tasks.sweep_reminders_task",
        "schedule": 15 * 60.0,
        "options": {"expires": 10 * 60},
    },
    "maintenance-reconcile": {
        "task": "maintenance.tasks.reconcile_maintenance_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "review-plan": {
        "task": "reviews.tasks.plan_reviews_task",
        "schedule": crontab(hour=0, minute=30),
    },
    "surveys": {
        "task": "surveys.tasks.run_surveys_task",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    "issue-auto-close": {
        "task": "support.tasks.close_resolved_issues_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "tier-evaluation": {
        "task": "tiers.tasks.quarterly_evaluation_task",
        "schedule": crontab(hour=1, minute=0),
    },
    # Drains what the on-commit kicks missed (the broker was down); the nightly rebuild
    # adds the new month's rows and heals anything a bulk path forgot to queue.
    "dashboard-summaries": {
        "task": "dashboards.tasks.refresh_summaries_task",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "dashboard-rebuild": {
        "task": "dashboards.tasks.rebuild_summaries_task",
        "schedule": crontab(hour=0, minute=1),
    },
    "reminder-send": {
        "task": "reminders.tasks.send_reminders_task",
        "schedule": 120.0,
        "options": {"expires": 100},
    },
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
else:
    # The embedded default: a broker made of files under var/, so `make run` needs no Redis.
    CELERY_QUEUE_DIR = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["channelhub.api.permissions.StaffModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "channelhub.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_THROTTLE_RATE", default="6000/hour")},
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "channelhub.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ChannelHub API",
    "DESCRIPTION": "Partner relationship management: the partner archive and what hangs on it.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "Province": "partners.choices.Province",
        "Tier": "partners.choices.Tier",
        "TerminationReason": "partners.choices.TerminationReason",
        "PartnerType": "partners.choices.PartnerType",
        "PartnerStatus": "partners.choices.PartnerStatus",
        "RevenueBand": "partners.choices.RevenueBand",
        "ReviewStatus": "reviews.choices.ReviewStatus",
        "TaskStatus": "maintenance.choices.TaskStatus",  # action items share its values
        "IssueCategory": "support.choices.IssueCategory",
    },
}

# --- Cache ----------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "channelhub.lib.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    # Files, not process memory: the web process and the Celery worker share it (import
    # progress, for one).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secrets": {"()": "channelhub.lib.logging.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver's request lines go through the same (redacting) handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- ChannelHub -----------------------------------------------------------------------
PARTNER_LIST_PAGE_SIZE = 25
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
