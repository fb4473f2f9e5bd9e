"""chem/models."""
