"""crispr."""
