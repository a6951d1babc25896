"""Tables as the web hands them out: JSON records, and CSV or XLSX downloads."""

from __future__ import annotations

import io
from typing import Any, Literal

import pandas as pd
from fastapi.responses import JSONResponse, Response

from peakend.i18n import say
from peakend.service.figures import plain
from peakend.service.jobs import Answer
from peakend.service.views import inert

ExportFormat = Literal["csv", "xlsx"]

__all__ = ["Computing", "ExportFormat", "being_computed", "export", "frame_json", "plain"]


def frame_json(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A data frame as JSON-ready records (NaN as null, times as ISO text)."""
    return [{k: plain(v) for k, v in rec.items()} for rec in df.to_dict("records")]


def export(df: pd.DataFrame, name: str, fmt: ExportFormat) -> Response:
    """A table as a CSV (UTF-8 with BOM, so spreadsheet programs read Chinese) or XLSX download.

    Text that a spreadsheet would run as a formula gets a leading `'` (`service.views.inert`).
    """
    df = inert(df)
    if fmt == "csv":
        body = df.to_csv(index=False).encode("utf-8-sig")
        media = "text/csv; charset=utf-8"
    else:
        buf = io.BytesIO()
        for c in df.columns:  # Excel keeps no time zones
            if isinstance(df[c].dtype, pd.DatetimeTZDtype):
                df[c] = df[c].dt.tz_localize(None)
        df.to_excel(buf, index=False, sheet_name=name[:31], engine="openpyxl")
        body = buf.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


class Computing(Exception):
    """Nothing computed yet for the question an API route was asked: answered 202 with the job computing it."""

    def __init__(self, found: Answer):
        super().__init__("being computed")
        self.found = found


def being_computed(found: Answer) -> JSONResponse:
    """202: nothing computed yet for this question; the job computing it (follow it at /api/v1/jobs/{job_id})."""
    job = found.running or found.last
    return JSONResponse({"state": "computing", "job": job.public("en") if job else None,
                         "detail": say("being_computed", "en"), "detail_zh": say("being_computed", "zh")},
                        status_code=202)
