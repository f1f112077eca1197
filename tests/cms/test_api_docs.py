"""The API's documentation: Swagger UI served from our own static files, and the schema
committed in docs/api/openapi.yaml, so that a change to the contract is deliberate."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"
REGENERATE = "manage.py spectacular --lang en --file docs/api/openapi.yaml"


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_this_site_not_a_cdn(client):
    page = client.get("/api/docs/")

    html = page.content.decode()
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html[:500]
    assert all(not source.startswith(("http:", "https:", "//")) for source in sources)
    bundle = next(source for source in sources if source.endswith("swagger-ui-bundle.js"))
    assert client.get(bundle).status_code == 200
    # The page's own set-up is a script file too (no inline script under the CSP).
    init = next(source for source in sources if "?script" in source)
    assert "/api/schema/" in client.get(init).content.decode()


@pytest.mark.django_db
def test_the_committed_schema_is_the_one_the_code_serves():
    out = io.StringIO()

    call_command("spectacular", "--lang", "en", stdout=out)

    assert out.getvalue() == SCHEMA.read_text(encoding="utf-8"), (
        f"the API contract changed: review the difference, then run {REGENERATE}"
    )
