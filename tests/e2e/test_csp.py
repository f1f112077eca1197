"""The Content-Security-Policy as a browser applies it: an injected inline script does not
run on a member page (and the violation is seen), while the admin only reports it."""

import pytest

from cms import roles
from tests.browser import login_context
from tests.e2e.test_player import CSP_RECORDER
from tests.factories import make_member, make_unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INJECT = (
    "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
    " document.body.appendChild(s); return new Promise((r) => setTimeout(r, 200)); }"
)


def _visit(browser, client, live_server, user, path):
    context = login_context(browser, client, user, live_server)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    response = page.goto(live_server.url + path)
    assert response.status == 200
    page.evaluate(INJECT)
    result = page.evaluate("() => [window.__ran === 1, window.__csp]")
    context.close()
    return result


def test_inline_script_is_blocked_on_member_pages(browser, client, live_server):
    member = make_member(make_unit("CSP branch"), username="csp_member")
    ran, violations = _visit(browser, client, live_server, member, "/learn/")
    assert not ran
    assert any(v.startswith("script-src") for v in violations), violations


def test_admin_reports_but_does_not_block(browser, client, live_server):
    manager = make_member(make_unit("CSP unit"), roles.MANAGERS, username="csp_manager")
    ran, violations = _visit(browser, client, live_server, manager, "/admin/")
    assert ran
    assert any(v.startswith("script-src") for v in violations), violations
