"""The client's follow-up page (/vervolg): the dialogue's use cases behind plain HTML forms.

The receipt code travels only in POST bodies: no page sets a cookie, no URL or form action holds
the code, every page is no-store. Wrong codes count towards the same guess limits as the API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from services.intake.adapters.rendering.web_form_pages import render_received
from tests.support.follow_up import (
    advisor_replies,
    assign_and_accept,
    client_of,
    close_case,
    open_case,
)
from tests.support.in_process import InProcess

pytestmark = pytest.mark.handlers


@pytest.fixture
async def client(intake: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(intake) as client:
        yield client


def plain(page: httpx.Response) -> str:
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "set-cookie" not in page.headers
    return page.text


def code_outside_bodies(page: str, code: str) -> list[str]:
    """Where the code shows on a page other than in a hidden field of a form."""
    hidden = f'<input type="hidden" name="code" value="{code}">'
    return [m.group(0) for m in re.finditer(re.escape(code), page.replace(hidden, ""))]


async def test_the_entry_page_asks_for_the_code_and_sets_no_cookie(client: httpx.AsyncClient) -> None:
    page = plain(await client.get("/vervolg"))
    assert 'action="/vervolg?lang=nl"' in page and 'name="code"' in page and "Ontvangstcode" in page
    english = plain(await client.get("/vervolg?lang=en"))
    assert "Receipt code" in english and 'lang="en"' in english


async def test_the_client_reads_the_advisors_answer_with_the_code_typed_loosely(
    intake: InProcess, client: httpx.AsyncClient
) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    await advisor_replies(client, case_id, "Goed dat u schrijft. <b>Bellen</b> we dinsdag?")
    typed = " " + code.lower().replace("-", " - ") + " "
    page = plain(await client.post("/vervolg", data={"code": typed}))
    assert "Een vertrouwenspersoon heeft uw melding in behandeling." in page
    assert "Goed dat u schrijft. &lt;b&gt;Bellen&lt;/b&gt; we dinsdag?" in page  # escaped
    assert "adv-anna" not in page and case_id not in page
    assert code_outside_bodies(page, code) == [] and f'value="{code}"' in page


async def test_a_reply_is_stored_through_the_dialogue_and_shown(client: httpx.AsyncClient) -> None:
    _case_id, code = await open_case(client)
    page = plain(
        await client.post("/vervolg/bericht", data={"code": code, "text": "Mag ik anoniem blijven?"})
    )
    assert "Uw bericht is verstuurd." in page and "Mag ik anoniem blijven?" in page
    assert code_outside_bodies(page, code) == []
    thread = (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).json()
    assert [(m["author"], m["text"]) for m in thread["messages"]] == [("client", "Mag ik anoniem blijven?")]


async def test_a_reply_form_sent_twice_posts_one_message(client: httpx.AsyncClient) -> None:
    _case_id, code = await open_case(client)
    opened = (await client.post("/vervolg", data={"code": code})).text
    key = re.search(r'name="resend_key" value="([^"]+)"', opened)
    assert key is not None
    form = {"code": code, "text": "Nog één ding.", "resend_key": key.group(1)}
    first, reloaded = [plain(await client.post("/vervolg/bericht", data=form)) for _ in range(2)]
    assert "Uw bericht is verstuurd." in reloaded
    assert re.search(r'name="resend_key" value="([^"]+)"', first).group(1) != key.group(1)  # type: ignore[union-attr]
    thread = (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).json()
    assert [m["text"] for m in thread["messages"]] == ["Nog één ding."]


async def test_a_closed_case_shows_so_takes_no_reply_and_keeps_the_text(
    intake: InProcess, client: httpx.AsyncClient
) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    stale = (await client.post("/vervolg", data={"code": code})).text
    assert 'id="reply"' in stale
    await close_case(intake, case_id)
    page = plain(await client.post("/vervolg", data={"code": code}))
    assert "Uw melding is afgesloten." in page and 'id="reply"' not in page and 'name="rating"' in page
    late = plain(await client.post("/vervolg/bericht", data={"code": code, "text": "Nog een vraag."}))
    assert "Uw bericht is niet verstuurd." in late and "Nog een vraag." in late  # kept, not sent


async def test_an_empty_reply_is_refused_in_words_and_stores_nothing(client: httpx.AsyncClient) -> None:
    _case_id, code = await open_case(client)
    page = plain(await client.post("/vervolg/bericht?lang=en", data={"code": code, "text": "   "}))
    assert "Write a message first" in page
    thread = (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).json()
    assert thread["messages"] == []


async def test_the_client_rates_the_help_once(intake: InProcess, client: httpx.AsyncClient) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    before = plain(await client.post("/vervolg", data={"code": code}))
    assert 'name="rating" value="5"' in before
    first = plain(await client.post("/vervolg/beoordeling", data={"code": code, "rating": "4"}))
    assert "Dank u wel voor uw oordeel." in first and 'name="rating"' not in first
    again = plain(await client.post("/vervolg/beoordeling", data={"code": code, "rating": "5"}))
    assert "U heeft de hulp al beoordeeld." in again
    rated = [v for _k, v in intake.bus.topics["intake.cases.v1"] if b'"ClientFeedbackGiven"' in v]
    assert len(rated) == 1 and b'"rating":4' in rated[0]


async def test_a_rating_out_of_range_is_refused_in_words(
    intake: InProcess, client: httpx.AsyncClient
) -> None:
    case_id, code = await open_case(client)
    await assign_and_accept(intake, case_id)
    page = plain(await client.post("/vervolg/beoordeling", data={"code": code, "rating": "9"}))
    assert "Kies eerst een oordeel." in page and 'name="rating"' in page


async def test_erasure_asks_first_and_then_the_code_stops_working(client: httpx.AsyncClient) -> None:
    _case_id, code = await open_case(client)
    asked = plain(await client.post("/vervolg/wissen", data={"code": code}))
    assert "Weet u het zeker?" in asked and 'action="/vervolg/wissen/bevestigd?lang=nl"' in asked
    assert (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).status_code == 200
    done = plain(await client.post("/vervolg/wissen/bevestigd", data={"code": code}))
    assert "Uw gegevens zijn gewist" in done
    assert (await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": code})).status_code == 404
    again = await client.post("/vervolg", data={"code": code})
    assert again.status_code == 404 and "Deze code kennen wij niet." in again.text


async def test_wrong_codes_on_the_page_count_towards_the_apis_limits(client: httpx.AsyncClient) -> None:
    wrong = "AAAA-BBBB-CCCC-DDDD"
    answers = [await client.post("/vervolg", data={"code": wrong}) for _ in range(5)]
    assert {a.status_code for a in answers} == {404}
    assert "Deze code kennen wij niet." in answers[0].text
    limited = await client.post("/vervolg?lang=en", data={"code": wrong})
    assert limited.status_code == 429 and "You entered a wrong code too often." in limited.text
    assert int(limited.headers["retry-after"]) >= 60
    api = await client.get("/v1/dialogue/messages", headers={"X-Receipt-Code": wrong})
    assert api.status_code == 429  # one budget for the page and the API


async def test_a_missing_code_is_asked_for_without_counting(client: httpx.AsyncClient) -> None:
    page = await client.post("/vervolg", data={})
    assert page.status_code == 400 and "Vul uw ontvangstcode in." in page.text


def test_the_receipt_page_points_to_the_follow_up_page() -> None:
    page = render_received("en", "ABCD-EFGH-JKLM-NPQR")
    assert '<a href="/vervolg?lang=en" id="follow-up-link">Read and send messages</a>' in page
