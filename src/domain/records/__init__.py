"""Listing and finding payments and withdrawals, catching sockets up on them, and the stuck-record watch."""
