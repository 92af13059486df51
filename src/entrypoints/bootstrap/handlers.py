"""What the route handlers may ask Litestar for, by name (the socket routes read theirs from the app's state).

Each provider here is one a handler declares as a parameter of that name (`push_payment: NamedDependency[PushPayment]`),
an alias of the capability container's provider. The app (entrypoints.app) hands Litestar exactly these, and at build
refuses a handler asking for a name not here, and a name here no handler asks for; an alias naming a provider its
capability does not have is an undefined dependency, refused there too (`check_dependencies`). The providers
that are not aliases bundle what one route asks for into one dependency (entrypoints.http.callbacks's
CallbackReception says why): the callback routes' receptions and the C2B hooks'.
"""

from typing import Any

from dependency_injector import containers, providers

from entrypoints.http.c2b_hooks import C2bHooks
from entrypoints.http.callbacks import CallbackReception


def _reception(
    use_case: Any, names_record: Any, shared: tuple[Any, ...]
) -> providers.Singleton[CallbackReception[Any]]:
    """A callback route's one dependency (a plain function, so the container collects only what it returns).

    Built once: its use case and token lookup keep no state of a request's (what they keep, the journal's digest
    budget, the payments a repository remembers, is the process's), and building them for every callback cost ~40 µs
    of CPU each, about 3% of a callback's."""
    return providers.Singleton(CallbackReception, use_case, names_record, *shared)


class HandlerDependencies(containers.DeclarativeContainer):
    stk = providers.DependenciesContainer()
    b2c = providers.DependenciesContainer()
    reversals = providers.DependenciesContainer()
    balances = providers.DependenciesContainer()
    c2b = providers.DependenciesContainer()
    events = providers.DependenciesContainer()
    callbacks = providers.DependenciesContainer()
    records = providers.DependenciesContainer()
    access = providers.DependenciesContainer()
    infrastructure = providers.DependenciesContainer()

    push_payment = stk.push_payment

    request_withdrawal = b2c.request_withdrawal

    request_reversal = reversals.request_reversal
    show_reversal = reversals.show_reversal

    check_balance = balances.check_balance
    show_balances = balances.show_balances

    c2b_hooks = providers.Singleton(  # built once, as the callback receptions are
        C2bHooks, c2b.c2b_hook_secret, c2b.validate_payment, c2b.confirm_payment, infrastructure.gateway_metrics
    )
    create_payment_request = c2b.create_payment_request
    draw_request_qr = c2b.draw_request_qr
    find_c2b_payments = c2b.find_c2b_payments
    c2b_payment_by_trans_id = c2b.c2b_payment_by_trans_id
    register_c2b_urls = c2b.register_c2b_urls

    read_event_feed = events.read_event_feed
    register_webhook = events.register_webhook
    webhook_details = events.webhook_details
    remove_webhook = events.remove_webhook
    enable_webhook = events.enable_webhook
    replay_events = events.replay_events
    list_deliveries = events.list_deliveries

    readiness_checks = records.readiness_checks
    list_anomalies = records.list_anomalies
    show_callback_trail = records.show_callback_trail
    list_stuck_records = records.list_stuck_records
    find_record = records.find_record
    list_records = records.list_records

    operator_token = access.operator_token

    gateway_metrics = infrastructure.gateway_metrics

    # The callback routes' receptions: each URL's use case and token lookup, with what every callback route shares.
    _every_callback_route = (callbacks.journal_callback, callbacks.callback_sources, infrastructure.gateway_metrics)
    stk_callback_reception = _reception(stk.handle_stk_callback, stk.stk_callback_token_known, _every_callback_route)
    b2c_callback_reception = _reception(b2c.handle_b2c_result, b2c.b2c_callback_token_known, _every_callback_route)
    b2c_status_reception = _reception(
        b2c.handle_transaction_status_result, b2c.status_callback_token_known, _every_callback_route
    )
    reversal_callback_reception = _reception(
        reversals.handle_reversal_result, reversals.reversal_callback_token_known, _every_callback_route
    )
    reversal_status_reception = _reception(
        reversals.handle_reversal_status, reversals.reversal_status_token_known, _every_callback_route
    )
    balance_callback_reception = _reception(
        balances.handle_balance_result, balances.balance_callback_token_known, _every_callback_route
    )


class SimulatorHandlerDependencies(containers.DeclarativeContainer):
    """What only the simulator mode's routes ask for (the demo's prompt-count reset, its pretend customer paying the
    Paybill): handed to Litestar in that mode only, so that both modes are checked exactly."""

    stk = providers.DependenciesContainer()
    c2b = providers.DependenciesContainer()

    prompt_gate = stk.prompt_gate
    simulated_customer_pays = c2b.simulated_customer_pays
