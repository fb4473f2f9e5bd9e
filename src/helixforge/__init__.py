"""HelixForge: AI workbench for genetics, drug discovery and gene editing."""

__version__ = "0.3.2"
