"""What every capability shares: value objects, the error catalogue, status changes, cursors, ports."""
