"""`python -m customer_sentiment ...` runs the CLI (and is what `torchrun -m` launches)."""

from .cli import run

if __name__ == "__main__":
    run()
