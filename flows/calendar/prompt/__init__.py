"""The session-end prompt: a DM to the practitioner a few minutes after a matched session ends, with Charge card
on file / Send invoice / No-show fee / Skip. ``store`` (the claims, on CalendarEvent), ``logic`` (the sweep and
the buttons' work), ``views`` (Block Kit), ``ids``, ``listeners``."""
