"""Business time: when a desk is open, and how much open time lies between two moments.

Opening hours are local wall-clock hours in the calendar's IANA zone, so a 09:00-17:00 day is eight
hours on the days the clocks change too, while a night shift that spans the change is an hour shorter
or longer. Every moment that goes in must be timezone-aware; every moment that comes out is UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postdesk.errors import ConfigurationError

Interval = tuple[time, time]
"""Opening and closing wall time; a closing time of ``time(0, 0)`` is the midnight that ends the day."""

MIDNIGHT = time(0, 0)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Deadlines are hours or weeks away: a calendar with no open time in three years is broken, and
# searching on would only hide that (or, for one that is never open, loop forever).
SEARCH_LIMIT_DAYS = 3 * 366

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONFIG_KEYS = ("closed", "holidays", "hours", "timezone")


class InvalidCalendar(ConfigurationError):
    """A business calendar is configured wrongly, or has no open time to measure with."""


# Builds the error for one malformed value of the opening hours, naming the key and the value.
_Problem = Callable[[str], InvalidCalendar]


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a desk is open: weekly hours in local wall time, less public holidays and own closed days.

    Constructing one validates it and raises InvalidCalendar when the zone, the hours or the holiday
    region is wrong. Intervals are half-open: the desk is open at its opening time, closed at its closing.
    """

    timezone: str  # IANA name, e.g. "Europe/Berlin"
    # Weekday (0 = Monday .. 6 = Sunday) -> sorted, non-overlapping local intervals; a missing day is closed.
    # Left out of the hash (a dict has none), so that calendars can still key caches.
    weekly_hours: Mapping[int, tuple[Interval, ...]] = field(hash=False)
    holiday_country: str | None = None  # ISO code for the `holidays` package, e.g. "DE"
    holiday_subdivision: str | None = None  # e.g. "BY"
    closed_days: frozenset[date] = frozenset()  # the desk's own closed days, as local dates

    def __post_init__(self) -> None:
        _check_zone(self.timezone)
        # Copies: a calendar is a value, and the caller's dict may be edited later. (A plain dict rather
        # than a read-only proxy, which could be neither pickled nor deep-copied.)
        object.__setattr__(self, "weekly_hours", _checked_weekly_hours(self.weekly_hours))
        object.__setattr__(self, "closed_days", _checked_closed_days(self.closed_days))
        if self.holiday_country is None:
            if self.holiday_subdivision is not None:
                raise InvalidCalendar(
                    f"holiday subdivision {self.holiday_subdivision!r} given without a holiday country"
                )
        else:
            _check_holiday_region(self.holiday_country, self.holiday_subdivision)

    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        # ZoneInfo keeps one instance per key, so this costs a dictionary lookup.
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        """Whether the local date is a public holiday of the calendar's region or one of its closed days."""
        _require_date(day)
        if day in self.closed_days:
            return True
        if self.holiday_country is None:
            return False
        return day in _public_holidays(self.holiday_country, self.holiday_subdivision, day.year)

    def is_open(self, moment: datetime) -> bool:
        """Whether the desk is open at that (aware) moment."""
        moment = _utc(moment, "moment")
        local_day = moment.astimezone(self.zone()).date()
        # The next day too: a clock set back across midnight would show a date again after that date's
        # hours have ended. No earlier day's hours reach past the moment's own midnight.
        return any(
            opens <= moment < closes
            for day in (local_day, local_day + _ONE_DAY)
            for opens, closes in self.open_intervals(day)
        )

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local date's open intervals as (opening, closing) UTC datetimes, in order; [] when closed.

        Wall times the clock shows twice (autumn) mean their first showing; wall times it skips (spring)
        mean the moment it skips them, so an interval inside the skipped hour is dropped.
        """
        _require_date(day)
        hours = self.weekly_hours.get(day.weekday(), ())
        if not hours or self.is_holiday(day):
            return []
        zone = self.zone()
        intervals = []
        for opening, closing in hours:
            opens = _wall_to_utc(datetime.combine(day, opening), zone)
            closes = _wall_to_utc(
                datetime.combine(day + _ONE_DAY if closing == MIDNIGHT else day, closing), zone
            )
            if opens < closes:
                intervals.append((opens, closes))
        return intervals

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The UTC moment at which `duration` of business time has passed since the aware `start`.

        Counting begins at `start` when the desk is open then, else at its next opening; a duration that
        ends exactly at a closing time gives that closing time. A zero duration gives `start` (as UTC).
        Raises ValueError for a negative duration, InvalidCalendar when the desk is never open.
        """
        start = _utc(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"a business-time duration cannot be negative, got {duration!r}")
        if not duration:
            return start
        remaining = duration
        for opens, closes in self._intervals_after(start, give_up=True):
            begins = max(opens, start)
            if remaining <= closes - begins:
                return begins + remaining
            remaining -= closes - begins
        # _intervals_after yields without end, or raises.
        raise AssertionError("unreachable")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The business time that passes from the aware `start` to the aware `end`; zero when end <= start."""
        start, end = _utc(start, "start"), _utc(end, "end")
        elapsed = timedelta(0)
        if end <= start or not any(self.weekly_hours.values()):
            return elapsed
        for opens, closes in self._intervals_after(start, give_up=False):
            if opens >= end:
                break
            elapsed += min(closes, end) - max(opens, start)
        return elapsed

    def next_open(self, moment: datetime) -> datetime:
        """The aware `moment` itself (as UTC) when the desk is open then, else its next opening time (UTC).

        Raises InvalidCalendar when the desk is never open.
        """
        moment = _utc(moment, "moment")
        opens, _ = next(self._intervals_after(moment, give_up=True))
        return max(opens, moment)

    def _intervals_after(self, moment: datetime, *, give_up: bool) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after `moment`, in time order, one local day at a time.

        With `give_up`, raises InvalidCalendar instead of searching past SEARCH_LIMIT_DAYS closed days.
        """
        if give_up and not any(self.weekly_hours.values()):
            raise InvalidCalendar("the calendar is never open")
        # A day's intervals lie between its midnight and the next, so none before the moment's local
        # date can reach past the moment.
        day = moment.astimezone(self.zone()).date()
        closed_in_a_row = 0
        while True:
            intervals = [interval for interval in self.open_intervals(day) if interval[1] > moment]
            if intervals:
                closed_in_a_row = 0
                yield from intervals
            else:
                closed_in_a_row += 1
                if give_up and closed_in_a_row > SEARCH_LIMIT_DAYS:
                    raise InvalidCalendar(
                        f"the calendar is never open: no open time in the {SEARCH_LIMIT_DAYS} days "
                        f"before {day.isoformat()}"
                    )
            day += _ONE_DAY


def always_open(timezone: str = "UTC") -> BusinessCalendar:
    """A calendar open around the clock on every day of the year (24x7, no holidays) in `timezone`."""
    return BusinessCalendar(timezone=timezone, weekly_hours=dict.fromkeys(range(7), ((MIDNIGHT, MIDNIGHT),)))


def parse_weekly_hours(spec: Mapping[str, str]) -> dict[int, tuple[Interval, ...]]:
    """Weekly hours from configuration text such as ``{"mon": "09:00-12:00, 13:00-17:00", "sun": "closed"}``.

    Keys are mon..sun (any case); a value is comma-separated HH:MM-HH:MM intervals, 24:00 ending a day
    at midnight; "" or "closed" means closed, as does a missing day. The result maps weekday numbers
    (0 = Monday) to sorted intervals and leaves closed days out. Raises InvalidCalendar naming the key
    and the value for an unknown or repeated day, a malformed time, an interval that does not end after
    it starts, or intervals that overlap.
    """
    return _parse_weekly_hours(spec.items())


def calendar_from_config(config: Mapping[str, object]) -> BusinessCalendar:
    """A validated calendar from configuration such as the following.

    ``{"timezone": "Europe/Berlin", "hours": {"mon": "09:00-17:00", ...}, "holidays": "DE-BY",
    "closed": ["2026-12-24"]}``: "timezone" (IANA) and "hours" (as for parse_weekly_hours) are required;
    "holidays" is a country code for the `holidays` package with an optional "-SUBDIVISION", or ""
    for none; "closed" lists the desk's own closed days as YYYY-MM-DD (or dates, as TOML gives them).
    Raises InvalidCalendar for unknown or missing settings, an unknown zone or holiday region, bad
    hours and bad dates.
    """
    unknown = sorted(str(key) for key in config if key not in _CONFIG_KEYS)
    if unknown:
        raise InvalidCalendar(
            f"unknown calendar setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(_CONFIG_KEYS)}"
        )
    for required in ("timezone", "hours"):
        if required not in config:
            raise InvalidCalendar(f"the calendar setting {required!r} is missing")
    timezone = config["timezone"]
    if not isinstance(timezone, str):
        raise InvalidCalendar(f"timezone must be an IANA name such as 'Europe/Berlin', got {timezone!r}")
    hours = config["hours"]
    if not isinstance(hours, Mapping):
        raise InvalidCalendar(f"hours must map days (mon..sun) to opening hours, got {hours!r}")
    country, subdivision = _parse_holiday_region(config.get("holidays"))
    return BusinessCalendar(
        timezone=timezone,
        weekly_hours=_parse_weekly_hours(hours.items()),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed_days=_parse_closed_days(config.get("closed", [])),
    )


def _utc(moment: datetime, name: str) -> datetime:
    # Arithmetic on datetimes of one zone is wall-clock arithmetic, so all of it happens in UTC.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive {moment!r}")
    return moment.astimezone(UTC)


def _require_date(day: date) -> None:
    # A datetime is a date too, but never equal to one: as a holiday key it would silently miss.
    if isinstance(day, datetime):
        raise TypeError(f"expected a local date, got the datetime {day!r}")


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment at which a clock in `zone` first shows the naive `wall`, or skips past it."""
    # fold=0: of the two moments an autumn clock shows this wall time, the first.
    moment = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment
    # The clock jumps over `wall`. Read with the offset after the jump it is a moment before the jump,
    # read with the offset before (fold=0, above) one after it; zone transitions fall on whole seconds,
    # so bisect the whole seconds in between for the first one whose wall time is past `wall`.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = (min(before, moment) - _EPOCH) // _ONE_SECOND
    high = -((_EPOCH - max(before, moment)) // _ONE_SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        if (_EPOCH + middle * _ONE_SECOND).astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return _EPOCH + high * _ONE_SECOND


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as error:
        # ValueError and OSError: keys that are paths or folders ("../x", "Europe") rather than zones.
        raise InvalidCalendar(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'"
        ) from error


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


def _checked_weekly_hours(hours: Mapping[int, tuple[Interval, ...]]) -> dict[int, tuple[Interval, ...]]:
    checked: dict[int, tuple[Interval, ...]] = {}
    for weekday, intervals in hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidCalendar(
                f"weekly hours: {weekday!r} is not a weekday number (0 = Monday .. 6 = Sunday)"
            )
        day: list[Interval] = []
        previous_end = timedelta(0)
        for interval in intervals:
            if not isinstance(interval, tuple) or len(interval) != 2:
                raise InvalidCalendar(
                    f"weekly hours of day {weekday}: {interval!r} is not an (opening, closing) pair"
                )
            opening, closing = interval
            if (
                not (isinstance(opening, time) and isinstance(closing, time))
                or opening.tzinfo
                or closing.tzinfo
            ):
                raise InvalidCalendar(
                    f"weekly hours of day {weekday}: {interval!r} is not a pair of local times"
                )
            start = _since_midnight(opening)
            end = _ONE_DAY if closing == MIDNIGHT else _since_midnight(closing)
            if end <= start:
                raise InvalidCalendar(
                    f"weekly hours of day {weekday}: {interval!r} does not end after it starts"
                )
            if start < previous_end:
                raise InvalidCalendar(
                    f"weekly hours of day {weekday}: {interval!r} overlaps or precedes the interval before it"
                )
            previous_end = end
            day.append((opening, closing))
        checked[weekday] = tuple(day)
    return checked


def _checked_closed_days(days: Iterable[date]) -> frozenset[date]:
    checked = frozenset(days)
    for day in checked:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InvalidCalendar(f"closed days must be dates, got {day!r}")
    return checked


@lru_cache(maxsize=64)
def _check_holiday_region(country: str, subdivision: str | None) -> None:
    # Imported here: the package is large, and only calendars with holidays need it.
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as error:
        region = country if subdivision is None else f"{country}-{subdivision}"
        raise InvalidCalendar(f"no public holidays are known for {region!r}: {error}") from error


@lru_cache(maxsize=1024)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The region's public holidays in one year, built on first use and then kept."""
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(day for day in table if day.year == year)


def _parse_weekly_hours(items: Iterable[tuple[object, object]]) -> dict[int, tuple[Interval, ...]]:
    # Takes `object`s: configuration arrives from JSON or TOML, whatever the annotations say.
    weekly: dict[int, tuple[Interval, ...]] = {}
    seen: set[int] = set()
    for key, value in items:
        name = key.strip().lower() if isinstance(key, str) else None
        if name not in DAY_NAMES:
            raise InvalidCalendar(f"opening hours: unknown day {key!r}; use {', '.join(DAY_NAMES)}")
        weekday = DAY_NAMES.index(name)
        if weekday in seen:
            raise InvalidCalendar(f"opening hours: the day {key!r} is given twice")
        seen.add(weekday)
        if not isinstance(value, str):
            raise InvalidCalendar(f"opening hours for {key!r}: {value!r} is not text like '09:00-17:00'")
        intervals = _parse_day(key, value)
        if intervals:
            weekly[weekday] = intervals
    return weekly


def _parse_day(key: object, value: str) -> tuple[Interval, ...]:
    def invalid(problem: str) -> InvalidCalendar:
        return InvalidCalendar(f"opening hours for {key!r} ({value!r}): {problem}")

    if value.strip().lower() in ("", "closed"):
        return ()
    spans: list[tuple[int, int, str]] = []
    for part in value.split(","):
        piece = part.strip()
        opening, dash, closing = piece.partition("-")
        if not dash:
            raise invalid(f"{piece!r} is not an interval like 09:00-17:00")
        start, end = _minutes(opening.strip(), invalid), _minutes(closing.strip(), invalid)
        if start == 24 * 60:
            raise invalid(f"{piece!r} opens at 24:00; a day's hours open at 23:59 at the latest")
        if end <= start:
            raise invalid(f"{piece!r} does not end after it starts (write 24:00 for midnight)")
        spans.append((start, end, piece))
    spans.sort()
    for (_, earlier_end, earlier), (later_start, _, later) in pairwise(spans):
        if later_start < earlier_end:
            raise invalid(f"{earlier!r} and {later!r} overlap")
    return tuple((_time(start), _time(end)) for start, end, _ in spans)


def _minutes(text: str, invalid: _Problem) -> int:
    match = _CLOCK.fullmatch(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59) and (hour, minute) != (24, 0):
        raise invalid(f"{text!r} is not a time of day (HH:MM from 00:00 to 24:00)")
    return hour * 60 + minute


def _time(minutes: int) -> time:
    # 24:00 comes back as time(0, 0), which as a closing time means midnight.
    return time(minutes // 60 % 24, minutes % 60)


def _parse_holiday_region(value: object) -> tuple[str | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        raise InvalidCalendar(f"holidays must be a country code such as 'DE' or 'DE-BY', got {value!r}")
    country, dash, subdivision = value.strip().partition("-")
    if not country or (dash and not subdivision):
        raise InvalidCalendar(f"holidays {value!r} is not a country code such as 'DE' or 'DE-BY'")
    return country, subdivision or None


def _parse_closed_days(value: object) -> frozenset[date]:
    if not isinstance(value, list | tuple):
        raise InvalidCalendar(f"closed must be a list of dates (YYYY-MM-DD), got {value!r}")
    days: set[date] = set()
    for item in value:
        day = _closed_day(item)
        if day is None:
            raise InvalidCalendar(f"closed day {item!r} is not a date (YYYY-MM-DD)")
        days.add(day)
    return frozenset(days)


def _closed_day(item: object) -> date | None:
    # Dates as such too: TOML has a date type of its own.
    if isinstance(item, date):
        return None if isinstance(item, datetime) else item
    # Only YYYY-MM-DD: fromisoformat alone would also take "20261224" and week dates like "2026-W52-4".
    if not (isinstance(item, str) and _ISO_DATE.fullmatch(item.strip())):
        return None
    try:
        return date.fromisoformat(item.strip())
    except ValueError:  # a day the month does not have
        return None
