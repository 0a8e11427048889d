"""In-memory state of the emulated Stripe: objects per account, events, idempotent results.

Objects are kept as compact state dicts (only what the emulator sets); the full Stripe shape is
rendered from a skeleton on the way out, which keeps 100k stored objects cheap.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .protocol import no_such

# Stripe's labels in "No such <label>: 'id'" messages.
LABELS = {
    "account": "account",
    "customer": "customer",
    "tax_rate": "tax rate",
    "invoiceitem": "invoiceitem",
    "invoice": "invoice",
    "checkout.session": "checkout.session",
    "setup_intent": "setupintent",
    "payment_method": "PaymentMethod",
    "file": "file upload",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "refund": "refund",
    "invoice_payment": "invoice payment",
    "credit_note": "credit note",
    "event": "event",
}


@dataclass
class Record:
    kind: str
    id: str
    account: str
    state: dict[str, Any]


@dataclass
class IdempotentResult:
    fingerprint: str
    status: int
    body: bytes


@dataclass
class Store:
    """All emulator state. ``lock`` guards every read and write (requests run one at a time inside it)."""

    idempotency_capacity: int = 20_000
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, Record] = field(default_factory=dict)
    # (account, kind) -> ids in creation order; lists walk it backwards (newest first).
    by_scope: dict[tuple[str, str], dict[str, None]] = field(default_factory=dict)
    idempotency: OrderedDict[tuple[str, str], IdempotentResult] = field(default_factory=OrderedDict)
    # Anything the resource modules need beyond objects (link tokens, OAuth codes, file bytes…).
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: str, object_id: str, account: str, state: dict[str, Any]) -> Record:
        record = Record(kind, object_id, account, state)
        self.objects[object_id] = record
        self.by_scope.setdefault((account, kind), {})[object_id] = None
        return record

    def remove(self, record: Record) -> None:
        self.objects.pop(record.id, None)
        self.by_scope.get((record.account, record.kind), {}).pop(record.id, None)

    def find(self, kind: str, object_id: str, account: str) -> Record | None:
        record = self.objects.get(object_id)
        if record is None or record.kind != kind or record.account != account:
            return None
        return record

    def get(self, kind: str, object_id: str, account: str, *, param: str | None = None) -> Record:
        """The object, or Stripe's resource_missing (404; 400 on ``param`` when a parameter named it)."""
        record = self.find(kind, object_id, account)
        if record is None:
            raise no_such(LABELS.get(kind, kind), object_id, param=param)
        return record

    def newest_first(self, kind: str, account: str) -> Iterator[Record]:
        # Iterates the live dict: callers consume this under ``lock``, so nothing mutates it meanwhile.
        ids = self.by_scope.get((account, kind), {})
        for object_id in reversed(ids):
            record = self.objects.get(object_id)
            if record is not None:
                yield record

    def bucket(self, name: str) -> dict[str, Any]:
        return self.extra.setdefault(name, {})

    def remember(self, key: tuple[str, str], result: IdempotentResult) -> None:
        self.idempotency[key] = result
        # Stripe keeps keys for 24 hours; a bounded cache keeps long-running playgrounds from growing.
        while len(self.idempotency) > self.idempotency_capacity:
            self.idempotency.popitem(last=False)
