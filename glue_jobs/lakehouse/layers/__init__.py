"""Pure transforms per layer: ``DataFrame -> DataFrame``, no I/O, no catalog."""
