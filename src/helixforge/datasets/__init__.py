"""Named public datasets: where they come from, their checksums, and where to find them locally."""

from helixforge.datasets.registry import (
    Dataset,
    get_dataset,
    list_datasets,
    load_frame,
    mirror_root,
    resolve,
)

__all__ = ["Dataset", "get_dataset", "list_datasets", "load_frame", "mirror_root", "resolve"]
