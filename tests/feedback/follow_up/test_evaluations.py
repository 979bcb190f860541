"""Evaluations: anonymous, yet one answer per attendee. Only checked-in attendees are invited, after the event;
"has answered" is kept apart from the answers and enforced by a unique constraint, also under concurrent
submits; answers carry no registration and no time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import staff_support
from follow_up_support import make_event
from mailcal_support import make_registration, outbox_rows
from registration_support import database_pool  # noqa: F401  (a fixture)
from staff_support import csrf_from, login_as, post_form

from feedback.follow_up import evaluations
from feedback.follow_up.evaluations import AlreadyAnswered, EvaluationError
from feedback.tables import EvaluationAnswer, EvaluationInvitation, EvaluationReceipt, InputItem
from samrad.core.clock import now_utc

client = staff_support.client

QUESTIONS = [
    {"kind": "rating", "label": {"en": "How was the day?", "da": "Hvordan var dagen?"}},
    {"kind": "text", "label": {"en": "What should we change?"}},
]


@pytest.fixture
async def ended():
    event = await make_event("Conference", days_ago=2, published=True)
    came = [await make_registration(event["id"], checked_in_at=now_utc() - timedelta(days=2)) for _ in range(6)]
    stayed_home = await make_registration(event["id"])
    await evaluations.save(event["id"], {"en": "Thank you for coming."}, QUESTIONS, "t")
    return {"event": event, "came": came, "stayed_home": stayed_home}


async def tokens_of(event_id: int) -> list[str]:
    evaluation = await evaluations.evaluation_for_event(event_id)
    rows = await EvaluationInvitation.select(EvaluationInvitation.invitation_key).where(
        EvaluationInvitation.evaluation == evaluation["id"])
    return [evaluations.invitation_token(row["invitation_key"]) for row in rows]


async def test_only_checked_in_attendees_are_invited_once_after_the_event(ended, settings):
    assert await evaluations.invitation_job(now_utc(), settings, {}) == {"evaluation_invitations": 6}
    assert await evaluations.invitation_job(now_utc(), settings, {}) == {}
    rows = await outbox_rows(kind=evaluations.MAIL_KIND)
    assert sorted(row["to_address"] for row in rows) == sorted(person["email"] for person in ended["came"])
    assert "/evaluation/" in rows[0]["text_body"]


async def test_an_event_not_ended_yet_invites_no_one(settings):
    event = await make_event("Tomorrow", days_ago=-1)
    await make_registration(event["id"], checked_in_at=now_utc())
    await evaluations.save(event["id"], {}, QUESTIONS, "t")
    assert await evaluations.invitation_job(now_utc(), settings, {}) == {}


async def test_answers_carry_no_registration_and_no_time(ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    token = (await tokens_of(ended["event"]["id"]))[0]
    await evaluations.submit(token, {"q1": "4", "q2": "More breaks"}, "en")
    answer = await EvaluationAnswer.select().first()
    assert set(answer) == {"id", "evaluation", "answers", "language", "answered_on"}
    assert answer["answers"] in ({"q1": 4, "q2": "More breaks"}, '{"q1": 4, "q2": "More breaks"}')
    receipt = await EvaluationReceipt.select().first()
    assert set(receipt) == {"id", "evaluation", "invitation"}


async def test_a_second_answer_is_refused_and_writes_nothing(ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    token = (await tokens_of(ended["event"]["id"]))[0]
    await evaluations.submit(token, {"q1": "5"}, "en")
    with pytest.raises(AlreadyAnswered):
        await evaluations.submit(token, {"q1": "1"}, "en")
    assert await EvaluationAnswer.count() == 1 and await EvaluationReceipt.count() == 1


@pytest.mark.usefixtures("database_pool")
async def test_concurrent_submits_of_one_link_keep_exactly_one_answer(ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    tokens = await tokens_of(ended["event"]["id"])

    async def attempt(token: str, rating: int) -> str:
        try:
            await evaluations.submit(token, {"q1": str(rating)}, "en")
            return "kept"
        except AlreadyAnswered:
            return "refused"

    results = await asyncio.gather(*(attempt(tokens[0], 1 + n % 5) for n in range(10)),
                                   *(attempt(tokens[1], 3) for _ in range(10)))
    assert results.count("kept") == 2 and results.count("refused") == 18
    assert await EvaluationAnswer.count() == 2 and await EvaluationReceipt.count() == 2


@pytest.mark.parametrize("answers, field", [
    ({"q1": "6"}, "q1"), ({"q1": "x"}, "q1"), ({"q2": "y" * 2001}, "q2"), ({}, "answers"),
])
async def test_bad_answers_are_refused(ended, settings, answers, field):
    await evaluations.invitation_job(now_utc(), settings, {})
    token = (await tokens_of(ended["event"]["id"]))[0]
    with pytest.raises(EvaluationError) as refused:
        await evaluations.submit(token, answers, "en")
    assert field in refused.value.errors and await EvaluationReceipt.count() == 0


async def test_answering_through_the_page(client, ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    token = (await tokens_of(ended["event"]["id"]))[0]
    page = await client.get(f"/evaluation/{token}?lang=en")
    assert page.status_code == 200 and "How was the day?" in page.text
    bad = await client.post(f"/evaluation/{token}", data={"_csrf_token": csrf_from(page.text), "q1": "9"})
    assert bad.status_code == 422 and "error-summary" in bad.text
    done = await client.post(f"/evaluation/{token}",
                             data={"_csrf_token": csrf_from(page.text), "q1": "4", "q2": "Coffee"})
    assert done.status_code == 200 and "Thank you for your answers" in done.text
    again = await client.post(f"/evaluation/{token}", data={"_csrf_token": csrf_from(page.text), "q1": "1"})
    assert again.status_code == 409
    assert (await client.get("/evaluation/not-a-token")).status_code == 404


async def test_results_in_the_event_report_and_text_answers_become_input(client, ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    for n, token in enumerate(await tokens_of(ended["event"]["id"])):
        await evaluations.submit(token, {"q1": str(1 + n % 5), "q2": f"Idea number {n}"}, "en")
    results = await evaluations.results(ended["event"]["id"])
    assert results["answers"] == 6 and results["invited"] == 6
    rating = results["questions"][0]
    assert rating["counts"] == [(1, 2), (2, 1), (3, 1), (4, 1), (5, 1)] and rating["average"] == 16 / 6
    await login_as(client, "admin")
    report = await client.get(f"/staff/reports/events/{ended['event']['id']}?lang=en")
    assert report.status_code == 200 and "Idea number 3" in report.text and "Average 2.7 of 5" in report.text
    answer_id, _text = results["questions"][1]["texts"][0]
    response = await post_form(client, f"/staff/reports/events/{ended['event']['id']}",
                               f"/staff/events/{ended['event']['id']}/evaluation/input",
                               {"answer": answer_id, "question": "q2"})
    assert response.status_code == 303
    await post_form(client, f"/staff/reports/events/{ended['event']['id']}",
                    f"/staff/events/{ended['event']['id']}/evaluation/input", {"answer": answer_id, "question": "q2"})
    items = await InputItem.select(InputItem.text, InputItem.source).where(InputItem.event == ended["event"]["id"])
    assert items == [{"text": "Idea number 0", "source": "participant"}]


async def test_the_evaluation_form(client, ended):
    await login_as(client, "admin")
    event_id = ended["event"]["id"]
    response = await post_form(client, f"/staff/events/{event_id}/evaluation", f"/staff/events/{event_id}/evaluation",
                               {"q1_kind": "rating", "q1_en": "", "q2_kind": "", "q2_en": ""})
    assert response.status_code == 422 and "Write question 1" in response.text
    response = await post_form(client, f"/staff/events/{event_id}/evaluation", f"/staff/events/{event_id}/evaluation",
                               {"q1_kind": "", "q1_en": ""})
    assert response.status_code == 422 and "Ask at least one question" in response.text
    response = await post_form(client, f"/staff/events/{event_id}/evaluation", f"/staff/events/{event_id}/evaluation",
                               {"q1_kind": "poll", "q1_en": "Which?"})
    assert response.status_code == 422
    response = await post_form(client, f"/staff/events/{event_id}/evaluation", f"/staff/events/{event_id}/evaluation",
                               {"q1_kind": "text", "q1_en": "Anything else?"})
    assert response.status_code == 303
    assert (await evaluations.evaluation_for_event(event_id))["questions"][0]["label"] == {"en": "Anything else?"}


async def test_questions_stay_once_someone_answered(ended, settings):
    await evaluations.invitation_job(now_utc(), settings, {})
    await evaluations.submit((await tokens_of(ended["event"]["id"]))[0], {"q1": "3"}, "en")
    with pytest.raises(EvaluationError):
        await evaluations.save(ended["event"]["id"], {}, QUESTIONS[:1], "t")
