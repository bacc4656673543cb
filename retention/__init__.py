"""RFM segments, trigger flows and email delivery."""
