"""Domain-free core: tables, errors, splits, metrics, training, artifacts, reports, parallel map."""
