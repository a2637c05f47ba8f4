"""The one token policy (shared/auth.py TOKEN_POLICY): lifetimes, clock skew, and the moment judged.

A command on advisor.actions.v1 is judged when it was published (its record's broker timestamp),
not when a service processes it: a queue delay does not expire it, a late publication does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseflow.cli import main
from shared.auth import (
    TOKEN_POLICY,
    AdvisorKey,
    AuthError,
    authorize_command,
    issue_token,
    peek_claims,
    private_key_to_pem,
    verify_command,
)
from shared.contracts.advisor_actions import AcceptCase

pytestmark = pytest.mark.unit

PUBLISHED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANNE = Ed25519PrivateKey.generate()
KEYS = [AdvisorKey("adv-anne", ANNE.public_key(), PUBLISHED - timedelta(days=30), None)]


def accept(signed_at: datetime) -> AcceptCase:
    command = AcceptCase(advisor_id="adv-anne", auth="", issued_at=signed_at, case_id="case-1")
    return authorize_command(ANNE, command, now=signed_at)  # the default 5-minute token


def refusal(command: AcceptCase, *, now: datetime, published_at: datetime | None) -> str | None:
    try:
        verify_command(command, lambda _advisor: KEYS, now=now, published_at=published_at)
    except AuthError as exc:
        return exc.reason
    return None


def test_a_command_valid_when_published_is_honoured_an_hour_later() -> None:
    command = accept(signed_at=PUBLISHED)
    an_hour_later = PUBLISHED + timedelta(hours=1)
    assert refusal(command, now=an_hour_later, published_at=PUBLISHED + timedelta(seconds=3)) is None
    # The same command judged by the time of processing would be refused: that is what changed.
    assert refusal(command, now=an_hour_later, published_at=None) == "token_expired"


def test_a_command_published_after_its_token_expired_is_refused_at_once() -> None:
    command = accept(signed_at=PUBLISHED - timedelta(minutes=20))
    assert refusal(command, now=PUBLISHED, published_at=PUBLISHED) == "token_expired"


def test_the_clock_skew_is_the_only_grace_after_expiry() -> None:
    command = accept(signed_at=PUBLISHED)
    expiry = PUBLISHED + TOKEN_POLICY.default_ttl
    later = expiry + timedelta(hours=2)
    assert refusal(command, now=later, published_at=expiry + timedelta(seconds=29)) is None
    assert refusal(command, now=later, published_at=expiry + TOKEN_POLICY.clock_skew) == "token_expired"


def test_a_record_stamped_in_the_future_is_judged_at_the_services_clock() -> None:
    signed_ahead = accept(signed_at=PUBLISHED + timedelta(minutes=10))
    assert (
        refusal(signed_ahead, now=PUBLISHED, published_at=PUBLISHED + timedelta(minutes=10))
        == "token_not_yet_valid"
    )
    assert TOKEN_POLICY.judged_at(PUBLISHED, PUBLISHED + timedelta(days=1)) == PUBLISHED


def test_a_record_stamped_far_back_is_judged_no_earlier_than_the_queue_bound() -> None:
    """A producer may set a record's timestamp (CreateTime topics): beyond max_queue_delay it gains
    nothing, the command counts as published max_queue_delay ago and its short token has expired."""
    old = PUBLISHED - timedelta(days=30)
    command = accept(signed_at=old)
    assert refusal(command, now=PUBLISHED, published_at=old) == "token_expired"
    bound = PUBLISHED - TOKEN_POLICY.max_queue_delay
    assert TOKEN_POLICY.judged_at(PUBLISHED, old) == bound
    assert TOKEN_POLICY.judged_at(PUBLISHED, None) == PUBLISHED


def test_used_token_ids_are_kept_as_long_as_a_command_could_still_be_judged_valid() -> None:
    assert TOKEN_POLICY.replay_window >= TOKEN_POLICY.max_queue_delay + TOKEN_POLICY.clock_skew


@pytest.mark.parametrize("ttl", [timedelta(hours=1), TOKEN_POLICY.max_lifetime + timedelta(seconds=1)])
def test_no_token_is_issued_that_services_refuse(ttl: timedelta) -> None:
    with pytest.raises(AuthError) as caught:
        issue_token(
            ANNE, advisor_id="adv-anne", action="AcceptCase", case_id="c", digest="d", now=PUBLISHED, ttl=ttl
        )
    assert caught.value.reason == "token_lifetime_too_long"


def test_the_longest_token_issued_is_one_services_accept() -> None:
    command = AcceptCase(advisor_id="adv-anne", auth="", issued_at=PUBLISHED, case_id="case-1")
    longest = authorize_command(ANNE, command, now=PUBLISHED, ttl=TOKEN_POLICY.max_lifetime)
    assert refusal(longest, now=PUBLISHED + timedelta(minutes=14), published_at=None) is None


def test_a_token_of_no_lifetime_is_not_issued() -> None:
    with pytest.raises(AuthError) as caught:
        issue_token(
            ANNE,
            advisor_id="a",
            action="AcceptCase",
            case_id="c",
            digest="d",
            now=PUBLISHED,
            ttl=timedelta(0),
        )
    assert caught.value.reason == "token_lifetime_too_short"


class TestTheCliRefusesWhatServicesRefuse:
    def _issue(self, tmp_path: object, ttl: int) -> int:
        key_file = f"{tmp_path}/anne.pem"
        with open(key_file, "wb") as handle:
            handle.write(private_key_to_pem(ANNE))
        argv = ["token", "issue", "--advisor", "adv-anne", "--key-file", key_file]
        return main(
            [*argv, "--action", "AcceptCase", "--case", "case-1", "--output", "token", "--ttl", str(ttl)]
        )

    def test_an_hour_long_token_is_refused_with_a_clear_message(
        self, tmp_path: object, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert self._issue(tmp_path, 3600) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert "--ttl 3600" in err and "900 seconds" in err and "1..900" in err

    def test_the_longest_allowed_token_is_issued(
        self, tmp_path: object, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert self._issue(tmp_path, 900) == 0
        claims = peek_claims(capsys.readouterr().out.strip())
        assert claims.expires_at - claims.issued_at == timedelta(seconds=900)
