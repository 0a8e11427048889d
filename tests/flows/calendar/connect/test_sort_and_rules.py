"""The "to sort" list (one click assigns a client, remembered for the event's later occurrences) and the
service keyword rules (add, a duplicate refused inline, remove), through the harness."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.sandbox.slack import check_view
from flows.calendar.connect import ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, Billbot
from tests.flows.calendar.connect.scene import (
    add_client,
    add_service,
    block,
    calendar_sessions,
    click,
    client_rules,
    connect,
    feeds,
    service_rules,
    text_of,
    wait_view,
)
from tests.flows.calendar.ics import calendar, days_from_now, event
from tests.harness.ics_server import IcsServer
from tests.harness.views import filled_stack


def feed_to_sort(ics: IcsServer, name: str = "alice") -> str:
    return ics.set_feed(
        name,
        calendar(
            event("weekly", start=days_from_now(1, 9), summary="Suivi du mardi", rrule="FREQ=WEEKLY;COUNT=3"),
            event("once", start=days_from_now(-3, 15), summary="Premier rendez-vous"),
            event("known", start=days_from_now(2, 10), summary="Séance Élodie Lefèvre"),
        ),
    )


def open_pushed(
    bb: Billbot, view: dict[str, Any], action_id: str, callback_id: str, user: str = ADMIN
) -> dict[str, Any]:
    click(bb, view, action_id, str(feeds(bb)[0].id) if feeds(bb) else "0", user)
    pushed = filled_stack(bb.slack, bb.workspace, user, depth=2, callback_id=callback_id, timeout=20)[-1]
    assert check_view(pushed) == []
    return pushed


def choose(view: dict[str, Any], event_id: int, client_id: int) -> dict[str, Any]:
    """The person picks a client in one event's select: the view's state carries it to the Assign click."""
    state = {
        ids.sort_block(event_id): {
            ids.SORT_CLIENT_ACTION: {"type": "static_select", "selected_option": {"value": str(client_id)}}
        }
    }
    return {**view, "state": {"values": state}}


def assign_button(view: dict[str, Any], title: str) -> dict[str, Any]:
    """The Assign button beside the event titled ``title``."""
    for i, b in enumerate(view["blocks"]):
        if b["type"] == "section" and title in b["text"]["text"]:
            actions = view["blocks"][i + 1]
            return next(e for e in actions["elements"] if e["action_id"] == ids.ASSIGN_ACTION)
    raise AssertionError(f"no event {title!r} to sort")


def test_assign_makes_the_sessions_and_remembers_the_client(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    paul = add_client(billbot, "Paul Martin")
    connected = connect(billbot, feed_to_sort(ics_server))
    assert "2 events to sort" in text_of(connected)
    listing = open_pushed(billbot, connected, ids.OPEN_SORT_ACTION, ids.SORT_CALLBACK)
    assert listing["title"]["text"] == "To sort"
    text = text_of(listing)
    assert "*Suivi du mardi*" in text and "3 occurrences" in text and "next " in text
    assert "*Premier rendez-vous*" in text and "1 occurrence" in text and "last " in text
    assert text.index("Suivi du mardi") < text.index("Premier rendez-vous")  # the coming one first
    assert "Séance Élodie" not in text  # found by its client's name: nothing to sort
    button = assign_button(listing, "Suivi du mardi")
    picker = block(listing, ids.sort_block(int(button["value"])))["elements"][0]
    assert picker["type"] == "static_select"
    assert [o["text"]["text"] for o in picker["options"]] == ["Élodie Lefèvre", "Paul Martin"]
    # Assign without choosing says so.
    click(billbot, listing, ids.ASSIGN_ACTION, button["value"])
    wait_view(billbot, listing["id"], ids.SORT_CALLBACK, t("en", "calendar.sort.pick_first"))
    # Assign with Paul chosen, twice (a double click): three sessions once.
    chosen = choose(listing, int(button["value"]), paul)
    click(billbot, chosen, ids.ASSIGN_ACTION, button["value"])
    after = wait_view(billbot, listing["id"], ids.SORT_CALLBACK, "Assigned to Paul Martin: 3 sessions made.")
    assert "Suivi du mardi" not in text_of(after) and "Premier rendez-vous" in text_of(after)
    click(billbot, chosen, ids.ASSIGN_ACTION, button["value"])
    wait_view(billbot, listing["id"], ids.SORT_CALLBACK, "Already assigned to Paul Martin")
    assert len(calendar_sessions(billbot, paul)) == 3
    [rule] = client_rules(billbot)
    assert (rule.uid, rule.client_id, rule.created_by) == ("weekly", paul, ADMIN)
    # The calendar modal beneath shows it.
    wait_view(billbot, connected["id"], ids.CONNECTED_CALLBACK, "1 event to sort")


def test_nobody_else_sorts_a_practitioners_events(billbot: Billbot, ics_server: IcsServer) -> None:
    paul = add_client(billbot, "Paul Martin")
    connected = connect(billbot, feed_to_sort(ics_server))
    listing = open_pushed(billbot, connected, ids.OPEN_SORT_ACTION, ids.SORT_CALLBACK)
    button = assign_button(listing, "Suivi du mardi")
    # A member who is no admin forges the click, from their own modal.
    click(billbot, choose({"id": "V_FORGED", "type": "modal"}, int(button["value"]), paul), ids.ASSIGN_ACTION,
          button["value"], user=MEMBER)  # fmt: skip
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=20)
    assert calendar_sessions(billbot, paul) == [] and client_rules(billbot) == []
    # Their client picker's search answers nothing to them either.
    answer = billbot.requests.suggest(
        ids.SORT_CLIENT_ACTION, ids.sort_block(1), "pa", view={"id": "V_FORGED"}, user=MEMBER
    )
    assert answer.json()["options"] == []
    mine = billbot.requests.suggest(ids.SORT_CLIENT_ACTION, ids.sort_block(1), "pa", view=listing, user=ADMIN)
    assert [o["text"]["text"] for o in mine.json()["options"]] == ["Paul Martin"]


def test_the_list_in_french(billbot: Billbot, ics_server: IcsServer) -> None:
    connected = connect(billbot, feed_to_sort(ics_server, "claire"), FRENCH_USER)
    assert "3 rendez-vous à classer" in text_of(connected)  # no client yet to find
    listing = open_pushed(billbot, connected, ids.OPEN_SORT_ACTION, ids.SORT_CALLBACK, FRENCH_USER)
    assert listing["title"]["text"] == "À classer" and listing["close"]["text"] == "Retour"
    text = text_of(listing)
    assert "3 occurrences" in text and "prochaine le " in text and "Attribuer" in text
    assert "Aucun client pour l'instant" in text  # no client yet: the picker says where they are made


# -- service keyword rules -------------------------------------------------------------------------------------


def rule_values(revision: int, keyword: str, service_id: int) -> dict[str, Any]:
    keyword_block = ids.rule_block(revision, ids.RULE_KEYWORD)
    service_block = ids.rule_block(revision, ids.RULE_SERVICE)
    return {
        keyword_block: {keyword_block: {"type": "plain_text_input", "value": keyword}},
        service_block: {service_block: {"type": "static_select", "selected_option": {"value": str(service_id)}}},
    }


def test_service_rules_add_refuse_a_duplicate_and_remove(billbot: Billbot, ics_server: IcsServer) -> None:
    assessment = add_service(billbot, "Initial assessment", 12000)
    add_service(billbot, "Consultation")
    connected = connect(billbot, feed_to_sort(ics_server))
    rules = open_pushed(billbot, connected, ids.OPEN_RULES_ACTION, ids.RULES_CALLBACK)
    assert rules["title"]["text"] == "Service rules" and "No rule yet." in text_of(rules)
    assert "applies from the next read" in text_of(rules)
    answer = billbot.requests.submit(rules, rule_values(0, "  Bilan  ", assessment), user=ADMIN).json()
    assert answer["response_action"] == "update"
    shown = answer["view"]
    assert check_view(shown) == []
    assert "*Bilan* → Initial assessment" in text_of(shown) and "Rule added for “Bilan”" in text_of(shown)
    [rule] = service_rules(billbot)
    assert (rule.keyword, rule.keyword_key, rule.service_id) == ("Bilan", "bilan", assessment)
    # The same word, in other case and accents, is the same rule: refused under the field.
    again = billbot.requests.submit({**shown, "id": rules["id"]}, rule_values(1, "BÍLAN", assessment), user=ADMIN)
    assert again.json() == {
        "response_action": "errors",
        "errors": {ids.rule_block(1, ids.RULE_KEYWORD): t("en", "calendar.rules.error.duplicate")},
    }
    # A service not in the catalogue is refused.
    forged = billbot.requests.submit(rules, rule_values(0, "Suivi", 99999), user=ADMIN).json()
    assert forged["errors"] == {ids.rule_block(0, ids.RULE_SERVICE): t("en", "calendar.rules.error.service")}
    assert len(service_rules(billbot)) == 1
    # Remove.
    click(billbot, {**shown, "id": rules["id"]}, ids.REMOVE_RULE_ACTION, str(rule.id))
    removed = wait_view(billbot, rules["id"], ids.RULES_CALLBACK, "Rule removed.")
    assert "No rule yet." in text_of(removed)
    assert service_rules(billbot) == []


def test_a_member_without_a_calendar_cannot_change_the_rules(billbot: Billbot, ics_server: IcsServer) -> None:
    assessment = add_service(billbot, "Initial assessment")
    connected = connect(billbot, feed_to_sort(ics_server))
    rules = open_pushed(billbot, connected, ids.OPEN_RULES_ACTION, ids.RULES_CALLBACK)
    billbot.requests.submit(rules, rule_values(0, "Bilan", assessment), user=ADMIN)
    [rule] = service_rules(billbot)
    answer = billbot.requests.submit(rules, rule_values(0, "Suivi", assessment), user=MEMBER).json()
    assert answer["response_action"] == "update" and answer["view"]["callback_id"] == ids.CONNECT_CALLBACK
    click(billbot, rules, ids.REMOVE_RULE_ACTION, str(rule.id), user=MEMBER)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=20)
    assert [r.keyword for r in service_rules(billbot)] == ["Bilan"]


def test_a_long_list_stays_within_slacks_limits_and_says_how_many_more(billbot: Billbot, ics_server: IcsServer) -> None:
    many = [event(f"e{n}", start=days_from_now(1 + n % 20, 8 + n % 9), summary=f"Rendez-vous {n}") for n in range(47)]
    connected = connect(billbot, ics_server.set_feed("alice", calendar(*many)))
    assert "47 events to sort" in text_of(connected)
    listing = open_pushed(billbot, connected, ids.OPEN_SORT_ACTION, ids.SORT_CALLBACK)
    assert len(listing["blocks"]) <= 100
    assert sum(1 for b in listing["blocks"] if b.get("block_id", "").startswith("calendar_sort_")) == 40
    assert "…and 7 more events." in text_of(listing)
