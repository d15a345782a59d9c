"""The State Council holiday notices for 2025 and 2026 (STANDARDS.md §5), as data to seed."""

from __future__ import annotations

import datetime

NOTICE_2025 = "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
NOTICE_2026 = "国务院办公厅关于2026年部分节假日安排的通知"


def _span(first: str, last: str) -> list[datetime.date]:
    start, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


# (year, source, [(name, days off, make-up workdays)]):
NOTICES: list[tuple[int, str, list[tuple[str, list[datetime.date], list[datetime.date]]]]] = [
    (
        2025,
        NOTICE_2025,
        [
            ("元旦", _span("2025-01-01", "2025-01-01"), []),
            (
                "春节",
                _span("2025-01-28", "2025-02-04"),
                _span("2025-01-26", "2025-01-26") + _span("2025-02-08", "2025-02-08"),
            ),
            ("清明节", _span("2025-04-04", "2025-04-06"), []),
            ("劳动节", _span("2025-05-01", "2025-05-05"), _span("2025-04-27", "2025-04-27")),
            ("端午节", _span("2025-05-31", "2025-06-02"), []),
            (
                "国庆节、中秋节",
                _span("2025-10-01", "2025-10-08"),
                _span("2025-09-28", "2025-09-28") + _span("2025-10-11", "2025-10-11"),
            ),
        ],
    ),
    (
        2026,
        NOTICE_2026,
        [
            ("元旦", _span("2026-01-01", "2026-01-03"), _span("2026-01-04", "2026-01-04")),
            (
                "春节",
                _span("2026-02-15", "2026-02-23"),
                _span("2026-02-14", "2026-02-14") + _span("2026-02-28", "2026-02-28"),
            ),
            ("清明节", _span("2026-04-04", "2026-04-06"), []),
            ("劳动节", _span("2026-05-01", "2026-05-05"), _span("2026-05-09", "2026-05-09")),
            ("端午节", _span("2026-06-19", "2026-06-21"), []),
            ("中秋节", _span("2026-09-25", "2026-09-27"), []),
            (
                "国庆节",
                _span("2026-10-01", "2026-10-07"),
                _span("2026-09-20", "2026-09-20") + _span("2026-10-10", "2026-10-10"),
            ),
        ],
    ),
]
