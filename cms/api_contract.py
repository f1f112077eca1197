"""What every app's API shares: the one error shape, and JSON fields that take JSON's
types strictly (DRF's own accept "3" for 3 and 1 for true)."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """``{"detail": message, "errors": {field: [messages]}}`` — ``detail`` is translated
    for the user; ``errors`` is present for a body that fails validation."""

    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


class StrictIntegerField(serializers.IntegerField):
    """An integer that is a JSON number, not a string or a boolean or 1.5."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, not 1, "yes" or "on"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
