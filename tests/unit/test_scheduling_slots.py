"""Slot search rules, one behaviour per test (DOMAIN.md section 3, seed §2.2 "Afspreeklocatie")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scheduling.domain.places import (
    AdvisorAvailability,
    Booking,
    ClientWindow,
    LeavePeriod,
    OffSiteBudget,
    Room,
    SchedulingInputError,
    Venue,
    WeeklyWindow,
)
from services.scheduling.domain.slots import (
    BookingIndex,
    DecisionKind,
    MeetingRequest,
    QuietRoomRequest,
    ReasonCode,
    SlotDecision,
    SlotSettings,
    find_quiet_room,
    find_slot,
    overlaps_with_buffer,
)
from shared.codes import MeetingMode

pytestmark = pytest.mark.unit

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = range(5)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def window(weekday: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(weekday, time.fromisoformat(start), time.fromisoformat(end))


def office_hours(
    start: str = "08:00", end: str = "18:00", days: range = WEEKDAYS
) -> tuple[WeeklyWindow, ...]:
    return tuple(window(day, start, end) for day in days)


def room(room_id: str, **overrides: object) -> Room:
    fields: dict[str, object] = {
        "building": "Turfmarkt 147",
        "location": "Den Haag",
        "discreet": True,
        "labelled_as_advisor_room": False,
        "capacity": 4,
        "bookable_hours": office_hours(),
        "quiet_room": False,
    }
    fields.update(overrides)
    return Room(room_id, **fields)  # type: ignore[arg-type]


ADVISOR = "advisor-7"
ADVISOR_NINE_TO_FIVE = AdvisorAvailability(ADVISOR, office_hours("09:00", "17:00"))
# Monday 2 June 2025, 07:00 in Amsterdam (summer time, UTC+2); with a 2 h lead the earliest is 09:00.
MONDAY_MORNING = local(2025, 6, 2, 7)
REQUEST = MeetingRequest(
    advisor_id=ADVISOR,
    organisation_id="org-bzk",
    client_location="Den Haag",
    client_building="Turfmarkt 147",
)
SETTINGS = SlotSettings()


def decide(
    rooms: list[Room],
    *,
    request: MeetingRequest = REQUEST,
    bookings: list[Booking] | None = None,
    availability: AdvisorAvailability = ADVISOR_NINE_TO_FIVE,
    client_windows: list[ClientWindow] | None = None,
    recent: list[Booking] | None = None,
    now: datetime = MONDAY_MORNING,
    venues: list[Venue] | None = None,
    budgets: list[OffSiteBudget] | None = None,
    slot_settings: SlotSettings = SETTINGS,
) -> SlotDecision:
    return find_slot(
        request,
        rooms,
        bookings or [],
        availability,
        client_windows or [],
        recent or [],
        now,
        slot_settings,
        venues=venues or [],
        budgets=budgets or [],
    )


def other_meeting(
    room_id: str | None, start: datetime, end: datetime, advisor_id: str = "advisor-3"
) -> Booking:
    return Booking(advisor_id=advisor_id, start_utc=start, end_utc=end, room_id=room_id)


# --- earliest slot and availability ------------------------------------------------------------


def test_an_empty_calendar_gives_the_first_grid_time_after_the_lead_time_in_a_discreet_room() -> None:
    decision = decide([room("stilte-3")])

    assert decision.kind == DecisionKind.ROOM
    assert decision.start_utc == local(2025, 6, 2, 9)
    assert decision.start_utc is not None and decision.start_utc.tzinfo == UTC
    assert decision.end_utc == local(2025, 6, 2, 10)
    assert decision.room_id == "stilte-3"
    assert decision.mode == MeetingMode.ON_SITE_DISCREET_ROOM
    assert decision.reason_code == ReasonCode.EARLIEST_DISCREET_ROOM
    assert decision.cost_cents == 0


def test_the_lead_time_is_rounded_up_to_the_grid() -> None:
    decision = decide([room("stilte-3")], now=local(2025, 6, 2, 9, 7))

    assert decision.start_utc == local(2025, 6, 2, 11, 15)


def test_the_meeting_length_and_grid_come_from_the_request_and_settings() -> None:
    request = replace(REQUEST, duration=timedelta(minutes=45))
    slot_settings = SlotSettings(grid=timedelta(minutes=30), lead_time=timedelta(hours=3, minutes=10))

    decision = decide([room("stilte-3")], request=request, slot_settings=slot_settings)

    assert decision.start_utc == local(2025, 6, 2, 10, 30)
    assert decision.end_utc == local(2025, 6, 2, 11, 15)


def test_the_advisor_is_only_booked_inside_their_weekly_window() -> None:
    wednesday_afternoon = AdvisorAvailability(ADVISOR, (window(WED, "13:00", "15:00"),))

    decision = decide([room("stilte-3")], availability=wednesday_afternoon)

    assert decision.start_utc == local(2025, 6, 4, 13)


def test_a_meeting_must_end_inside_the_advisor_window() -> None:
    short_window = AdvisorAvailability(
        ADVISOR, (window(MON, "09:00", "09:45"), window(TUE, "16:00", "17:00"))
    )

    decision = decide([room("stilte-3")], availability=short_window)

    assert decision.start_utc == local(2025, 6, 3, 16)


def test_the_client_window_is_honoured_whatever_zone_it_was_given_in() -> None:
    new_york = ZoneInfo("America/New_York")
    thursday_afternoon = ClientWindow(
        datetime(2025, 6, 5, 8, 30, tzinfo=new_york), datetime(2025, 6, 5, 10, 0, tzinfo=new_york)
    )

    decision = decide([room("stilte-3")], client_windows=[thursday_afternoon])

    assert thursday_afternoon.start_utc == utc(2025, 6, 5, 12, 30)
    assert decision.start_utc == local(2025, 6, 5, 14, 30)


def test_without_client_windows_the_advisor_window_decides() -> None:
    decision = decide([room("stilte-3")], client_windows=[])

    assert decision.start_utc == local(2025, 6, 2, 9)


def test_no_meeting_on_a_day_of_leave() -> None:
    on_leave_monday_tuesday = replace(
        ADVISOR_NINE_TO_FIVE, leave=(LeavePeriod(date(2025, 6, 2), date(2025, 6, 3)),)
    )

    decision = decide([room("stilte-3")], availability=on_leave_monday_tuesday)

    assert decision.start_utc == local(2025, 6, 4, 9)


def test_the_advisor_is_never_double_booked_even_by_a_phone_call() -> None:
    phone_call = other_meeting(None, local(2025, 6, 2, 9), local(2025, 6, 2, 10, 30), advisor_id=ADVISOR)

    decision = decide([room("stilte-3")], bookings=[phone_call])

    assert decision.start_utc == local(2025, 6, 2, 10, 30)


def test_a_booked_room_is_never_double_booked() -> None:
    busy_all_morning = other_meeting("stilte-3", local(2025, 6, 2, 8), local(2025, 6, 2, 12))

    decision = decide([room("stilte-3")], bookings=[busy_all_morning])

    assert decision.room_id == "stilte-3"
    assert decision.start_utc == local(2025, 6, 2, 12, 15)


def test_another_free_room_is_taken_rather_than_waiting() -> None:
    busy_all_morning = other_meeting("stilte-3", local(2025, 6, 2, 8), local(2025, 6, 2, 12))

    decision = decide([room("stilte-3"), room("stilte-4")], bookings=[busy_all_morning])

    assert (decision.room_id, decision.start_utc) == ("stilte-4", local(2025, 6, 2, 9))


def test_the_room_must_be_bookable_for_the_whole_meeting() -> None:
    afternoons_only = room("stilte-3", bookable_hours=office_hours("13:30", "18:00"))

    decision = decide([afternoons_only])

    assert decision.start_utc == local(2025, 6, 2, 13, 30)


# --- privacy buffer ----------------------------------------------------------------------------

CLIENT_MONDAY_LATE_MORNING = [ClientWindow(local(2025, 6, 2, 10), local(2025, 6, 2, 13))]


@pytest.mark.parametrize(
    ("previous_meeting_ends", "expected_start"),
    [
        (local(2025, 6, 2, 9, 50), local(2025, 6, 2, 10, 15)),  # 10 min gap refused
        (local(2025, 6, 2, 9, 45), local(2025, 6, 2, 10, 0)),  # 15 min gap is enough
    ],
)
def test_clients_of_consecutive_meetings_in_a_room_do_not_meet(
    previous_meeting_ends: datetime, expected_start: datetime
) -> None:
    previous = other_meeting("stilte-3", local(2025, 6, 2, 9), previous_meeting_ends)

    decision = decide([room("stilte-3")], bookings=[previous], client_windows=CLIENT_MONDAY_LATE_MORNING)

    assert decision.start_utc == expected_start


@pytest.mark.parametrize(
    ("next_meeting_starts", "expected_room"),
    [(local(2025, 6, 2, 11, 10), "stilte-4"), (local(2025, 6, 2, 11, 15), "stilte-3")],
)
def test_the_buffer_also_holds_before_the_next_meeting(
    next_meeting_starts: datetime, expected_room: str
) -> None:
    following = other_meeting("stilte-3", next_meeting_starts, local(2025, 6, 2, 12, 30))
    # stilte-3 sorts first (smaller), so it wins whenever it is allowed.
    rooms = [room("stilte-3", capacity=2), room("stilte-4", capacity=6)]
    client = [ClientWindow(local(2025, 6, 2, 10), local(2025, 6, 2, 11))]

    decision = decide(rooms, bookings=[following], client_windows=client)

    assert (decision.room_id, decision.start_utc) == (expected_room, local(2025, 6, 2, 10))


def test_the_buffer_applies_between_the_same_advisors_own_meetings_too() -> None:
    own_previous = other_meeting("stilte-3", local(2025, 6, 2, 9), local(2025, 6, 2, 10), advisor_id=ADVISOR)

    decision = decide([room("stilte-3")], bookings=[own_previous], client_windows=CLIENT_MONDAY_LATE_MORNING)

    assert decision.start_utc == local(2025, 6, 2, 10, 15)


@pytest.mark.parametrize(
    ("gap_minutes", "buffer_minutes", "expected"),
    [(10, 15, True), (15, 15, False), (0, 0, False), (-1, 0, True), (30, 15, False)],
)
def test_overlaps_with_buffer(gap_minutes: int, buffer_minutes: int, expected: bool) -> None:
    a_start, a_end = utc(2025, 6, 2, 8), utc(2025, 6, 2, 9)
    b_start = a_end + timedelta(minutes=gap_minutes)
    buffer = timedelta(minutes=buffer_minutes)

    assert overlaps_with_buffer(a_start, a_end, b_start, b_start + timedelta(hours=1), buffer) is expected
    assert overlaps_with_buffer(b_start, b_start + timedelta(hours=1), a_start, a_end, buffer) is expected


# --- which rooms are eligible ------------------------------------------------------------------


def test_glass_labelled_quiet_and_too_small_rooms_are_never_offered_to_a_client() -> None:
    unsuitable = [
        room("glazen-kubus", discreet=False),
        room("kamer-vertrouwenspersoon", labelled_as_advisor_room=True),
        room("belcel", quiet_room=True),
        room("eenpersoons", capacity=1),
    ]
    suitable_but_busy = other_meeting("stilte-3", local(2025, 6, 2, 8), local(2025, 6, 4, 12))

    decision = decide([*unsuitable, room("stilte-3")], bookings=[suitable_but_busy])

    assert (decision.room_id, decision.start_utc) == ("stilte-3", local(2025, 6, 4, 12, 15))


def test_only_unsuitable_rooms_means_no_room_at_all() -> None:
    decision = decide([room("glazen-kubus", discreet=False), room("bordje", labelled_as_advisor_room=True)])

    assert decision.kind == DecisionKind.REMOTE
    assert decision.room_id is None


def test_rooms_at_another_location_are_not_offered() -> None:
    decision = decide([room("utrecht-1", location="Utrecht", building="Croeselaan 15")])

    assert decision.kind == DecisionKind.REMOTE


def test_away_from_own_unit_takes_a_room_in_another_building() -> None:
    own_building = room("stilte-3", capacity=2)
    other_building = room("elders-1", building="Rijnstraat 50", capacity=8)
    away = replace(REQUEST, away_from_own_unit=True)

    assert decide([own_building, other_building]).room_id == "stilte-3"
    assert decide([own_building, other_building], request=away).room_id == "elders-1"


def test_away_from_own_unit_never_falls_back_to_the_own_building() -> None:
    other_building_busy = other_meeting("elders-1", local(2025, 6, 2, 8), local(2025, 6, 2, 15))
    rooms = [room("stilte-3"), room("elders-1", building="Rijnstraat 50")]

    decision = decide(
        rooms, request=replace(REQUEST, away_from_own_unit=True), bookings=[other_building_busy]
    )

    assert (decision.room_id, decision.start_utc) == ("elders-1", local(2025, 6, 2, 15, 15))


def test_away_from_own_unit_prefers_the_clients_location_at_equal_times() -> None:
    rooms = [
        room("utrecht-1", location="Utrecht", building="Croeselaan 15", capacity=2),
        room("elders-1", building="Rijnstraat 50", capacity=8),
    ]

    decision = decide(rooms, request=replace(REQUEST, away_from_own_unit=True))

    assert decision.room_id == "elders-1"


# --- no fixed consultation hour ----------------------------------------------------------------

TUESDAY_MORNING = local(2025, 6, 3, 7)
ADVISOR_TUESDAY_MORNINGS = AdvisorAvailability(ADVISOR, (window(TUE, "10:00", "12:00"),))
LAST_TUESDAY_ROOM_A = other_meeting(
    "kamer-a", local(2025, 5, 27, 10), local(2025, 5, 27, 11), advisor_id=ADVISOR
)


def test_the_room_weekday_and_hour_of_a_recent_meeting_are_not_repeated() -> None:
    decision = decide(
        [room("kamer-a"), room("kamer-b")],
        availability=ADVISOR_TUESDAY_MORNINGS,
        recent=[LAST_TUESDAY_ROOM_A],
        now=TUESDAY_MORNING,
    )

    assert (decision.room_id, decision.start_utc) == ("kamer-b", local(2025, 6, 3, 10))


def test_with_only_the_habitual_room_another_hour_is_chosen() -> None:
    decision = decide(
        [room("kamer-a")],
        availability=ADVISOR_TUESDAY_MORNINGS,
        recent=[LAST_TUESDAY_ROOM_A],
        now=TUESDAY_MORNING,
    )

    assert (decision.room_id, decision.start_utc) == ("kamer-a", local(2025, 6, 3, 11))


def test_a_habit_older_than_the_lookback_no_longer_counts() -> None:
    five_weeks_ago = other_meeting(
        "kamer-a", local(2025, 4, 29, 10), local(2025, 4, 29, 11), advisor_id=ADVISOR
    )

    decision = decide(
        [room("kamer-a")], availability=ADVISOR_TUESDAY_MORNINGS, recent=[five_weeks_ago], now=TUESDAY_MORNING
    )

    assert decision.start_utc == local(2025, 6, 3, 10)


def test_another_advisors_habit_is_not_this_advisors_habit() -> None:
    colleague = replace(LAST_TUESDAY_ROOM_A, advisor_id="advisor-3")

    decision = decide(
        [room("kamer-a")], availability=ADVISOR_TUESDAY_MORNINGS, recent=[colleague], now=TUESDAY_MORNING
    )

    assert decision.start_utc == local(2025, 6, 3, 10)


def test_already_planned_meetings_count_as_a_habit_so_no_weekly_series_forms() -> None:
    # Planned for next Tuesday 10:00 in kamer-a; this request can only fall on Tuesdays.
    planned = other_meeting("kamer-a", local(2025, 6, 10, 10), local(2025, 6, 10, 11), advisor_id=ADVISOR)
    only_tuesday_ten = AdvisorAvailability(ADVISOR, (window(TUE, "10:00", "11:00"),))

    decision = decide([room("kamer-a"), room("kamer-b")], availability=only_tuesday_ten, bookings=[planned])

    assert (decision.room_id, decision.start_utc) == ("kamer-b", local(2025, 6, 3, 10))


# --- venue, budget, remote ---------------------------------------------------------------------

VENUES = [
    Venue("lunchroom-plein", "Den Haag", 4_000, "org-bzk"),
    Venue("hotel-lobby", "Den Haag", 6_000, "org-bzk"),
    Venue("cafe-utrecht", "Utrecht", 1_000, "org-bzk"),
    Venue("cafe-other-org", "Den Haag", 500, "org-fin"),
]


def test_no_room_reserves_the_cheapest_venue_until_the_budget_is_spent_then_goes_remote() -> None:
    budget = OffSiteBudget("org-bzk", 2025, budget_cents=10_000, spent_cents=0)
    no_rooms: list[Room] = []

    kinds: list[tuple[DecisionKind, str | None, int]] = []
    for _ in range(3):
        decision = decide(no_rooms, venues=VENUES, budgets=[budget])
        kinds.append((decision.kind, decision.venue_id, decision.cost_cents))
        if decision.budget_reservation is not None:
            assert decision.budget_reservation.remaining_after_cents == budget.remaining_cents - 4_000
            budget = budget.after_spending(decision.budget_reservation.cost_cents)

    assert kinds == [
        (DecisionKind.VENUE, "lunchroom-plein", 4_000),
        (DecisionKind.VENUE, "lunchroom-plein", 4_000),
        (DecisionKind.REMOTE, None, 0),
    ]
    assert decision.reason_code == ReasonCode.NO_ROOM_BUDGET_EXHAUSTED
    assert decision.mode == MeetingMode.PHONE


def test_a_dearer_venue_is_taken_when_it_is_the_only_one_within_budget() -> None:
    budget = OffSiteBudget("org-bzk", 2025, budget_cents=10_000, spent_cents=4_500)
    venues = [
        Venue("hotel-lobby", "Den Haag", 5_000, "org-bzk"),
        Venue("restaurant", "Den Haag", 6_000, "org-bzk"),
    ]

    decision = decide([], venues=venues, budgets=[budget])

    assert (decision.kind, decision.venue_id, decision.mode) == (
        DecisionKind.VENUE,
        "hotel-lobby",
        MeetingMode.OFF_SITE_VENUE,
    )
    assert decision.reason_code == ReasonCode.NO_ROOM_VENUE_RESERVED
    assert decision.start_utc == local(2025, 6, 2, 9)


def test_a_budget_of_another_year_or_organisation_does_not_pay() -> None:
    budgets = [OffSiteBudget("org-bzk", 2024, 100_000), OffSiteBudget("org-fin", 2025, 100_000)]

    decision = decide([], venues=VENUES, budgets=budgets)

    assert (decision.kind, decision.reason_code) == (DecisionKind.REMOTE, ReasonCode.NO_ROOM_BUDGET_EXHAUSTED)


def test_no_venue_at_the_clients_location_goes_remote_by_video_if_the_client_prefers() -> None:
    request = replace(REQUEST, client_location="Zwolle", remote_fallback=MeetingMode.VIDEO)

    decision = decide([], request=request, venues=VENUES, budgets=[OffSiteBudget("org-bzk", 2025, 100_000)])

    assert (decision.kind, decision.mode, decision.reason_code) == (
        DecisionKind.REMOTE,
        MeetingMode.VIDEO,
        ReasonCode.NO_ROOM_NO_VENUE,
    )
    assert decision.start_utc == local(2025, 6, 2, 9)


def test_a_room_is_preferred_over_a_venue() -> None:
    decision = decide([room("stilte-3")], venues=VENUES, budgets=[OffSiteBudget("org-bzk", 2025, 100_000)])

    assert decision.kind == DecisionKind.ROOM


def test_a_client_who_prefers_off_site_gets_a_venue_and_else_a_room() -> None:
    request = replace(REQUEST, preference=MeetingMode.OFF_SITE_VENUE)
    budget = OffSiteBudget("org-bzk", 2025, 100_000)

    with_budget = decide([room("stilte-3")], request=request, venues=VENUES, budgets=[budget])
    without_budget = decide([room("stilte-3")], request=request, venues=VENUES, budgets=[])

    assert (with_budget.kind, with_budget.reason_code) == (
        DecisionKind.VENUE,
        ReasonCode.CLIENT_PREFERS_VENUE,
    )
    assert without_budget.kind == DecisionKind.ROOM


@pytest.mark.parametrize("mode", [MeetingMode.PHONE, MeetingMode.VIDEO])
def test_a_client_who_prefers_remote_needs_no_room_only_a_common_time(mode: MeetingMode) -> None:
    room_booked_all_week = other_meeting("stilte-3", local(2025, 6, 2, 8), local(2025, 6, 7, 8))
    client = [ClientWindow(local(2025, 6, 3, 15), local(2025, 6, 3, 17))]

    decision = decide(
        [room("stilte-3")],
        request=replace(REQUEST, preference=mode),
        bookings=[room_booked_all_week],
        client_windows=client,
    )

    assert (decision.kind, decision.mode, decision.room_id) == (DecisionKind.REMOTE, mode, None)
    assert decision.reason_code == ReasonCode.CLIENT_PREFERS_REMOTE
    assert (decision.start_utc, decision.end_utc) == (local(2025, 6, 3, 15), local(2025, 6, 3, 16))


# --- no slot -----------------------------------------------------------------------------------


def test_no_common_time_when_the_client_can_only_make_the_weekend() -> None:
    saturday = ClientWindow(local(2025, 6, 7, 10), local(2025, 6, 7, 16))

    decision = decide([room("stilte-3")], client_windows=[saturday])

    assert (decision.kind, decision.reason_code) == (DecisionKind.NO_SLOT, ReasonCode.NO_COMMON_TIME)
    assert decision.start_utc is None and decision.room_id is None


def test_no_common_time_when_the_client_window_is_shorter_than_the_meeting() -> None:
    too_short = ClientWindow(local(2025, 6, 3, 10), local(2025, 6, 3, 10, 45))

    decision = decide([room("stilte-3")], client_windows=[too_short])

    assert decision.reason_code == ReasonCode.NO_COMMON_TIME


def test_advisor_unavailable_when_on_leave_for_the_whole_horizon() -> None:
    long_leave = replace(ADVISOR_NINE_TO_FIVE, leave=(LeavePeriod(date(2025, 5, 1), date(2025, 9, 1)),))

    decision = decide([room("stilte-3")], availability=long_leave)

    assert (decision.kind, decision.reason_code) == (DecisionKind.NO_SLOT, ReasonCode.ADVISOR_UNAVAILABLE)


def test_advisor_unavailable_without_any_weekly_window() -> None:
    decision = decide([room("stilte-3")], availability=AdvisorAvailability(ADVISOR, ()))

    assert decision.reason_code == ReasonCode.ADVISOR_UNAVAILABLE


@pytest.mark.parametrize(
    "client_window",
    [
        ClientWindow(local(2025, 9, 1, 9), local(2025, 9, 1, 17)),  # beyond 60 days
        ClientWindow(local(2025, 6, 2, 7), local(2025, 6, 2, 8, 30)),  # before now + lead time
    ],
)
def test_outside_horizon_when_every_client_window_lies_outside_the_search(
    client_window: ClientWindow,
) -> None:
    decision = decide([room("stilte-3")], client_windows=[client_window])

    assert (decision.kind, decision.reason_code) == (DecisionKind.NO_SLOT, ReasonCode.OUTSIDE_HORIZON)


def test_a_shorter_horizon_is_respected() -> None:
    next_week = ClientWindow(local(2025, 6, 10, 9), local(2025, 6, 10, 17))

    decision = decide(
        [room("stilte-3")], client_windows=[next_week], slot_settings=SlotSettings(horizon=timedelta(days=7))
    )

    assert decision.reason_code == ReasonCode.OUTSIDE_HORIZON


# --- daylight saving time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected_start_utc"),
    [
        # Last Sunday of March 2025 is the 30th: 09:00 Amsterdam is 08:00Z before, 07:00Z after.
        (local(2025, 3, 27, 20), utc(2025, 3, 28, 8)),
        (local(2025, 3, 28, 17, 30), utc(2025, 3, 31, 7)),
        # Last Sunday of October 2025 is the 26th: 09:00 Amsterdam is 07:00Z before, 08:00Z after.
        (local(2025, 10, 23, 20), utc(2025, 10, 24, 7)),
        (local(2025, 10, 24, 17, 30), utc(2025, 10, 27, 8)),
    ],
)
def test_the_weekly_window_follows_daylight_saving_time(now: datetime, expected_start_utc: datetime) -> None:
    decision = decide([room("stilte-3")], now=now)

    assert decision.start_utc == expected_start_utc
    assert decision.end_utc == expected_start_utc + timedelta(hours=1)


@pytest.mark.parametrize(
    ("client_from_utc", "expected_start_utc"),
    [
        # Friday before the spring change: 17:00 Amsterdam is 16:00Z, so 15:00Z is the last start.
        (utc(2025, 3, 28, 15), utc(2025, 3, 28, 15)),
        # Monday after: 17:00 Amsterdam is 15:00Z; a 15:00Z start would run past the window.
        (utc(2025, 3, 31, 14), utc(2025, 3, 31, 14)),
    ],
)
def test_the_end_of_the_window_also_moves_with_daylight_saving(
    client_from_utc: datetime, expected_start_utc: datetime
) -> None:
    client = [ClientWindow(client_from_utc, client_from_utc + timedelta(hours=3))]

    decision = decide([room("stilte-3")], client_windows=client, now=local(2025, 3, 27, 20))

    assert decision.start_utc == expected_start_utc


def test_a_night_window_on_the_spring_change_holds_one_real_hour_less() -> None:
    # 01:30-03:30 on 30 March 2025 is only one real hour: 02:00-03:00 does not exist.
    night = AdvisorAvailability(ADVISOR, (window(SUN, "01:30", "03:30"),))
    all_night_room = room("stilte-3", bookable_hours=(window(SUN, "00:00", "06:00"),))

    decision = decide([all_night_room], availability=night, now=local(2025, 3, 29, 12))
    two_hours = decide(
        [all_night_room],
        availability=night,
        now=local(2025, 3, 29, 12),
        request=replace(REQUEST, duration=timedelta(minutes=90)),
    )

    assert (decision.start_utc, decision.end_utc) == (utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1, 30))
    assert two_hours.start_utc == utc(2025, 4, 5, 23, 30)  # next Sunday 01:30 summer time: 2 real hours again


# --- quiet room for the advisor alone ----------------------------------------------------------

QUIET = QuietRoomRequest(advisor_id=ADVISOR, location="Den Haag", duration=timedelta(minutes=30))


def test_a_quiet_room_is_found_for_the_advisor_alone() -> None:
    rooms = [room("stilte-3"), room("belcel", quiet_room=True, capacity=1)]

    decision = find_quiet_room(QUIET, rooms, [], ADVISOR_NINE_TO_FIVE, MONDAY_MORNING)

    assert (decision.kind, decision.room_id, decision.reason_code) == (
        DecisionKind.ROOM,
        "belcel",
        ReasonCode.QUIET_ROOM,
    )
    assert (decision.start_utc, decision.end_utc) == (local(2025, 6, 2, 9), local(2025, 6, 2, 9, 30))


def test_a_quiet_room_keeps_the_buffer_and_the_advisors_other_meetings() -> None:
    call_in_booth = other_meeting("belcel", local(2025, 6, 2, 9), local(2025, 6, 2, 9, 50))
    advisor_meeting = other_meeting(
        "stilte-3", local(2025, 6, 2, 10), local(2025, 6, 2, 11), advisor_id=ADVISOR
    )
    rooms = [room("belcel", quiet_room=True, capacity=1)]

    decision = find_quiet_room(
        QUIET, rooms, [call_in_booth, advisor_meeting], ADVISOR_NINE_TO_FIVE, MONDAY_MORNING
    )

    assert decision.start_utc == local(2025, 6, 2, 11)


def test_no_quiet_room_at_the_location() -> None:
    rooms = [room("stilte-3"), room("belcel-utrecht", quiet_room=True, location="Utrecht")]

    decision = find_quiet_room(QUIET, rooms, [], ADVISOR_NINE_TO_FIVE, MONDAY_MORNING)

    assert (decision.kind, decision.reason_code) == (DecisionKind.NO_SLOT, ReasonCode.NO_QUIET_ROOM)


def test_no_quiet_room_for_an_advisor_without_time() -> None:
    rooms = [room("belcel", quiet_room=True)]

    decision = find_quiet_room(QUIET, rooms, [], AdvisorAvailability(ADVISOR, ()), MONDAY_MORNING)

    assert decision.reason_code == ReasonCode.ADVISOR_UNAVAILABLE


# --- neutrality and inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "title"), [("nl", "Afspraak"), ("en", "Meeting"), ("fy", "Afspraak")])
def test_every_decision_carries_only_a_neutral_title(lang: str, title: str) -> None:
    request = replace(REQUEST, language=lang)

    assert decide([room("stilte-3")], request=request).neutral_title == title
    assert decide([], request=request).neutral_title == title


def test_a_prebuilt_index_gives_the_same_decision_as_a_list_of_bookings() -> None:
    bookings = [
        other_meeting("stilte-3", local(2025, 6, 2, 8), local(2025, 6, 2, 12)),
        other_meeting(None, local(2025, 6, 2, 12), local(2025, 6, 2, 13), advisor_id=ADVISOR),
    ]

    assert decide([room("stilte-3")], bookings=bookings) == find_slot(
        REQUEST, [room("stilte-3")], BookingIndex(bookings), ADVISOR_NINE_TO_FIVE, [], [], MONDAY_MORNING
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(SchedulingInputError):
        decide([room("stilte-3")], now=datetime(2025, 6, 2, 7))
    with pytest.raises(SchedulingInputError):
        ClientWindow(datetime(2025, 6, 2, 9), datetime(2025, 6, 2, 10))


def test_the_availability_of_another_advisor_is_refused() -> None:
    with pytest.raises(SchedulingInputError):
        decide([room("stilte-3")], availability=AdvisorAvailability("advisor-3", office_hours()))


@pytest.mark.parametrize(
    "make",
    [
        lambda: WeeklyWindow(7, time(9), time(10)),
        lambda: WeeklyWindow(MON, time(10), time(9)),
        lambda: LeavePeriod(date(2025, 6, 3), date(2025, 6, 2)),
        lambda: ClientWindow(utc(2025, 6, 2, 10), utc(2025, 6, 2, 10)),
        lambda: Booking("advisor-3", utc(2025, 6, 2, 10), utc(2025, 6, 2, 9)),
        lambda: MeetingRequest("a", "o", "l", "b", remote_fallback=MeetingMode.OFF_SITE_VENUE),
    ],
)
def test_malformed_inputs_are_refused(make: object) -> None:
    with pytest.raises(SchedulingInputError):
        make()  # type: ignore[operator]


# --- property: the answer is the earliest valid one (checked against a brute-force scan) --------

HOUR = timedelta(hours=1)
PROPERTY_SETTINGS = SlotSettings(horizon=timedelta(days=5))
PROPERTY_ROOMS = [
    room("a"),
    room("b", capacity=2),
    room("glass", discreet=False),
    room("own-sign", labelled_as_advisor_room=True),
    room("annex", building="Rijnstraat 50", bookable_hours=office_hours("12:00", "18:00")),
    room("utrecht", location="Utrecht"),
]


def _valid_room_at(
    candidate: Room,
    start: datetime,
    request: MeetingRequest,
    bookings: list[Booking],
    habits: set[tuple[str, int, int]],
) -> bool:
    end = start + HOUR
    local_start, local_end = start.astimezone(AMS), end.astimezone(AMS)
    place_ok = (
        (candidate.location, candidate.building) != (request.client_location, request.client_building)
        if request.away_from_own_unit
        else candidate.location == request.client_location
    )
    return (
        local_start.date() == local_end.date()
        and candidate.fits_client_meeting(request.attendees)
        and place_ok
        and any(
            w.weekday == local_start.weekday() and w.start <= local_start.time() and local_end.time() <= w.end
            for w in candidate.bookable_hours
        )
        and not any(
            b.room_id == candidate.room_id
            and overlaps_with_buffer(start, end, b.start_utc, b.end_utc, PROPERTY_SETTINGS.privacy_buffer)
            for b in bookings
        )
        and (candidate.room_id, local_start.weekday(), local_start.hour) not in habits
    )


def _advisor_free_at(start: datetime, bookings: list[Booking]) -> bool:
    end = start + HOUR
    local_start, local_end = start.astimezone(AMS), end.astimezone(AMS)
    return (
        local_start.date() == local_end.date()
        and local_start.weekday() < 5
        and time(9) <= local_start.time()
        and local_end.time() <= time(17)
        and not any(
            b.advisor_id == ADVISOR and overlaps_with_buffer(start, end, b.start_utc, b.end_utc, timedelta(0))
            for b in bookings
        )
    )


booking_strategy = st.builds(
    lambda room_id, advisor, day, quarter, quarters: Booking(
        advisor_id=advisor,
        start_utc=MONDAY_MORNING + timedelta(days=day, minutes=15 * quarter),
        end_utc=MONDAY_MORNING + timedelta(days=day, minutes=15 * (quarter + quarters)),
        room_id=room_id,
    ),
    st.sampled_from(["a", "b", "annex", "glass", None]),
    st.sampled_from([ADVISOR, "advisor-3"]),
    st.integers(0, 4),
    st.integers(0, 40),
    st.integers(1, 12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bookings=st.lists(booking_strategy, max_size=25),
    habit_hours=st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 4), st.integers(9, 16)), max_size=6
    ),
    away=st.booleans(),
)
def test_the_chosen_room_slot_is_valid_and_no_earlier_one_exists(
    bookings: list[Booking], habit_hours: list[tuple[str, int, int]], away: bool
) -> None:
    request = replace(REQUEST, away_from_own_unit=away)
    recent = [
        other_meeting(
            room_id, local(2025, 5, 26 + weekday, hour), local(2025, 5, 26 + weekday, hour) + HOUR, ADVISOR
        )
        for room_id, weekday, hour in habit_hours
    ]
    habits = {(r, wd, h) for r, wd, h in habit_hours} | {
        (b.room_id, b.start_utc.astimezone(AMS).weekday(), b.start_utc.astimezone(AMS).hour)
        for b in bookings
        if b.advisor_id == ADVISOR and b.room_id is not None
    }

    decision = decide(
        PROPERTY_ROOMS,
        request=request,
        bookings=bookings,
        recent=recent,
        slot_settings=PROPERTY_SETTINGS,
    )

    first_valid: datetime | None = None
    probe = local(2025, 6, 2, 9)
    while probe + HOUR <= MONDAY_MORNING + PROPERTY_SETTINGS.horizon:
        if _advisor_free_at(probe, bookings) and any(
            _valid_room_at(r, probe, request, bookings, habits) for r in PROPERTY_ROOMS
        ):
            first_valid = probe
            break
        probe += PROPERTY_SETTINGS.grid

    if first_valid is None:
        assert decision.kind != DecisionKind.ROOM
    else:
        assert decision.kind == DecisionKind.ROOM and decision.start_utc == first_valid
        chosen = next(r for r in PROPERTY_ROOMS if r.room_id == decision.room_id)
        assert _valid_room_at(chosen, first_valid, request, bookings, habits)
