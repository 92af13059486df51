"""Listing, finding and catching up on records of every capability, and the stuck-record watch."""
