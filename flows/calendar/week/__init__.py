"""The App Home's calendar week view: this week's and last week's sessions, with their Invoice buttons.

``logic`` decides who sees which sessions and what a click may invoice, ``views`` draws it, ``listeners``
answers the buttons (the invoice modal, opened through ``services.invoice_modal``).
"""
