import pytest
from django.urls import reverse

from courses.models import Topic
from courses.selectors import catalogue_search

from .factories import make_course

pytestmark = pytest.mark.django_db


class TestChineseSearch:
    """The database search backends do not segment Chinese; these run on SQLite and PostgreSQL."""

    def test_a_word_finds_a_longer_title(self, org, member):
        # given
        wanted = make_course("基层党建信息化建设")
        make_course("安全生产培训")

        # when
        found = list(catalogue_search(user=member, query="党建"))

        # then
        assert found == [wanted]

    def test_words_out_of_order_match_segmented_terms(self, org, member):
        wanted = make_course("基层党建信息化建设", summary="面向支部书记的课程")
        make_course("信息化基础")

        assert list(catalogue_search(user=member, query="建设 党建")) == [wanted]
        assert list(catalogue_search(user=member, query="党建建设")) == [wanted]
        assert list(catalogue_search(user=member, query="支部书记")) == [wanted]

    def test_search_terms_are_refreshed_on_save(self, org, member):
        course = make_course("安全生产培训")
        course.title = "基层党建信息化建设"
        course.save()

        assert list(catalogue_search(user=member, query="党建")) == [course]

    def test_latin_search_is_case_insensitive(self, org, member):
        wanted = make_course("Excel for Secretaries")
        assert list(catalogue_search(user=member, query="excel")) == [wanted]

    def test_the_catalogue_page_searches(self, client, org, member):
        make_course("基层党建信息化建设")
        make_course("安全生产培训")
        client.force_login(member)

        html = client.get(reverse("courses:catalogue"), {"q": "党建"}).content.decode()

        assert "基层党建信息化建设" in html
        assert "安全生产培训" not in html


class TestFilters:
    def test_topic_and_tag(self, client, org, member):
        party = Topic.objects.create(name="党建", slug="party")
        a = make_course("A course", topic=party)
        b = make_course("B course")
        b.tags.add("safety")
        b.save()

        assert list(catalogue_search(user=member, topic="party")) == [a]
        assert list(catalogue_search(user=member, tag="safety")) == [b]
        client.force_login(member)
        html = client.get(reverse("courses:catalogue"), {"tag": "safety"}).content.decode()
        assert "B course" in html and "A course" not in html

    def test_paging(self, client, org, member):
        for i in range(14):
            make_course(f"Paged {i:02d}")
        client.force_login(member)

        first = client.get(reverse("courses:catalogue"))
        second = client.get(reverse("courses:catalogue"), {"page": 2})

        assert len(first.context["cards"]) == 12
        assert len(second.context["cards"]) == 2
        assert "page=2" in first.content.decode()

    def test_section_page_lists_only_its_courses(self, client, org, member):
        make_course("In the section")
        client.force_login(member)
        response = client.get("/courses/")
        assert response.status_code == 200
        assert "In the section" in response.content.decode()


class TestCards:
    def test_progress_on_the_cards(self, client, org, member):
        # given two courses of three required lessons (and one optional), one a third done
        from courses.services import enrolment_create, lesson_complete

        from .factories import make_lesson

        started = make_course("Started", lessons=3)
        make_lesson(started, required_for_completion=False)
        make_course("Untouched", lessons=3)
        enrolment_create(user=member, course=started)
        lesson_complete(user=member, lesson=started.get_children().first().specific)
        client.force_login(member)

        # when
        cards = {
            c.course.title: c for c in client.get(reverse("courses:catalogue")).context["cards"]
        }

        # then
        assert (cards["Started"].lessons_required, cards["Started"].lessons_done) == (3, 1)
        assert cards["Started"].percent == 33
        assert cards["Untouched"].enrolment is None
        assert cards["Untouched"].lessons_required == 3
