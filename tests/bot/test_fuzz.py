"""The fuzz of every Slack request a member can cause: no answer ≥ 500, none slower than Slack's 3 seconds,
and no job that failed, even once, after the queue drains. On SQLite and PostgreSQL (which refuses NUL).

The strategies live in tests/harness/fuzz_strategies.py; bench/fuzz.py runs them with many more examples.
A failure prints hypothesis' smallest example: every request of it (label, status, time, signed body) and
every failed job (its function, its error and the request it replayed).
"""

from __future__ import annotations

import os

from hypothesis import given, settings

from tests.conftest import ADMIN, FRENCH_USER, MEMBER, SIGNING_SECRET, TEAM_ID, Billbot
from tests.harness.fuzz_strategies import SUITE_PROFILE, Choices, Findings, Fuzz, FuzzClient, choices, seed_practice

EXAMPLES = int(os.environ.get("BILLBOT_FUZZ_EXAMPLES", "0")) or settings.get_profile(SUITE_PROFILE).max_examples


def test_no_slack_request_gives_a_5xx_a_slow_answer_or_a_failed_job(billbot: Billbot) -> None:
    users = [ADMIN, MEMBER, FRENCH_USER]
    seed_practice(billbot.app.services, billbot.stripe, billbot.slack, billbot.workspace, ADMIN, users)
    client = FuzzClient(billbot.app.url, SIGNING_SECRET, billbot.slack, TEAM_ID)
    fuzz = Fuzz(client, billbot.app.services, users)
    total = Findings()

    @settings(settings.get_profile(SUITE_PROFILE), max_examples=EXAMPLES)
    @given(choices())
    def one_example(c: Choices) -> None:
        client.findings = Findings()
        fuzz.run(c)
        total.add(client.findings)
        assert client.findings.clean, client.findings.report()

    try:
        one_example()
    finally:
        fuzz.close()
    # The fuzz must have reached the app, not stopped at the door: most requests are answered 200.
    assert total.tried >= EXAMPLES
