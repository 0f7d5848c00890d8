"""Mainland SMS rules: template variables within the provider's limits, flow control, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from chalicelib.domain import sms

CN = timezone(timedelta(hours=8))


def test_a_text_variable_loses_the_signature_brackets_and_special_symbols():
    assert sms.fit_value("【退单】商品★编号[1]不符", "text") == "退单商品编号1不符"


def test_a_long_text_variable_is_cut_to_the_provider_limit():
    assert sms.fit_value("很" * 30, "text") == "很" * sms.VARIABLE_RULES["text"].max_chars


def test_an_empty_text_variable_gets_a_placeholder_because_providers_refuse_empty_ones():
    assert sms.fit_value("★", "text") == sms.EMPTY_TEXT


def test_a_number_too_long_is_refused_rather_than_cut():
    with pytest.raises(sms.SmsParameterRefused):
        sms.fit_value("1" * 40, "number")


def test_a_template_refuses_variables_it_does_not_have():
    with pytest.raises(ValueError):
        sms.fit_parameters("failed", {"ref": "x"})


def test_rate_windows_are_the_minute_hour_and_day_in_china_time():
    windows = sms.RateLimits.parse("1,5,10").windows(datetime(2024, 3, 21, 16, 30, 15, tzinfo=UTC))

    assert [(key, limit) for key, limit, _ in windows] == [("m202403220030", 1), ("h2024032200", 5), ("d20240322", 10)]
    assert windows[2][2] == datetime(2024, 3, 23, tzinfo=CN)


@pytest.mark.parametrize("text", ["1,5", "0,5,10", "a,b,c"])
def test_rate_limits_refuse_a_malformed_parameter(text):
    with pytest.raises(ValueError):
        sms.RateLimits.parse(text)


@pytest.mark.parametrize(
    "now,until",
    [
        (datetime(2024, 3, 21, 23, 0, tzinfo=CN), datetime(2024, 3, 22, 8, 0, tzinfo=CN)),
        (datetime(2024, 3, 22, 7, 59, tzinfo=CN), datetime(2024, 3, 22, 8, 0, tzinfo=CN)),
        (datetime(2024, 3, 22, 8, 0, tzinfo=CN), None),
        (datetime(2024, 3, 21, 21, 59, tzinfo=CN), None),
    ],
)
def test_quiet_hours_across_midnight_hold_until_the_morning(now, until):
    assert sms.QuietHours(time(22, 0), time(8, 0)).until(now) == until


def test_quiet_hours_within_a_day():
    quiet = sms.QuietHours(time(12, 0), time(14, 0))

    assert quiet.until(datetime(2024, 3, 21, 12, 30, tzinfo=CN)) == datetime(2024, 3, 21, 14, 0, tzinfo=CN)
    assert quiet.until(datetime(2024, 3, 21, 14, 30, tzinfo=CN)) is None


def test_a_throttled_sms_waits_longer_each_time_but_never_gives_up():
    assert [sms.throttle_wait(n) for n in (1, 2, 3, 50)] == [60, 300, 3600, 3600]
