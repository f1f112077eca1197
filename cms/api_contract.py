"""The one error shape of the platform's API, shared by every app's endpoints."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """``{"detail": message, "errors": {field: [messages]}}`` — ``detail`` is translated
    for the user; ``errors`` is present for a body that fails validation."""

    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
