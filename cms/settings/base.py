"""Settings shared by every environment.

Every environment variable the platform reads is read here, in the ``ENV`` block
below, so that an operator can see the whole configuration surface in one place.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- ENV: the complete list of environment variables -------------------------
SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(VAR_DIR / "static"))
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
SITE_BASE_URL = os.environ.get("SITE_BASE_URL", "http://127.0.0.1:8000")
EMAIL_URL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "training@localhost")
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "")
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# 0 behind a pooler that cannot keep prepared statements (cms/prepared_statements.py).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# -----------------------------------------------------------------------------

VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "cms",
    "courses",
    "exams.tracking",
    "exams.quizzes",
    "exams.hours",
    "exams.reports",
    "media_pipeline",
    "wagtailmedia",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "treebeard",
    "django_filters",
    "drf_spectacular_sidecar",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Turns a view's lost database connection into a 503 (any place sees a view's errors;
    # the 503 still passes out through the middleware above for its headers and cookies).
    "cms.database_unavailable.DatabaseUnavailableMiddleware",
    # Last: turns a login refused for a locked account or address into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content Security Policy (django-csp). The site's pages run no inline script (our own
# scripts are files, served by us; no CDN), so the policy is enforced everywhere but the
# Wagtail admin, whose pages still carry inline scripts: there the same policy is sent as
# report-only, so that browsers report what it would block without breaking the editor.
# Inline style attributes (progress bars, chart widths) are allowed; scripts are not.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],  # hls.js plays through MediaSource blobs
    "worker-src": ["'self'", "blob:"],  # hls.js demuxes in a worker made from a blob
    "connect-src": ["'self'"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
CONTENT_SECURITY_POLICY = {"EXCLUDE_URL_PREFIXES": ["/admin/"], "DIRECTIVES": _CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "media_pipeline.template_aliases.Loader",
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Connections persist for 60 s; the health check makes a request that finds one broken
# (database restarted between requests) reconnect instead of failing.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded set-up shares one file between the web server and the worker.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DB_PREPARED_STATEMENTS:
    # Only the server-binding cursors of cms/prepared_statements.py ever prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked usernames and addresses
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The project's catalogue first (``makemessages`` writes it), then locale_wagtail: the
# admin strings Wagtail's own zh_Hans catalogues leave untranslated, kept by hand (see
# scripts/wagtail_missing_translations.py); makemessages never writes there.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_wagtail"]
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static_src"]
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


def redis_cache(url: str) -> dict:
    """The cache on Redis (tests/faults use it for their own Redis server).

    A cache, not a store: while Redis is down or restarting, a read is a miss and a write
    is dropped (logged), so that pages and media keep being served from the database
    instead of failing with 500 (tests/faults/test_redis_restart.py)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "IGNORE_EXCEPTIONS": True,
            # A Redis that stopped answering costs a request at most this, not a hang.
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }


DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True


CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}

EMAIL_HOST = EMAIL_URL_HOST
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Wagtail -----------------------------------------------------------------
WAGTAIL_SITE_NAME = _("Training platform")
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 50 * 1024 * 1024
# Every download goes through Wagtail's view and its before_serve_document hooks (courses
# decides who may see a handout); never a direct or redirect URL to the file.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from gravatar.com (blocked or slow where members are): uploaded avatars or
# Wagtail's default one only.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILMEDIA = {
    "MEDIA_MODEL": "media_pipeline.LectureVideo",
    "MEDIA_FORM_BASE": "media_pipeline.forms.LectureVideoForm",
}

# --- Login throttling (cms/login_throttling.py: the policy and why) ----------
AXES_HANDLER = "cms.login_throttling.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # this order: see the handler
AXES_FAILURE_LIMIT = 5  # per username
LOGIN_ADDRESS_FAILURE_LIMIT = 50  # per client address (a branch office behind one NAT)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_CLIENT_IP_CALLABLE = "cms.login_throttling.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False  # Django's admin is not mounted; managers unlock in Wagtail's
AXES_RESET_ON_SUCCESS = False  # a success would also clear the address's count

# --- Django REST framework ---------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Documents every operation's error answers too (cms/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "cms.api_schema.PlatformAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Every refusal in the one error shape {"detail", "errors"} (cms/api_contract.py).
    "EXCEPTION_HANDLER": "cms.api_contract.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Training platform API",
    "VERSION": "1.0.0",
    # Only our own API; Wagtail's internal admin API is not part of the contract.
    "PREPROCESSING_HOOKS": ["cms.api_schema.only_platform_api"],
    # The ids in our API's paths (cms.api_contract.ObjectIdConverter: at most 18 digits).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
    # Swagger UI at /api/docs/ with its assets served from our static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Celery ------------------------------------------------------------------
MEDIA_TASK_MAX_SECONDS = 6 * 60 * 60
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Longer than the longest task may run, or Redis re-delivers a running job.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": MEDIA_TASK_MAX_SECONDS + 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("media"))
CELERY_TASK_ROUTES = {"media_pipeline.tasks.*": {"queue": "media"}}
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-transcodes": {
        "task": "media_pipeline.tasks.requeue_stale_transcodes_task",
        "schedule": 60.0,
    },
    "compact-year-totals": {
        "task": "exams.hours.tasks.compact_year_totals_task",
        "schedule": 60.0,
    },
    "close-overdue-quiz-attempts": {
        "task": "exams.quizzes.tasks.close_overdue_attempts_task",
        "schedule": 60.0,
    },
    "send-report-subscriptions": {
        "task": "exams.reports.tasks.send_report_subscriptions_task",
        "schedule": 3600.0,
    },
    "requeue-waiting-report-exports": {
        "task": "exams.reports.tasks.requeue_waiting_report_exports_task",
        "schedule": 300.0,
    },
    "remove-expired-report-exports": {
        "task": "exams.reports.tasks.remove_expired_report_exports_task",
        "schedule": 3600.0,
    },
}
CELERY_TIMEZONE = TIME_ZONE

# --- Media pipeline (media_pipeline/) ------------------------------------------
MEDIA_UPLOAD_MAX_BYTES = 4 * 1024**3
MEDIA_MAX_DURATION_SECONDS = 4 * 60 * 60
# Signed playback URLs stay valid this long (a lecture plus pauses).
MEDIA_PLAYBACK_TOKEN_MAX_AGE = 6 * 60 * 60
# A transcode's lease is dead when its heartbeat is older than this (docs/media.md, worker
# loss); a re-delivered task or the beat re-queue then takes it over.
MEDIA_LEASE_SECONDS = 15
# How long a member's right to a lecture's media is reused before it is checked again
# (a member removed from the course's audience loses the media within this; at most 60).
MEDIA_ACCESS_CACHE_SECONDS = 30

# --- Reports (exams/reports/) -------------------------------------------------
# An export of a unit whose subtree has more members than this runs as a Celery task.
REPORTS_EXPORT_ASYNC_MEMBERS = 2000
# An export still queued after this is sent again (a lost message, a broker that was down).
REPORTS_EXPORT_REQUEUE_AFTER = timedelta(minutes=5)
# Members written per batch of queries by the exporters (memory stays flat).
REPORTS_EXPORT_CHUNK_MEMBERS = 10_000
# A finished export can be downloaded this long, then its file is removed.
REPORTS_EXPORT_TTL = timedelta(days=3)
# Under MEDIA_ROOT; never served publicly (see cms/urls.py and docs/media.md).
REPORTS_EXPORT_DIR = "private/report-exports"
# Export rows (without their files) are kept this long after expiry, then deleted.
REPORTS_EXPORT_KEEP = timedelta(days=30)

# --- Platform ----------------------------------------------------------------
DEFAULT_YEARLY_STUDY_HOURS = 32
DEMO_PASSWORD = "demo12345"

# Heartbeat and crediting figures have their defaults in exams/tracking/conf.py only.
