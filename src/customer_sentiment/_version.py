"""The installed version of customer-sentiment, stamped into every saved model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("customer-sentiment")
except PackageNotFoundError:      # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
