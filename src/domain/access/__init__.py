"""API keys and capability tokens: who may call the gateway and what for."""
