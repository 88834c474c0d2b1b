"""`docs/events.md` from the catalog: `python -m partnerdesk.events.docs > docs/events.md`.

A test (`events/tests/test_catalog.py`) keeps the page and the catalog the same.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from partnerdesk.events.catalog import CATALOG

INTRO = """# Events

Every change a client may follow is an event: named (`subscription.suspended`), versioned, with a
JSON payload whose schema is published in the OpenAPI document (`/api/v1/openapi.json`, its
`webhooks` section; each event's body titled like `SubscriptionSuspendedEvent`). Events are written in the
transaction of the change they report, so an event exists exactly when its change committed
(ADR 0013).

## Receiving them: webhooks

Register an endpoint in your portal (*Webhooks*) or with `POST /api/v1/webhook-endpoints`
`{"url", "events", "description"}`; the answer shows the signing secret (`whsec_…`) once. `events`
lists names from the table below or wildcards (`subscription.*`, `*`); `webhook.test` is sent only when
you ask for a test ping. You receive only events about what your organization may see: a partner
its own customers' events, never another partner's; a customer never a partner's internal note nor a
service request.

Each delivery is a `POST` with a JSON body and three headers (Standard Webhooks):

- `webhook-id`: the message id, the same on every retry and re-send: de-duplicate by it;
- `webhook-timestamp`: when this attempt was sent (seconds since the epoch);
- `webhook-signature`: `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` with the
  secret; after a rotation, two signatures separated by a space until the old secret's roll-over ends.

Verify with any Standard Webhooks library, e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`.

```json
{"type": "subscription.suspended", "version": 1, "timestamp": "2026-01-31T12:00:00Z",
 "event_id": "…", "object": {"type": "subscriptions.subscription", "id": "…"}, "data": {…}}
```

Answer with any 2xx within 10 seconds. Anything else (a redirect too: they are not followed) is
retried after 5 s, 5 min, 30 min, 2 h, 5 h and then every 10 h, for about three days. An endpoint
receives its events in the order they were written, one at a time: a delivery being retried holds
back the later ones of that endpoint until it succeeds or its retries run out. An endpoint whose
deliveries have all failed for three days is disabled and its admins are mailed; enabling it again
resumes where it stopped. Failed or past deliveries can be re-sent from the delivery log (same
`webhook-id`).

## Who receives what

| Events | Operator | Partner | Customer |
|---|---|---|---|
| `support_request.*` | no | the customer's partner | the customer; never an internal note nor `escalated` |
| `service_request.*` | yes | the filing partner; never an operator-internal note | never |
| `change_request.*` | no | the transacting partner | the customer |
| `subscription.*`, `license.*`, `entitlement.changed` | yes | the transacting partner | the customer |
| `relationship.*` | yes | the partner | the customer |
| `user.*` | yes | the partner (its own users, and its customers') | the customer (its own users) |
| `health_issue.*`, `maintenance.*`, `message.*` | yes | as its pages show them | as its admin center does |

## The catalog
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{argument}`" for argument in arguments)
    if origin in (typing.Union, __import__("types").UnionType):
        names = [_type_name(argument) for argument in arguments if argument is not type(None)]
        return " \\| ".join(names) + (" or null" if type(None) in arguments else "")
    if origin is list:
        return f"list of {_type_name(arguments[0])}"
    return getattr(annotation, "__name__", str(annotation))


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(
        f"`{name}` ({_type_name(field.annotation)})" for name, field in model.model_fields.items()
    )


def render() -> str:
    lines = [INTRO, "| Event | Version | When | Payload (`data`) |", "|---|---|---|---|"]
    for name, event_type in CATALOG.items():
        lines.append(
            f"| `{name}` | {event_type.version} | {event_type.description} | "
            f"{event_type.payload.__name__}: {_fields(event_type.payload)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
