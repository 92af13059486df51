"""Webhook endpoints the merchant registers and the signed deliveries of events to them."""
