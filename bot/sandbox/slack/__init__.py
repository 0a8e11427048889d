"""A local stand-in for Slack's Web API, served over HTTP on loopback.

The app's ``slack_sdk.WebClient`` is pointed at ``SlackStandIn.url`` through ``base_url``; tests then
read what the app sent per place (channel messages, DMs, ephemeral messages, modal stacks, home tabs,
files) from the ``Workspace`` objects, and the stand-in refuses what Slack refuses with Slack's error
names (see ``limits`` for Block Kit rules, ``methods`` for the per-method ones).
"""

from .limits import Problem, check_blocks, check_message, check_view
from .records import Call, Edit, File, Message
from .standin import SlackStandIn
from .state import Channel, Workspace

__all__ = [
    "Call",
    "Channel",
    "Edit",
    "File",
    "Message",
    "Problem",
    "SlackStandIn",
    "Workspace",
    "check_blocks",
    "check_message",
    "check_view",
]
