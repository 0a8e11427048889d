"""The knowledge base: one short article per topic and language, written for Billbot itself.

Articles live in ``flows/help/articles/<lang>/<topic>.md``: a YAML header (title, the button that opens
the step's modal, example questions and keywords the matcher learns from) and a Slack mrkdwn body with
the steps. Loaded once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
# More example questions per topic and language, for articles whose files their own sessions keep.
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
LANGUAGES = ("en", "fr")

# Contract (issue 8): these ids, in `billbot ask`'s JSON and in the knowledge base.
TOPICS = (
    "stripe-setup",
    "stripe-existing-account",
    "stripe-status",
    "currency",
    "tax-rates",
    "billing-address",
    "invoice-template",
    "reminders",
    "clients",
    "new-invoice",
    "payment-link",
    "payment-method",
    "invoice-from-session",
    "invoice-from-client",
    "invoice-pdf",
    "void-invoice",
    "invoice-status",
    # Issue 16: a payment received outside Stripe, and part payments with the balance due.
    "record-payment",
    "part-payments",
    # Issue 17: the App Home's calendar week view and its Invoice buttons.
    "calendar-week",
    # Issue 17: connecting a calendar (`/billing calendar`), and sorting its events (to sort, service rules).
    "calendar-connect",
    "calendar-sort",
    # Issue 19: the money-life, calendar and reports topics whose articles came with those issues.
    "refund",
    "correct-invoice",
    "due-date",
    "autopay",
    "edit-client",
    "archive-client",
    "forget-client",
    "edit-session",
    "disconnect-stripe",
    "calendar-prompt",
    "report",
    "report-csv",
    "privacy",
)
HUMAN = "human"
# Things close to billing that Billbot does not do (superbills, payroll, booking…): the answer says so,
# names the closest thing it does, and offers a person. Its article holds one `Subject` per thing.
NOT_SUPPORTED = "not-supported"

# What an answer's button does: "step:<checklist key>" opens that setup step's modal, "invoice" the
# invoice modal, "client" the new-client modal; None when the way in is a button on an invoice message.
ACTIONS = ("step:stripe_setup", "step:billing_settings", "step:invoice_template", "step:reminders", "invoice", "client")


@dataclass(frozen=True)
class Article:
    topic: str
    language: str
    title: str
    body: str
    action: str | None
    button: str | None
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    # Only in the `human` article: questions about things Billbot does not do, so a question near them
    # hands over instead of meeting a how-to that shares one word with it ("tax return" is not "tax rates").
    out_of_scope: tuple[str, ...] = ()
    # Only in the not-supported article.
    subjects: tuple[Subject, ...] = ()


@dataclass(frozen=True)
class Subject:
    """One thing Billbot does not do, in the not-supported article: what the answer says, and its examples."""

    id: str
    says: str
    nearest: str | None  # the topic of the closest thing Billbot does, or None
    examples: tuple[str, ...]
    keywords: tuple[str, ...]


class ArticleError(ValueError):
    pass


def parse(text: str, *, topic: str, language: str) -> Article:
    if not text.startswith("---\n"):
        raise ArticleError(f"{language}/{topic}: an article starts with a '---' header")
    header_text, _, body = text[4:].partition("\n---\n")
    header = yaml.safe_load(header_text) or {}
    action = header.get("action")
    if action is not None and action not in ACTIONS:
        raise ArticleError(f"{language}/{topic}: unknown action {action!r}")
    if action is not None and not header.get("button"):
        raise ArticleError(f"{language}/{topic}: an action needs a button label")
    if not header.get("title") or not body.strip():
        raise ArticleError(f"{language}/{topic}: title and body are required")
    return Article(
        topic=topic,
        language=language,
        title=str(header["title"]),
        body=body.strip(),
        action=action,
        button=header.get("button"),
        examples=tuple(str(q) for q in header.get("examples") or ()),
        keywords=tuple(str(k) for k in header.get("keywords") or ()),
        out_of_scope=tuple(str(q) for q in header.get("out_of_scope") or ()),
        subjects=tuple(_subject(raw, topic=topic, language=language) for raw in header.get("subjects") or ()),
    )


def _subject(raw: object, *, topic: str, language: str) -> Subject:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("says") or not raw.get("examples"):
        raise ArticleError(f"{language}/{topic}: a subject needs an id, what it says and examples")
    nearest = raw.get("nearest")
    if nearest is not None and nearest not in TOPICS:
        raise ArticleError(f"{language}/{topic}: subject {raw['id']!r} names an unknown topic {nearest!r}")
    return Subject(
        id=str(raw["id"]),
        says=str(raw["says"]),
        nearest=nearest,
        examples=tuple(str(q) for q in raw["examples"]),
        keywords=tuple(str(k) for k in raw.get("keywords") or ()),
    )


@cache
def articles() -> dict[tuple[str, str], Article]:
    """Every article, by (topic, language); fails loudly when one is missing."""
    found: dict[tuple[str, str], Article] = {}
    for language in LANGUAGES:
        extra = _extra_examples(language)
        for topic in (*TOPICS, HUMAN, NOT_SUPPORTED):
            path = ARTICLES_DIR / language / f"{topic}.md"
            if topic == HUMAN and not path.exists():
                continue
            parsed = parse(path.read_text(encoding="utf-8"), topic=topic, language=language)
            if extra.get(topic):
                parsed = replace(parsed, examples=(*parsed.examples, *extra[topic]))
            found[(topic, language)] = parsed
    return found


def _extra_examples(language: str) -> dict[str, tuple[str, ...]]:
    path = EXAMPLES_DIR / f"{language}.yaml"
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(loaded) - set(TOPICS)
    if unknown:
        raise ArticleError(f"{path.name}: unknown topics {sorted(unknown)}")
    return {topic: tuple(str(q) for q in questions or ()) for topic, questions in loaded.items()}


def subject(subject_id: str, language: str) -> Subject:
    """A thing Billbot does not do, in ``language`` (KeyError when no such subject)."""
    found = {s.id: s for s in article(NOT_SUPPORTED, language).subjects}
    return found[subject_id]


def article(topic: str, language: str) -> Article:
    return articles()[(topic, language if language in LANGUAGES else "en")]
