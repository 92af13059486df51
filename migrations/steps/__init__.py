"""Every step, oldest first. Append new steps; never edit or reorder one that may have run somewhere."""

from migrations.steps import (
    m0001_stk_payment_indexes,
    m0002_b2c_indexes,
    m0003_idempotency_keys,
    m0004_reconciliation_indexes,
    m0005_audit_collections,
    m0006_rate_limits,
    m0007_prompt_locks,
    m0008_api_keys,
    m0009_events_and_webhooks,
    m0010_status_query_index,
    m0011_change_order,
    m0012_rate_limits_off_the_store,
    m0014_c2b_collections,
    m0017_balances,
    m0018_reversals,
)

STEPS = (
    m0001_stk_payment_indexes,
    m0002_b2c_indexes,
    m0003_idempotency_keys,
    m0004_reconciliation_indexes,
    m0005_audit_collections,
    m0006_rate_limits,
    m0007_prompt_locks,
    m0008_api_keys,
    m0009_events_and_webhooks,
    m0010_status_query_index,
    m0011_change_order,
    m0012_rate_limits_off_the_store,
    m0014_c2b_collections,
    m0017_balances,
    m0018_reversals,
)
