"""Pure functions from bytes and text to typed records. No I/O beyond what is given."""
