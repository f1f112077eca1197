import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.baseline import migration_data_missing, migration_data_restore
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import make_member, make_unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _remove_test_media():
    yield
    from django.conf import settings

    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (tests/browser.py has its flags)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_E2E_TESTS"):
            pytest.fail(f"REQUIRE_E2E_TESTS is set but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make between browser steps are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: ids come back after a rollback, so an answer
    cached for (member 5, video 3) by one test must not answer the next test's member 5."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request):
    """Transactional tests start from the rows the data migrations made, as the others do."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    if not transactional and not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    if migration_data_missing():
        migration_data_restore()


@pytest.fixture
def org(db):
    """A small tree: province → two districts → two branches under the first district."""

    province = make_unit("Province", code="PROV", yearly_target_hours=32)
    east = make_unit("East district", parent=province, code="EAST")
    west = make_unit("West district", parent=province, code="WEST")
    return SimpleNamespace(
        province=province,
        east=east,
        west=west,
        branch_a=make_unit("Branch A", parent=east, code="BR-A"),
        branch_b=make_unit("Branch B", parent=east, code="BR-B"),
        west_branch=make_unit("West branch", parent=west, code="BR-W"),
    )


@pytest.fixture
def member_factory(db):
    return make_member


def _worker_database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def _broker_reachable() -> bool:
    from cms.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def real_worker(settings, *, pool: list[str], log_name: str, stop_timeout: float):
    """Run a real ``celery worker`` process on the configured broker and the test database
    while the generator is suspended; skip (or fail under REQUIRE_WORKER_TESTS) where no
    broker answers. Eager mode is off meanwhile, so tasks go through the broker for real."""
    from cms.celery import app

    if not _broker_reachable():
        if os.environ.get("REQUIRE_WORKER_TESTS"):
            pytest.fail("REQUIRE_WORKER_TESTS is set but no Celery broker answers")
        pytest.skip("no Celery broker reachable")
    app.conf.task_always_eager = False
    app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": _worker_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log_path = ROOT / "var" / f"{log_name}-{os.getpid()}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cms", "worker", "-Q", "default,media",
         *pool, "--without-gossip", "--without-mingle", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"worker exited early; see {log.name}")
            if "ready." in log_path.read_text():
                break
            time.sleep(0.2)
        else:
            pytest.fail("worker did not become ready in 60 s")
        yield proc
    finally:
        app.conf.task_always_eager = True
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real ``celery worker`` (solo pool) on the configured broker and the test database."""
    yield from real_worker(
        settings, pool=["--pool", "solo"], log_name="test-worker", stop_timeout=20
    )


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@pytest.fixture
def broker_down():
    """Celery's broker unreachable (a real connection refused on a closed port), for tests
    that check a request still succeeds when its task cannot be sent. Restored afterwards."""
    from cms.celery import app

    saved = {k: app.conf.get(k) for k in ("broker_write_url", "task_always_eager")}

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    # The write URL: the environment's CELERY_BROKER_URL (the CI run on Redis) wins over
    # the configured broker_url, not over broker_write_url.
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    app.conf.task_always_eager = False
    reset_pools()
    yield
    app.conf.update(saved)
    reset_pools()
