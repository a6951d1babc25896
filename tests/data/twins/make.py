"""Writes the twins of tests/test_excel_encodings.py: one set of rating-pad rows as a clean UTF-8 CSV (contract
names), the same CSV in GBK and in UTF-8 with a BOM, and an .xlsx export with a two-row header (merged group
cells, Chinese names) whose dates are date cells, one of them a bare Excel serial. Run from the repository root:
python tests/data/twins/make.py
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
ROWS = [  # visit, hall, moment, seq, start, staff, rating, wait, outcome
    ("T-001", "天河北厅", "greeting", 1, "2026-11-02 09:15:00", "张伟", 5, None, None),
    ("T-001", "天河北厅", "counter_handling", 2, "2026-11-02 09:21:30", "李娜", 4, 6.5, None),
    ("T-001", "天河北厅", "leaving", 3, "2026-11-02 09:40:00", "李娜", 5, None, "resolved"),
    ("T-002", "天河北厅", "greeting", 1, "2026-11-02 10:02:00", "张伟", 3, None, None),
    ("T-002", "天河北厅", "counter_handling", 2, "2026-11-02 10:30:00", "王芳", 2, 24.0, None),
    ("T-002", "天河北厅", "leaving", 3, "2026-11-02 10:55:00", "王芳", 1, None, "unresolved"),
    ("T-003", "珠江新城厅", "greeting", 1, "2026-11-03 14:00:00", "刘洋", 4, None, None),
    ("T-003", "珠江新城厅", "self_service", 2, "2026-11-03 14:05:00", None, None, 1.5, "resolved"),
    ("T-003", "珠江新城厅", "leaving", 3, "2026-11-03 14:20:00", "刘洋", 5, None, "resolved"),
    ("T-004", "珠江新城厅", "counter_handling", 1, "2026-11-03 16:45:00", "陈静", 9, 3.0, None),  # out of range
]
HEADER = ["visit_id", "hall_id", "moment_id", "seq", "start_at", "staff_id", "rating", "wait_min", "outcome"]
# The workbook's two-row header: a group merged over the columns below it, or one name merged down both rows.
GROUPS = [("流水号", None), ("营业厅", None), ("触点", "时刻"), ("触点", "序号"), ("触点", "开始时间"),
          ("服务", "员工"), ("服务", "评分"), ("服务", "等候时长"), ("办理结果", None)]


def main() -> None:
    text = [[("" if v is None else v) for v in r] for r in ROWS]
    for name, encoding in (("clean.csv", "utf-8"), ("gbk.csv", "gbk"), ("bom.csv", "utf-8-sig")):
        with (HERE / name).open("w", newline="", encoding=encoding) as f:
            csv.writer(f).writerows([HEADER, *text])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "评价流水"
    sheet.append([g for g, _ in GROUPS])
    sheet.append([s for _, s in GROUPS])
    for c, (_, sub) in enumerate(GROUPS, start=1):
        if sub is None:
            sheet.merge_cells(start_row=1, start_column=c, end_row=2, end_column=c)
    sheet.merge_cells("C1:E1")
    sheet.merge_cells("F1:H1")
    for i, r in enumerate(ROWS):
        at = datetime.fromisoformat(r[4])
        serial = (at - datetime(1899, 12, 30)) / timedelta(days=1)
        sheet.append([*r[:4], serial if i == 4 else at, *r[5:]])  # row 7: a date cell that lost its format
        sheet.cell(sheet.max_row, 5).number_format = "General" if i == 4 else "yyyy-mm-dd hh:mm:ss"
        if i == 5:
            sheet.append([None] * len(GROUPS))  # a blank row: skipped, the row numbers still Excel's
    notes = book.create_sheet("说明")
    notes.append(["本表由排队系统导出"])
    book.save(HERE / "merged.xlsx")


if __name__ == "__main__":
    main()
