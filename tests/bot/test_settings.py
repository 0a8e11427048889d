"""Settings come from the environment, and every mistake in it is one clear sentence."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, Mode, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "f00d"}


def problems(mode: Mode, env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(mode, env)
    return caught.value.problems


def test_defaults_follow_the_contract() -> None:
    settings = load_settings(Mode.HTTP, GOOD)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///billbot.db"
    assert settings.public_url == "http://localhost:3000"
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.stripe_api_base is None
    assert not settings.multi_workspace


def test_serving_without_slack_credentials_names_what_to_set() -> None:
    found = problems(Mode.HTTP, {})
    assert any(p.startswith("SLACK_SIGNING_SECRET is not set") for p in found)
    assert any(p.startswith("SLACK_BOT_TOKEN is not set") for p in found)


def test_every_malformed_value_is_reported_at_once() -> None:
    found = problems(
        Mode.HTTP,
        {
            **GOOD,
            "SLACK_BOT_TOKEN": "xoxp-user-token",
            "PORT": "eighty",
            "PUBLIC_URL": "billbot.example.com",
            "STRIPE_API_KEY": "pk_test_publishable",
            "STRIPE_WEBHOOK_SECRET": "secret",
            "DATABASE_URL": "mysql://root@localhost/billbot",
        },
    )
    joined = "\n".join(found)
    assert len(found) == 6
    for name in ("SLACK_BOT_TOKEN", "PORT", "PUBLIC_URL", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL"):
        assert name in joined


@pytest.mark.parametrize("port", ["0", "65536", "-1", "3000.5", ""])
def test_port_out_of_range(port: str) -> None:
    if port == "":
        assert load_settings(Mode.HTTP, {**GOOD, "PORT": port}).port == 3000  # unset means the default
    else:
        assert any("PORT" in p for p in problems(Mode.HTTP, {**GOOD, "PORT": port}))


def test_half_of_the_oauth_pair_is_a_mistake() -> None:
    assert any("SLACK_CLIENT_SECRET is not set" in p for p in problems(Mode.HTTP, {**GOOD, "SLACK_CLIENT_ID": "1.2"}))


def test_multi_workspace_needs_no_bot_token() -> None:
    env = {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}
    assert load_settings(Mode.HTTP, env).multi_workspace


def test_socket_mode_needs_an_app_token_but_no_signing_secret() -> None:
    assert any("SLACK_APP_TOKEN" in p for p in problems(Mode.SOCKET, {"SLACK_BOT_TOKEN": "xoxb-1"}))
    settings = load_settings(Mode.SOCKET, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A"})
    assert settings.slack_app_token == "xapp-1-A"


def test_database_upgrade_needs_no_slack_credentials() -> None:
    assert load_settings(Mode.DATABASE, {"DATABASE_URL": "sqlite:////tmp/x.db"}).database_url == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    "raw", ["postgres://u:p@db/billbot", "postgresql://u:p@db/billbot", "postgresql+psycopg://u:p@db/billbot"]
)
def test_postgres_urls_use_the_shipped_driver(raw: str) -> None:
    settings = load_settings(Mode.DATABASE, {"DATABASE_URL": raw})
    assert settings.database_url == "postgresql+psycopg://u:p@db/billbot"


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings(
        Mode.HTTP,
        {
            **GOOD,
            "SLACK_BOT_TOKEN": "xoxb-very-secret-token",
            "STRIPE_API_KEY": "sk_test_verysecretkey",
            "STRIPE_WEBHOOK_SECRET": "whsec_verysecret",
            "DATABASE_URL": "postgresql://billbot:hunter2@db/billbot",
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "client-secret-value",
        },
    )
    shown = repr(settings)
    for secret in ("very-secret-token", "verysecretkey", "whsec_verysecret", "hunter2", "client-secret-value", "f00d"):
        assert secret not in shown


def test_slack_api_url_gets_the_trailing_slash_slack_sdk_needs() -> None:
    settings = load_settings(Mode.HTTP, {**GOOD, "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_blank_values_count_as_unset() -> None:
    assert any("SLACK_SIGNING_SECRET" in p for p in problems(Mode.HTTP, {**GOOD, "SLACK_SIGNING_SECRET": "   "}))
