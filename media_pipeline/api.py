"""A small JSON API: transcoding status for the admin listing to poll."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import videos_status


class VideoStatusApi(APIView):
    class InputSerializer(serializers.Serializer):
        ids = serializers.RegexField(r"^\d+(,\d+){0,199}$")

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()
        status_label = serializers.CharField()
        progress_percent = serializers.IntegerField()
        failure_reason = serializers.CharField(allow_blank=True)

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer(many=True)})
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        ids = [int(i) for i in params.validated_data["ids"].split(",")]
        rows = videos_status(ids=ids, user=request.user)
        return Response(self.OutputSerializer(rows, many=True).data)
