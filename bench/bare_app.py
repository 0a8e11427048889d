"""The baseline for bench/ack.py: a Bolt app that only acks `/billing`, served by the same stack as Billbot."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.server import build_http_app, serve
from bot.services import Services
from bot.settings import Mode, load_settings
from bot.slack_clients import web_client


def main() -> None:
    settings = load_settings(Mode.HTTP)
    services = Services.build(settings)
    app = App(
        client=web_client(services, settings.slack_bot_token),
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/billing")
    def ack_only(ack: Ack) -> None:
        ack()

    serve(build_http_app(services, app), settings.host, settings.port)


if __name__ == "__main__":
    main()
