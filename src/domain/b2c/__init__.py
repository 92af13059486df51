"""B2C: withdrawals paid to a customer's phone, their results and their Transaction Status queries."""
