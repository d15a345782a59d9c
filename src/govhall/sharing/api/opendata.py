"""Open data through the API: the data sets' metadata records and their rows (no login)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django.http import Http404

from govhall.sharing import queries


class DatasetMetadataSerializer(serializers.Serializer[dict[str, Any]]):
    identifier = serializers.CharField(source="dct:identifier")
    title = serializers.CharField(source="dct:title")
    publisher = serializers.CharField(source="dct:publisher")
    license = serializers.CharField(source="dct:license")
    modified = serializers.CharField(source="dct:modified", allow_null=True)
    openness = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())


class DatasetRowsSerializer(serializers.Serializer[dict[str, Any]]):
    metadata = serializers.DictField(help_text="DCAT-style metadata record")
    rows = serializers.ListField(child=serializers.DictField())


class OpenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


@extend_schema(tags=["open-data"], responses={200: DatasetMetadataSerializer(many=True)}, summary="Open data sets")
class DatasetListView(OpenView):
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/").rstrip("/")
        return Response([queries.dataset_metadata(d, base) for d in queries.list_open_datasets()])


@extend_schema(tags=["open-data"], responses={200: DatasetRowsSerializer}, summary="One open data set's rows")
class DatasetView(OpenView):
    def get(self, request: Request, slug: str) -> Response:
        dataset = queries.get_open_dataset(slug)
        if not queries.is_downloadable(dataset):
            raise Http404
        base = request.build_absolute_uri("/").rstrip("/")
        return Response({"metadata": queries.dataset_metadata(dataset, base), "rows": dataset.rows})
