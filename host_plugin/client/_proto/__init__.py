"""Generated protobuf code (by proto/generate.py; never edit by hand)."""
