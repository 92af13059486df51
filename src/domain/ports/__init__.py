"""What the use-cases need from the outside world, named in the domain's words."""

from domain.ports.broadcaster import Broadcaster
from domain.ports.clock import Clock
from domain.ports.identifiers import Identifiers
from domain.ports.payment_provider import PaymentProvider
from domain.ports.payment_repository import PaymentRepository

__all__ = ["Broadcaster", "Clock", "Identifiers", "PaymentProvider", "PaymentRepository"]
