"""Notices: who reads which (through the site), who writes and reviews which (through the
Wagtail admin's real views), and the permissions our migration grants."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Collection, GroupCollectionPermission, WorkflowState
from wagtail.test.utils.form_data import rich_text

from cms import roles
from cms.models import NoticeIndexPage, NoticePage

pytestmark = pytest.mark.django_db

COMMENTS = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
}


def notice_index() -> NoticeIndexPage:
    """The section the data migration makes under the home page."""
    return NoticeIndexPage.objects.get(slug="notices")


def make_notice(title: str, *, units=(), **fields) -> NoticePage:
    notice = NoticePage(
        title=title, slug=fields.pop("slug", title.lower().replace(" ", "-")), body="<p>x</p>"
    )
    for name, value in fields.items():
        setattr(notice, name, value)
    notice_index().add_child(instance=notice)
    if units:
        notice.audience_units.set(units)
        notice.save()
    return notice


def notice_form(title: str, *, units=(), **extra) -> dict:
    today = timezone.localdate()
    return {
        "title": title,
        "slug": extra.pop("slug", "new-notice"),
        "date": extra.pop("date", today.isoformat()),
        "expires": extra.pop("expires", ""),
        "body": rich_text("<p>通知正文</p>"),
        "audience_units": [unit.pk for unit in units],
        **COMMENTS,
        **extra,
    }


def add_url() -> str:
    return reverse("wagtailadmin_pages:add", args=("cms", "noticepage", notice_index().pk))


@pytest.fixture
def people(org, member_factory):
    return {
        "member_a": member_factory(org.branch_a, username="member_a"),
        "member_b": member_factory(org.branch_b, username="member_b"),
        "manager_a": member_factory(org.branch_a, role=roles.MANAGERS, username="manager_a"),
        "manager_b": member_factory(org.branch_b, role=roles.MANAGERS, username="manager_b"),
        "manager_east": member_factory(org.east, role=roles.MANAGERS, username="manager_e"),
    }


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


class TestReading:
    def test_a_member_lists_notices_for_everyone_and_their_branch_only(self, client, org, people):
        # given a notice for everyone, one for branch A (pinned), one for branch B,
        # one for the district above A
        make_notice("For all Zq1")
        make_notice("For A Zq2", units=[org.branch_a], pinned=True)
        make_notice("For B Zq3", units=[org.branch_b])
        make_notice("For East Zq4", units=[org.east])

        # when member A opens the notice listing
        client.force_login(people["member_a"])
        html = client.get(notice_index().url).content.decode()

        # then they read everyone's, their branch's and their district's, pinned first
        assert "Zq2" in html and "Zq1" in html and "Zq4" in html
        assert html.index("Zq2") < html.index("Zq1")
        assert "Zq3" not in html

    def test_another_branchs_notice_is_not_found_by_url(self, client, org, people):
        notice = make_notice("For B only", units=[org.branch_b])

        client.force_login(people["member_a"])
        assert client.get(notice.url).status_code == 404

        client.force_login(people["member_b"])
        assert client.get(notice.url).status_code == 200

    def test_anonymous_visitors_read_public_notices_and_are_sent_to_log_in_for_others(
        self, client, org
    ):
        public = make_notice("Public notice")
        branch = make_notice("Branch notice", units=[org.branch_a])

        assert client.get(public.url).status_code == 200
        response = client.get(branch.url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "Branch notice" not in client.get(notice_index().url).content.decode()

    def test_expired_and_future_notices_are_neither_listed_nor_served(self, client, people):
        today = timezone.localdate()
        expired = make_notice(
            "Expired Zq5", date=today - timedelta(days=10), expires=today - timedelta(days=1)
        )
        future = make_notice("Future Zq6", date=today + timedelta(days=2))
        last_day = make_notice("Last day Zq7", date=today - timedelta(days=3), expires=today)

        client.force_login(people["member_a"])
        html = client.get(notice_index().url).content.decode()

        assert "Zq5" not in html and "Zq6" not in html and "Zq7" in html
        assert client.get(expired.url).status_code == 404
        assert client.get(future.url).status_code == 404
        assert client.get(last_day.url).status_code == 200

    def test_a_draft_is_not_served(self, client, people):
        notice = make_notice("Draft notice", live=False)
        client.force_login(people["member_a"])
        assert client.get("/notices/draft-notice/").status_code == 404
        assert not NoticePage.objects.live().filter(pk=notice.pk).exists()


class TestWriting:
    def test_a_manager_submits_a_notice_for_their_branch_and_it_waits_for_review(
        self, client, org, people
    ):
        client.force_login(people["manager_a"])

        response = client.post(
            add_url(), notice_form("支部通知", units=[org.branch_a], **{"action-submit": "1"})
        )

        assert response.status_code == 302, response.context and response.context["form"].errors
        notice = NoticePage.objects.get(title="支部通知")
        assert not notice.live
        state = WorkflowState.objects.get(object_id=str(notice.pk))
        assert state.workflow.name == "公告审核"
        assert state.status == WorkflowState.STATUS_IN_PROGRESS

    def test_a_unit_outside_the_managers_subtree_is_refused(self, english, org, people):
        english.force_login(people["manager_a"])

        response = english.post(
            add_url(), notice_form("Intruding", units=[org.branch_b], **{"action-submit": "1"})
        )

        # the form comes back with the error; nothing is made
        assert response.status_code == 200
        assert "audience_units" in response.context["form"].errors
        assert not NoticePage.objects.filter(title="Intruding").exists()

    def test_a_mix_of_own_and_foreign_units_is_refused(self, english, org, people):
        english.force_login(people["manager_a"])

        response = english.post(
            add_url(),
            notice_form("Mixed", units=[org.branch_a, org.west_branch], **{"action-submit": "1"}),
        )

        assert response.status_code == 200
        assert "audience_units" in response.context["form"].errors
        assert not NoticePage.objects.filter(title="Mixed").exists()

    def test_a_manager_may_not_write_to_everyone(self, english, people):
        english.force_login(people["manager_a"])

        response = english.post(add_url(), notice_form("To all", **{"action-submit": "1"}))

        assert response.status_code == 200
        errors = response.context["form"].errors["audience_units"]
        assert errors == ["Choose one or more units of your own subtree."]
        assert not NoticePage.objects.filter(title="To all").exists()

    def test_an_expiry_before_the_date_is_refused(self, english, org, people):
        english.force_login(people["manager_a"])
        today = timezone.localdate()

        response = english.post(
            add_url(),
            notice_form(
                "Backwards",
                units=[org.branch_a],
                date=today.isoformat(),
                expires=(today - timedelta(days=1)).isoformat(),
            ),
        )

        assert response.status_code == 200
        assert response.context["form"].errors["expires"] == [
            "A notice cannot expire before its date."
        ]
        assert not NoticePage.objects.filter(title="Backwards").exists()

    def test_a_garbled_date_is_a_form_error_not_a_crash(self, english, org, people):
        english.force_login(people["manager_a"])

        response = english.post(
            add_url(), notice_form("Garbled", units=[org.branch_a], date="2026-13-45")
        )

        assert response.status_code == 200
        assert "date" in response.context["form"].errors

    def test_the_audience_offered_is_the_managers_subtree(self, client, org, people):
        client.force_login(people["manager_east"])

        form = client.get(add_url()).context["form"]

        offered = set(form.fields["audience_units"].queryset)
        assert offered == {org.east, org.branch_a, org.branch_b}

    def test_a_manager_cannot_publish_without_review(self, client, org, people):
        client.force_login(people["manager_a"])

        client.post(
            add_url(), notice_form("Straight out", units=[org.branch_a], **{"action-publish": "1"})
        )

        notice = NoticePage.objects.get(title="Straight out")
        assert not notice.live

    def test_another_branchs_manager_can_neither_edit_nor_see_the_notice(self, client, org, people):
        notice = make_notice("Secret Zq8", units=[org.branch_a])
        client.force_login(people["manager_b"])

        assert client.get(reverse("wagtailadmin_pages:edit", args=(notice.pk,))).status_code == 404
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=(notice.pk,)),
            notice_form("Taken over", units=[org.branch_b], slug=notice.slug),
        )
        assert response.status_code == 404
        # managers hold no delete permission: refused before the scope is even asked
        delete = client.get(reverse("wagtailadmin_pages:delete", args=(notice.pk,)))
        assert delete.status_code == 404 or delete["Location"] == reverse("wagtailadmin_home")
        listing = client.get(reverse("wagtailadmin_explore", args=(notice_index().pk,)))
        assert listing.status_code == 200
        assert "Zq8" not in listing.content.decode()
        notice.refresh_from_db()
        assert notice.title == "Secret Zq8"

    def test_the_district_manager_edits_a_branch_notice(self, client, org, people):
        notice = make_notice("Branch news", units=[org.branch_a])
        client.force_login(people["manager_east"])

        response = client.get(reverse("wagtailadmin_pages:edit", args=(notice.pk,)))

        assert response.status_code == 200


class TestReview:
    def submit(self, client, manager, units, title="待审公告"):
        client.force_login(manager)
        client.post(add_url(), notice_form(title, units=units, **{"action-submit": "1"}))
        notice = NoticePage.objects.get(title=title)
        return notice, WorkflowState.objects.get(object_id=str(notice.pk))

    def approve(self, client, user, notice, state):
        client.force_login(user)
        return client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=(notice.pk, "approve", state.current_task_state.pk),
            ),
            {"comment": ""},
        )

    def test_nobody_approves_their_own_notice(self, client, org, people):
        notice, state = self.submit(client, people["manager_a"], [org.branch_a])

        response = self.approve(client, people["manager_a"], notice, state)

        assert response.status_code in (302, 403)
        notice.refresh_from_db()
        assert not notice.live

    def test_another_branchs_manager_cannot_approve(self, client, org, people):
        notice, state = self.submit(client, people["manager_a"], [org.branch_a])

        self.approve(client, people["manager_b"], notice, state)

        notice.refresh_from_db()
        assert not notice.live
        state.refresh_from_db()
        assert state.status == WorkflowState.STATUS_IN_PROGRESS

    def test_the_manager_above_approves_and_members_read_it(self, client, org, people):
        notice, state = self.submit(client, people["manager_a"], [org.branch_a])

        response = self.approve(client, people["manager_east"], notice, state)

        assert response.status_code == 302
        notice.refresh_from_db()
        assert notice.live
        state.refresh_from_db()
        assert state.status == WorkflowState.STATUS_APPROVED
        client.force_login(people["member_a"])
        assert client.get(notice.url).status_code == 200
        client.force_login(people["member_b"])
        assert client.get(notice.url).status_code == 404

    def test_the_review_queue_shows_only_notices_in_scope(self, client, org, people):
        notice, _state = self.submit(client, people["manager_a"], [org.branch_a], "Qu9 notice")

        # fresh clients: the submitter's "submitted" message must not be what is found
        other, above = Client(), Client()
        other.force_login(people["manager_b"])
        above.force_login(people["manager_east"])
        assert "Qu9" not in other.get(reverse("wagtailadmin_home")).content.decode()
        assert "Qu9" in above.get(reverse("wagtailadmin_home")).content.decode()


def test_managers_and_trainers_may_choose_images_and_documents(db):
    root = Collection.get_first_root_node()
    for role in (roles.MANAGERS, roles.TRAINERS):
        group = Group.objects.get(name=role)
        granted = set(
            GroupCollectionPermission.objects.filter(group=group, collection=root).values_list(
                "permission__codename", flat=True
            )
        )
        assert {"choose_image", "choose_document"} <= granted, role


def test_managers_write_notices_but_do_not_publish_them(db):
    managers = Group.objects.get(name=roles.MANAGERS)
    codenames = set(
        notice_index()
        .group_permissions.filter(group=managers)
        .values_list("permission__codename", flat=True)
    )
    assert codenames == {"add_page", "change_page"}
