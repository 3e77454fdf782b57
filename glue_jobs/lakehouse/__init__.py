"""The lakehouse library: shipped to AWS Glue as --extra-py-files and used by the local runner."""

__version__ = "0.1.0"
