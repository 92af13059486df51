from dataclasses import dataclass
from datetime import timedelta

import structlog

from domain.events.ports import Broadcaster
from domain.shared.amount import Amount
from domain.shared.check_schedule import STK_FIRST_CHECK_AFTER
from domain.shared.description import Description
from domain.shared.errors import (
    ConcurrentUpdateError,
    DomainError,
    PhoneHeldError,
    ProviderRejectedError,
    ProviderUnreachableError,
    StoreUnavailableError,
)
from domain.shared.idempotency import STK_SCOPE, keyed_request, store_unless_repeated
from domain.shared.merchant_data import STK_REFERENCE_LENGTH, optional_metadata, optional_reference
from domain.shared.phone import Phone
from domain.shared.ports import Clock, IdempotencyKeys, Identifiers
from domain.stk.payment import Payment
from domain.stk.ports import PaymentProvider, PaymentRepository
from domain.stk.prompt_limits import PromptGate
from domain.stk.use_cases.announce_payment import AnnouncePayment

logger = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class PushCommand:
    subject: str
    phone: object
    amount: object
    description: object
    idempotency_key: str | None = None
    reference: object = None
    metadata: object = None


class PushPayment:
    """Record the payment first, then ask Daraja to prompt the phone; never send the same push twice.

    A push that repeats an earlier one's idempotency key gets that payment back and sends nothing.
    """

    def __init__(
        self,
        payments: PaymentRepository,
        provider: PaymentProvider,
        broadcaster: Broadcaster,
        clock: Clock,
        identifiers: Identifiers,
        keys: IdempotencyKeys,
        maximum_amount: int,
        first_check_after: timedelta = STK_FIRST_CHECK_AFTER,
        gate: PromptGate | None = None,
    ) -> None:
        self._payments, self._provider, self._announce = payments, provider, AnnouncePayment(broadcaster)
        self._clock, self._identifiers, self._keys = clock, identifiers, keys
        self._maximum_amount = maximum_amount
        self._first_check_after = first_check_after
        self._gate = gate

    async def __call__(self, command: PushCommand) -> Payment:
        payment = Payment.start(
            payment_id=self._identifiers.new_id(),
            subject=command.subject,
            phone=Phone.parse(command.phone),
            amount=Amount.parse(command.amount, maximum=self._maximum_amount),
            description=Description.parse(command.description),
            callback_token=self._identifiers.new_secret(),
            now=self._clock.now(),
            reference=optional_reference(command.reference, STK_REFERENCE_LENGTH),
            metadata=optional_metadata(command.metadata),
        )
        keyed = keyed_request(
            STK_SCOPE,
            payment.subject,
            command.idempotency_key,
            "push",
            payment.phone,
            payment.amount,
            payment.description,
            payment.reference,
            payment.metadata,
        )
        original = await store_unless_repeated(
            self._keys,
            keyed,
            payment.id,
            payment.created_at,
            store=lambda: self._admit_and_add(payment),
            find_original=lambda payment_id: self._payments.by_checkout(payment.subject, payment_id),
        )
        if original is not None:
            logger.info("stk_push_repeated", payment_id=original.id, hash=original.subject)
            return original
        return await self._push(payment)

    async def _admit_and_add(self, payment: Payment) -> None:
        # After the idempotency check, so a client retrying with its `ref` gets its payment back, never a refusal.
        if self._gate is None:
            await self._payments.add(payment)
            return
        await self._gate.admit(payment, payment.created_at)
        try:
            await self._payments.add(payment)
        except PhoneHeldError as held:
            raise await self._gate.held_elsewhere(payment, held, payment.created_at) from None

    async def _push(self, payment: Payment) -> Payment:
        try:
            # Bound so the adapter's own log lines (the Daraja call) name the payment they belong to.
            with structlog.contextvars.bound_contextvars(payment_id=payment.id, hash=payment.subject):
                accepted = await self._provider.start_stk_push(payment.stk_request())
        except ProviderRejectedError as refusal:
            payment.reject(refusal.provider_code, refusal.provider_message, self._clock.now())
            await self._record_for(refusal, payment)
            raise
        except ProviderUnreachableError as fault:
            payment.reject("PROVIDER_UNAVAILABLE", fault.message, self._clock.now())
            await self._record_for(fault, payment)
            raise
        except Exception as fault:
            # The prompt may be on the phone already: only Daraja's callback may decide this payment now.
            payment.mark_outcome_unknown(self._clock.now())
            await self._record_for(fault, payment)
            raise
        payment.accept(accepted, self._clock.now(), first_check_after=self._first_check_after)
        return await self._record(payment)

    async def _record_for(self, error: Exception, payment: Payment) -> None:
        """Store the payment and let the error carry it, so the client can follow it on its topic."""
        recorded = await self._record(payment)
        if isinstance(error, DomainError):
            error.details.append({"payment": recorded.view()})

    async def _record(self, payment: Payment) -> Payment:
        try:
            await self._payments.save(payment)
        except ConcurrentUpdateError:
            # Daraja's callback got here first and settled the payment: the stored record is the truth,
            # and the callback has already published it (its final write freed the phone).
            return await self._payments.by_checkout(payment.subject, payment.id) or payment
        except StoreUnavailableError:
            # Daraja has already answered, so "nothing was done" would be a lie that invites a second prompt.
            # The stored record (pending, found by its callback token) is settled by Daraja's callback.
            logger.error(
                "stk_push_unrecorded",
                payment_id=payment.id,
                hash=payment.subject,
                checkout=payment.checkout,
                status=payment.status.value,
                outcome_unknown=payment.outcome_unknown,
            )
        await self._announce(payment)
        logger.info(
            "stk_push",
            payment_id=payment.id,
            hash=payment.subject,
            checkout=payment.checkout,
            phone=payment.phone.masked,
            amount=payment.amount.shillings,
            status=payment.status.value,
            outcome_unknown=payment.outcome_unknown,
        )
        return payment
