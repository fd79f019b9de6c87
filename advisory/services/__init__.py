"""Domain operations with one commit boundary: they flush, the caller commits."""
