"""Math and optimisation pages (math-optim)."""
