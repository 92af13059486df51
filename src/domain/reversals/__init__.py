"""Refunds of completed M-PESA payments by Daraja's Transaction Reversal (docs/reversals.md)."""
