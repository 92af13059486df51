"""Load and latency bench for the gateway, run against a bare uvicorn baseline in the same run (bench/README.md)."""
