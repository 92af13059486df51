"""The event log: what happened to each record, the outbox that feeds it and the live broadcast."""
