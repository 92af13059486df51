"""MongoDB persistence: the payment repository, its document shape, the client, and the embedded dev server."""
