from .base import *  # noqa: F403
from .base import EMAIL_HOST, INSTALLED_APPS, MIDDLEWARE, SECRET_KEY, STORAGES, VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"

# WhiteNoise serves /static/, not runserver (whose handler would bypass it).
INSTALLED_APPS = ["whitenoise.runserver_nostatic", *INSTALLED_APPS]
# A 404 is the project's translated page even with DEBUG on, never the debug page that
# lists the URL patterns.
MIDDLEWARE = [*MIDDLEWARE, "cms.demo_site.NotFoundPageMiddleware"]

if env_bool("STATIC_COLLECTED", False):
    # bin/demo: the files collectstatic fingerprinted and compressed, served as in
    # production (the admin alone is 1.8 MB uncompressed, a minute on a 2G-class link).
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "cms.demo_site.FingerprintedStaticStorage"}}
    # WhiteNoise would follow DEBUG for both: only the collected files, indexed at start.
    WHITENOISE_USE_FINDERS = False
    WHITENOISE_AUTOREFRESH = False
else:
    # Serve static files straight from the source folders, no collectstatic needed.
    STORAGES = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# Without a mail server, mails (scheduled reports with their XLSX) are written to
# var/mail/ as .log files instead of the terminal.
if not EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
