"""C2B: customers paying the merchant's Paybill or Till, matched to the payment requests the merchant expects."""
