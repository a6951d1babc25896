"""The report as PDF: Chromium, headless, prints the self-contained HTML report once its charts are drawn."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from peakend import settings
from peakend.errors import ReportError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHART_BUDGET_MS = 20_000  # virtual time the page gets to draw its charts before it is printed


def chromium() -> str:
    """The Chromium to print with: setting `chromium`, else the first of `BROWSERS` on the PATH."""
    named = settings.get("chromium")
    found = named or next((p for b in BROWSERS if (p := shutil.which(b))), None)
    if not found or not Path(found).exists():
        raise ReportError("pdf_no_chromium", value=named or ", ".join(BROWSERS))
    return found


def print_pdf(html: Path, pdf: Path, lang: str = "zh") -> Path:
    """Print `html` (its `lang` half) to `pdf`."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            f"--virtual-time-budget={CHART_BUDGET_MS}", f"--print-to-pdf={pdf.resolve()}",
            f"{html.resolve().as_uri()}#{lang}"]
    try:
        done = subprocess.run(args, capture_output=True, timeout=180, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReportError("pdf_failed", value=str(exc)) from None
    if not pdf.exists() or not pdf.read_bytes().startswith(b"%PDF"):
        raise ReportError("pdf_failed", value=done.stderr.decode("utf-8", "replace")[-500:])
    return pdf
