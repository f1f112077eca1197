"""Input and output serializers of the tracking API: the one validator of a beat."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cms.api_contract import StrictBooleanField, StrictIntegerField

from .models import WatchBeat

MAX_MEDIA_SECONDS = 24 * 3600.0  # no lecture is longer than a day
MAX_SEQ = 2**31 - 1


class FiniteFloatField(serializers.FloatField):
    """A number, not a boolean (DRF's FloatField already refuses NaN and infinities)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class HeartbeatInputSerializer(serializers.Serializer):
    lesson = StrictIntegerField(min_value=1, max_value=MAX_SEQ)
    session = serializers.UUIDField()
    seq = StrictIntegerField(min_value=0, max_value=MAX_SEQ)
    # "from" is a Python keyword: declared below through ``get_fields``.
    to = FiniteFloatField(min_value=0, max_value=MAX_MEDIA_SECONDS, allow_null=True, required=False)
    rate = FiniteFloatField(min_value=0.0625, max_value=16, required=False, default=1.0)
    event = serializers.ChoiceField(choices=WatchBeat.Event.choices)
    position = FiniteFloatField(
        min_value=0, max_value=MAX_MEDIA_SECONDS, allow_null=True, required=False
    )
    playing = StrictBooleanField()
    visible = StrictBooleanField()
    client_time = StrictIntegerField(min_value=0, max_value=2**53, allow_null=True, required=False)
    # The lesson page's beat token (``exams.tracking.beat_token``): what authenticates
    # the beat. Checked by the view before the other fields (a bad token is a 403).
    token = serializers.CharField(max_length=200, write_only=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = FiniteFloatField(
            min_value=0, max_value=MAX_MEDIA_SECONDS, allow_null=True, required=False
        )
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if (start is None) != (end is None):
            raise serializers.ValidationError(_("Send both 'from' and 'to', or neither."))
        if start is not None and end < start:
            raise serializers.ValidationError(_("'to' must not be before 'from'."))
        attrs.pop("token", None)
        return attrs


class HeartbeatOutputSerializer(serializers.Serializer):
    coverage = serializers.FloatField()
    coverage_ratio = serializers.FloatField()
    engaged_seconds = serializers.FloatField()
    completed = serializers.BooleanField()
    resume_position = serializers.FloatField()


class PreferencesSerializer(serializers.Serializer):
    data_saver = StrictBooleanField()


class PingOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
