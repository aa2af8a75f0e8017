"""FinOps: cost by desk and team from FOCUS billing data, anomalies, commitments, estimates."""
