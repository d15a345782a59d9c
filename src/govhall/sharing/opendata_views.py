"""The portal's data page: the open data sets, each with its metadata record, as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from govhall.sharing import queries
from govhall.sharing.models import Dataset
from govhall.sharing.opendata import QUERIES


def catalogue(request: HttpRequest) -> HttpResponse:
    datasets = list(queries.list_open_datasets())
    return render(request, "sharing/data.html", {"datasets": datasets})


def dataset(request: HttpRequest, slug: str) -> HttpResponse:
    found = queries.get_open_dataset(slug)
    metadata = queries.dataset_metadata(found, request.build_absolute_uri("/").rstrip("/"))
    return render(
        request,
        "sharing/dataset.html",
        {
            "dataset": found,
            "metadata": metadata,
            "metadata_json": json.dumps(metadata, ensure_ascii=False, indent=2),
            "downloadable": queries.is_downloadable(found),
            "preview": found.rows[:20],
            "fields": QUERIES[found.query].fields,
            "publisher": metadata["dct:publisher"],
        },
    )


def _downloadable(slug: str) -> Dataset:
    found = queries.get_open_dataset(slug)
    if not queries.is_downloadable(found):
        raise Http404
    return found


def download_csv(request: HttpRequest, slug: str) -> HttpResponse:
    found = _downloadable(slug)
    names = [f.name for f in QUERIES[found.query].fields]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(found.rows)
    # A byte-order mark, so that spreadsheet programs read the Chinese as UTF-8:
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.csv"'
    return response


def download_json(request: HttpRequest, slug: str) -> HttpResponse:
    found = _downloadable(slug)
    body = {
        "metadata": queries.dataset_metadata(found, request.build_absolute_uri("/").rstrip("/")),
        "rows": found.rows,
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.json"'
    return response
