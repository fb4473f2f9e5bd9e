"""dna/models."""
