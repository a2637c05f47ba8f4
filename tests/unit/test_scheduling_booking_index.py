"""BookingIndex.with_booking: growing a cached index one booking at a time equals building it anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduling.domain.places import Booking
from services.scheduling.domain.slots import BookingIndex

pytestmark = pytest.mark.unit

MONDAY = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

bookings = st.builds(
    lambda advisor, room, start_quarters, length_quarters: Booking(
        advisor_id=advisor,
        start_utc=MONDAY + timedelta(minutes=15 * start_quarters),
        end_utc=MONDAY + timedelta(minutes=15 * (start_quarters + length_quarters)),
        room_id=room,
    ),
    st.sampled_from(["adv-1", "adv-2", "adv-3"]),
    st.sampled_from([None, "kamer-a", "kamer-b"]),
    st.integers(0, 200),
    st.integers(1, 12),
)


def snapshot(index: BookingIndex) -> tuple[object, ...]:
    rooms = {room: index.room_busy(room).intervals() for room in ("kamer-a", "kamer-b", "kamer-z")}
    advisors = {advisor: index.advisor_busy(advisor).intervals() for advisor in ("adv-1", "adv-2", "adv-3")}
    starts = {advisor: sorted(index.advisor_room_starts(advisor)) for advisor in ("adv-1", "adv-2", "adv-3")}
    return rooms, advisors, starts


@settings(max_examples=200, deadline=None)
@given(first=st.lists(bookings, max_size=15), later=st.lists(bookings, max_size=10))
def test_adding_bookings_one_by_one_equals_building_the_index_from_all(
    first: list[Booking], later: list[Booking]
) -> None:
    grown = BookingIndex(first)
    for booking in later:
        grown = grown.with_booking(booking)

    assert snapshot(grown) == snapshot(BookingIndex([*first, *later]))


def test_the_original_index_is_left_unchanged() -> None:
    original = BookingIndex([])
    original.with_booking(Booking("adv-1", MONDAY, MONDAY + timedelta(hours=1), room_id="kamer-a"))

    assert original.room_busy("kamer-a").intervals() == []
    assert original.advisor_busy("adv-1").intervals() == []
