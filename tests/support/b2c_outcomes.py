"""What a gateway client sees for each B2C scenario of the simulator; docs/simulator.md shows the same table."""

# Scenario name → the withdrawal's state the client ends up seeing.
B2C_GATEWAY_OUTCOMES = {
    "success": "success",
    "insufficient balance": "failed",
    "invalid initiator": "failed",
    "receiver not registered": "failed",
    "queue time-out": "timeout",
    "result duplicated": "success",
    "Daraja slow": "success",
    # No Result ever comes: the withdrawal stays submitted until Transaction Status reconciles it.
    "result lost": "submitted",
    # Daraja answered 500: the payout may or may not have been made; it stays submitted, outcome unknown, never re-sent.
    "Daraja fails": "submitted",
}
WAITING_STATES = frozenset({"queued", "submitted"})
