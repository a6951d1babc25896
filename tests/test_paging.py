"""Long tables a page at a time (`web.pages.paged`): which rows, which page, and the links around it."""

from __future__ import annotations

from starlette.requests import Request

from peakend.web.pages import paged


def asking(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/audits", "query_string": query.encode(),
                    "headers": [(b"host", b"testserver")], "scheme": "http", "server": ("testserver", 80)})


ROWS = list(range(120))  # 50 + 50 + 20: three pages


def test_the_page_asked_for_its_rows_and_links():
    rows, pg = paged(asking("by=item&page=2&lang=zh"), ROWS)
    assert rows == list(range(50, 100))
    assert (pg["page"], pg["pages"], pg["rows"]) == (2, 3, 120)
    assert pg["prev"] == "?by=item&lang=zh&page=1" and pg["next"] == "?by=item&lang=zh&page=3"
    rows, pg = paged(asking("page=3"), ROWS)
    assert rows == list(range(100, 120)) and pg["next"] is None and pg["prev"] == "?page=2"


def test_a_page_out_of_range_or_not_a_number_shows_the_nearest():
    for query, page in (("page=0", 1), ("page=-2", 1), ("page=abc", 1), ("page=%EF%BC%92", 1), ("page=4", 3),
                        ("page=" + "9" * 40, 3), ("", 1)):
        assert paged(asking(query), ROWS)[1]["page"] == page, query


def test_a_short_table_is_one_page_and_extra_parameters_are_kept():
    rows, pg = paged(asking(""), [1, 2, 3])
    assert rows == [1, 2, 3] and (pg["pages"], pg["prev"], pg["next"]) == (1, None, None)
    assert paged(asking(""), [], size=50)[1]["pages"] == 1
    assert paged(asking("lang=en"), ROWS, by="week")[1]["next"] == "?lang=en&by=week&page=2"
