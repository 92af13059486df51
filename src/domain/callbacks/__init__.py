"""Daraja's callbacks as received: the journal, what each one did, and the anomalies worth a look."""
