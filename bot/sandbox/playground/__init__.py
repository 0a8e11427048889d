"""`billbot playground`: Billbot, a Slack stand-in and the Stripe emulator on this machine, behind a web page that
looks and behaves like a Slack channel (http://127.0.0.1:3000/ by default).

- ``stack.Playground`` starts the parts: the stand-in with a demo workspace (``demo``), Stripe (the emulator
  unless STRIPE_API_KEY is set), a fresh SQLite file, the app as `billbot serve` builds it, and the page server.
- ``page`` serves the page and the JSON it polls; ``slack_client.SlackClient`` turns what the member does
  into the signed requests Slack sends the app, and applies the app's answers as Slack does.
- ``static/`` holds the page; ``static/blockkit.js`` renders Block Kit (anything unknown shows a placeholder).
"""

from .slack_client import SlackClient
from .stack import Options, Playground, options_from_environment

__all__ = ["Options", "Playground", "SlackClient", "options_from_environment"]
