"""`python -m customer_sentiment ...` runs the CLI (and is what `torchrun -m` launches)."""

from .cli import app

app(prog_name="customer-sentiment")
