"""The gateway's business rules: payments, their states and the ports they need. Pure Python."""
