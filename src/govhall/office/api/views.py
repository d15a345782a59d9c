"""Office API: documents (metadata and status) and supervised tasks, for the staff of the units concerned.

Read only: the work itself (signing, issuing, reporting with evidence files) is done on the
desk. Errors have the platform's one shape (lib.api); not yours answers 404 as not there.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from django.db.models import Prefetch

from govhall.identity.permissions import IsVerifiedStaff
from govhall.lib.api import PlatformAPIView, StrictPageNumberPagination
from govhall.office import queries
from govhall.office.api.serializers import DocumentSerializer, TaskSerializer
from govhall.office.models import Assignment, Document, ProgressReport, RouteStep, Task

TAGS = ["office"]


def _documents(user: Any) -> Any:
    route = Prefetch("route", queryset=RouteStep.objects.select_related("department").order_by("-role", "pk"))
    return queries.list_documents_for(user).prefetch_related(route)


def _with_percent(tasks: list[Task]) -> list[Task]:
    """Put on each unit assignment the percentage its latest progress report gave (one query for the page)."""
    latest: dict[int, int] = {}
    reports = ProgressReport.objects.filter(assignment__task__in=tasks).order_by("reported_at", "pk")
    for assignment_id, percent in reports.values_list("assignment_id", "percent"):
        latest[assignment_id] = percent
    for task in tasks:
        for assignment in task.assignments.all():
            assignment.latest_percent = latest.get(assignment.pk)  # type: ignore[attr-defined]
    return tasks


def _tasks(user: Any) -> Any:
    assignments = Prefetch("assignments", queryset=Assignment.objects.select_related("department"))
    return queries.list_tasks_for(user).prefetch_related(assignments, "milestones")


class DocumentListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = DocumentSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        return _documents(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Documents of my units (公文)",
        description=(
            "Outgoing and incoming documents the staff member's units drafted, registered, co-sign or handle, or "
            "that were circulated to them; the office sees all. Metadata and status only, newest first."
        ),
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DocumentDetailView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(summary="One document, with its route and opinions", responses=DocumentSerializer, tags=TAGS)
    def get(self, request: Request, public_id: str) -> Response:
        document: Document = queries.access_document_for(request.user, public_id)
        document = _documents(request.user).get(pk=document.pk)
        return Response(DocumentSerializer(document).data)


class TaskListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = TaskSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        return _tasks(self.request.user).order_by("due_on", "pk")

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], list):
            args = (_with_percent(args[0]), *args[1:])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        summary="Supervised tasks of my units (任务督办)",
        description="Tasks assigned to the staff member's units or assigned by them; the office sees all. Soonest due first.",
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TaskDetailView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(summary="One supervised task, with each unit's status", responses=TaskSerializer, tags=TAGS)
    def get(self, request: Request, public_id: str) -> Response:
        task = queries.access_task_for(request.user, public_id)
        task = _tasks(request.user).get(pk=task.pk)
        return Response(TaskSerializer(_with_percent([task])[0]).data)
