"""Output serializers of the reports API (``/api/v1/reports/``).

Each says field by field what leaves the server; the figures are the selectors' objects
(``figures.GroupFigures``, ``figures.MemberFigures``, ``course_report.CourseGroup``, …)
read as they are, so the API shows exactly what the screens and the exports show. Decimals
are strings, as in the other APIs.
"""

from __future__ import annotations

from rest_framework import serializers

PERCENT = {"max_digits": 4, "decimal_places": 1, "allow_null": True}
HOURS = {"max_digits": 12, "decimal_places": 2}


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    parent = serializers.IntegerField(
        allow_null=True, help_text="The parent unit's id; null at the top of the user's scope."
    )
    depth = serializers.IntegerField()
    path = serializers.CharField(help_text='The names from the top: "Province / East / A".')


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class FiltersSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    course = serializers.IntegerField(source="course_id", allow_null=True)
    topic = serializers.IntegerField(source="topic_id", allow_null=True)


class GroupFiguresSerializer(serializers.Serializer):
    """A row of the overview: a child unit's subtree, the unit's own members
    (``own_members``), or everyone (the total)."""

    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    own_members = serializers.BooleanField()
    has_children = serializers.BooleanField()
    members = serializers.IntegerField()
    met_target = serializers.IntegerField()
    percent_met = serializers.DecimalField(**PERCENT)
    behind_target = serializers.IntegerField()
    hours_total = serializers.DecimalField(**HOURS)
    average_hours = serializers.DecimalField(**HOURS, allow_null=True)
    median_hours = serializers.DecimalField(**HOURS, allow_null=True)
    required_on_time = serializers.IntegerField()
    required_late = serializers.IntegerField()
    required_overdue = serializers.IntegerField()
    required_open = serializers.IntegerField()
    quizzes_taken = serializers.IntegerField()
    quizzes_passed = serializers.IntegerField()
    quiz_pass_rate = serializers.DecimalField(**PERCENT)


class OverviewSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    filters = FiltersSerializer()
    breadcrumbs = UnitRefSerializer(many=True)
    rows = GroupFiguresSerializer(many=True)
    total = GroupFiguresSerializer()


class MemberFiguresSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id")
    unit_path = serializers.SerializerMethodField()
    hours = serializers.DecimalField(**HOURS, help_text="Hours within the filters.")
    year_hours = serializers.DecimalField(**HOURS, help_text="Hours of the whole year.")
    target = serializers.DecimalField(**HOURS)
    met_target = serializers.BooleanField()
    shortfall = serializers.DecimalField(**HOURS)
    required_on_time = serializers.IntegerField()
    required_late = serializers.IntegerField()
    required_overdue = serializers.IntegerField()
    required_open = serializers.IntegerField()
    quizzes_taken = serializers.IntegerField()
    quizzes_passed = serializers.IntegerField()

    def get_unit_path(self, row) -> str:
        return self.context["paths"][row.unit_path]


class MembersPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = MemberFiguresSerializer(many=True)


class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()


class CourseGroupSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    own_members = serializers.BooleanField()
    has_children = serializers.BooleanField()
    enrolled = serializers.IntegerField()
    not_started = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    overdue = serializers.IntegerField()
    completed = serializers.IntegerField()
    percent_completed = serializers.DecimalField(**PERCENT)


class CourseReportSerializer(serializers.Serializer):
    course = CourseRefSerializer()
    unit = UnitRefSerializer()
    breadcrumbs = UnitRefSerializer(many=True)
    rows = CourseGroupSerializer(many=True)
    total = CourseGroupSerializer()


class QuizRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    pass_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class BandSerializer(serializers.Serializer):
    low = serializers.DecimalField(max_digits=5, decimal_places=2)
    high = serializers.DecimalField(max_digits=5, decimal_places=2)


class QuizGroupSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    own_members = serializers.BooleanField()
    has_children = serializers.BooleanField()
    taken = serializers.IntegerField(help_text="Members with a grade in the period.")
    passed = serializers.IntegerField()
    pass_rate = serializers.DecimalField(**PERCENT)
    average_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    distribution = serializers.ListField(
        child=serializers.IntegerField(), help_text="Grades per band, in the order of ``bands``."
    )


class QuizReportSerializer(serializers.Serializer):
    quiz = QuizRefSerializer()
    unit = UnitRefSerializer()
    filters = FiltersSerializer()
    breadcrumbs = UnitRefSerializer(many=True)
    bands = BandSerializer(many=True)
    rows = QuizGroupSerializer(many=True)
    total = QuizGroupSerializer()


class LedgerLineSerializer(serializers.Serializer):
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    source = serializers.CharField()
    source_label = serializers.CharField()
    about = serializers.CharField()
    note = serializers.CharField()


class RecordCourseSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="enrolment.course_id")
    title = serializers.CharField(source="enrolment.course.title")
    required = serializers.BooleanField(source="enrolment.is_required")
    due_date = serializers.DateField(source="enrolment.due_date", allow_null=True)
    completed_at = serializers.DateTimeField(source="enrolment.completed_at", allow_null=True)
    percent = serializers.IntegerField(source="card.percent")
    overdue = serializers.BooleanField()


class RecordQuizSerializer(serializers.Serializer):
    quiz = serializers.CharField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    passed = serializers.BooleanField()
    attempts = serializers.IntegerField()
    first_passed_at = serializers.DateTimeField(allow_null=True)
    awarded_hours = serializers.DecimalField(max_digits=5, decimal_places=2)


class RecordSessionSerializer(serializers.Serializer):
    date = serializers.DateField()
    topic = serializers.CharField()
    unit = serializers.CharField()
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=2)


class MemberRecordSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="profile.user_id")
    username = serializers.CharField(source="profile.user.username")
    full_name = serializers.CharField(source="profile.full_name")
    unit = serializers.IntegerField(source="profile.unit_id")
    unit_path = serializers.CharField()
    year = serializers.IntegerField()
    target = serializers.DecimalField(**HOURS)
    year_hours = serializers.DecimalField(**HOURS)
    met_target = serializers.BooleanField()
    ledger = LedgerLineSerializer(many=True)
    courses = RecordCourseSerializer(many=True)
    quizzes = RecordQuizSerializer(many=True)
    sessions = RecordSessionSerializer(many=True)
