"""Refuse an output path that is, or would replace, one of the job's inputs.

The check lives in `helixforge.core.io` (every domain needs it); re-exported here for the
dna / crispr call sites.
"""

from helixforge.core.io import check_not_input  # noqa: F401
