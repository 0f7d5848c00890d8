"""Query windows: quick ranges in China time; exact numbers need no time range."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from chalicelib.domain.queries import DeclarationQuery, quick_range

NOW = datetime(2024, 3, 20, 17, 30, tzinfo=UTC)  # 2024-03-21 01:30 in Beijing, a Thursday


def test_today_starts_at_midnight_china_time():
    start, end = quick_range("today", NOW)
    assert start == datetime(2024, 3, 20, 16, 0, tzinfo=UTC) and end == NOW


def test_this_week_starts_on_monday_china_time():
    start, _ = quick_range("week", NOW)
    assert start == datetime(2024, 3, 17, 16, 0, tzinfo=UTC)  # Monday 18 March, 00:00 +08


def test_this_month_starts_on_the_first():
    assert quick_range("month", NOW)[0] == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)


def test_three_months_goes_back_to_the_same_day():
    assert quick_range("3months", NOW)[0] == datetime(2023, 12, 20, 16, 0, tzinfo=UTC)


def test_exact_number_queries_need_no_time_window():
    assert DeclarationQuery(bill_no="CS2024022501").window(NOW) is None
    assert DeclarationQuery(seq_no="I20240001031824871", range="today").window(NOW) is not None


def test_without_any_time_filter_the_window_is_three_months():
    assert DeclarationQuery().window(NOW) == quick_range("3months", NOW)


def test_dates_without_a_zone_are_read_as_china_time():
    q = DeclarationQuery.model_validate({"from": "2024-03-01T00:00:00", "to": "2024-03-02T00:00:00"})
    assert q.window(NOW)[0] == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)


def test_dates_given_win_over_a_range_sent_with_them():
    # the document cannot say "not both", so both are taken: the explicit dates decide (issue #24)
    q = DeclarationQuery.model_validate({"range": "today", "from": "2024-03-01T00:00:00"})
    assert q.window(NOW) == (datetime(2024, 2, 29, 16, 0, tzinfo=UTC), NOW)


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 0},
        {"page_size": 101},
        {"range": "year"},
        {"unknown": "x"},
    ],
)
def test_invalid_query_parameters_are_refused(params):
    with pytest.raises(ValidationError):
        DeclarationQuery.model_validate(params)
