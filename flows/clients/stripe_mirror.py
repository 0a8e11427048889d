"""A client's Stripe customer kept in step with our row: updated after an edit, deleted when they are forgotten.

Run from the durable work queue after our row is committed: a Stripe failure raises, the queue runs the work
again, and what we saved stays saved. The update carries an idempotency key made of the submission and what
is sent (a retry is the same request; a later edit back to earlier values is a new one). A delete takes no
idempotency key on Stripe (only POSTs do): a customer already gone counts as deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from bot.models import Client
from bot.services import Services
from bot.stripe_gateway import GatewayError
from flows.clients import changes
from flows.clients.logic import get_client

log = logging.getLogger(__name__)


def customer_fields(client: Client) -> dict[str, Any]:
    """The customer as Stripe should hold it; "" unsets what the client no longer has."""
    fields: dict[str, Any] = {"name": client.name, "email": client.email or "", "phone": client.phone or ""}
    if client.address_line1 and client.city and client.country:
        address = {
            "line1": client.address_line1,
            "line2": client.address_line2,
            "city": client.city,
            "state": client.region,
            "postal_code": client.postal_code,
            "country": client.country,
        }
        # Stripe refuses "" inside an address (its parts cannot be unset one by one): the parts it has.
        fields["address"] = {key: value for key, value in address.items() if value}
    else:
        fields["address"] = ""
    if client.preferred_locale:
        fields["preferred_locales"] = [client.preferred_locale]
    return fields


def mirror_edit(services: Services, team_id: str, client_id: int, *, request_key: str) -> bool:
    """Send the client's card to their Stripe customer, if they have one; False when there is none to update."""
    with services.db.session() as session:
        client = get_client(session, team_id, client_id)
        if client is None or client.forgotten_at is not None or not client.stripe_customer_id:
            return False
        customer_id, account_id = client.stripe_customer_id, client.stripe_account_id
        fields = customer_fields(client)
    digest = hashlib.sha256(json.dumps([request_key, fields], sort_keys=True).encode()).hexdigest()[:32]
    services.stripe.mirror_customer(
        account_id,
        customer_id,
        fields=fields,
        idempotency_key=f"billbot:{team_id}:client:{client_id}:update:{digest}",
    )
    return True


def delete_customer(services: Services, team_id: str, client_id: int, forgotten: changes.Forgotten) -> None:
    """Delete a forgotten client's Stripe customer (Stripe keeps its legal records of invoices and payments)."""
    if forgotten.customer_id is None:
        return
    try:
        services.stripe.delete_customer(forgotten.account_id, forgotten.customer_id)
    except GatewayError as exc:
        if exc.code != "resource_missing":
            raise
        log.info("client %s: their Stripe customer was already deleted", client_id)
    changes.customer_deleted(services.db, team_id, client_id)
