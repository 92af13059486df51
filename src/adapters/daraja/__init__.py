"""Safaricom Daraja over HTTPS (or the bundled simulator over loopback HTTP): one base URL decides which."""
