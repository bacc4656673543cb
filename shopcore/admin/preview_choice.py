"""Who a template preview is rendered for, and as which kind of email: read from the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from retention.vocabulary import TriggerKind
from shopcore.admin.forms import Form
from shopcore.admin.template_queries import customer_by_email, recent_customers
from shopcore.admin.template_samples import sample_customer
from shopcore.models import Customer

FIELDS = ("customer", "kind")


@dataclass(frozen=True)
class PreviewChoice:
    form: Form
    customer: Customer
    kind: TriggerKind
    # The customers offered in the email field's suggestions, newest first.
    recent: list[Customer]

    @property
    def args(self) -> dict[str, str]:
        """The choice as query arguments, for the preview's and the editor's links."""
        return {"customer": self.customer.email or "", "kind": self.kind.value}


def read_choice(session: Session, values: Mapping[str, str], *, kind: TriggerKind) -> PreviewChoice:
    """The customer (by email; the newest one by default) and kind (``kind`` by default).

    An unknown email or kind is an error on its field, and the default stands in for it.
    """
    form = Form({name: values.get(name, "") for name in FIELDS})
    recent = recent_customers(session)
    email = form.text("customer", max_length=320)
    customer = customer_by_email(session, email) if email else None
    if email and customer is None:
        form.error("customer", "No customer has this email.")
    chosen_kind = form.choice("kind", TriggerKind) or kind
    fallback = recent[0] if recent else sample_customer()
    return PreviewChoice(form, customer or fallback, chosen_kind, recent)
