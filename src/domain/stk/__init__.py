"""STK push (Lipa na M-PESA Online): payments the gateway prompts for, their callbacks and their queries."""
