"""Classes of a separate --valid / --test file matched to the training classes."""

import numpy as np
import pytest

from helixforge.core.errors import ConfigError, RowErrors
from helixforge.core.supervised.label_classes import align_part_classes


def _align(train, part, task="auto"):
    errors = RowErrors("dev.csv")
    keep, labels = align_part_classes(
        train, part, task=task, rows=list(range(2, 2 + len(part))), source="dev.csv",
        column="label", errors=errors,
    )  # fmt: skip
    return keep.tolist(), labels, [(e.file, e.row, e.value) for e in errors]


def test_spellings_of_a_training_class_take_its_spelling():
    train = ["pos", "neg", "pos", "neg", "Pos"]  # mostly 'pos'
    keep, labels, errs = _align(train, [" POS", "neg ", "Neg", np.nan, "pos"])
    assert keep == [True] * 5 and errs == []
    assert labels[:3] == ["pos", "neg", "neg"] and np.isnan(labels[3]) and labels[4] == "pos"
    keep, labels, _ = _align([0.0, 1.0, 1.0], ["1", "0.0", "true", 1, "false"])
    assert keep == [True] * 5 and labels == [1.0, 0.0, 1.0, 1.0, 0.0]


def test_a_class_the_training_file_lacks_is_an_error_row_and_no_class_at_all_an_error():
    keep, labels, errs = _align([0.0, 1.0] * 5, [0.0, 2.0, 1.0, 2.0])
    assert keep == [True, False, True, False]
    assert errs == [("dev.csv", 3, "2"), ("dev.csv", 5, "2")]
    with pytest.raises(ConfigError, match=r"dev\.csv: none of its labels in 'label' \(0, 1\)"):
        _align(["neg", "pos"] * 5, [0.0, 1.0, 1.0])


def test_regression_labels_are_left_alone():
    train = list(np.linspace(-2, 3, 40))
    assert _align(train, [7.5, -9.0]) == ([True, True], [7.5, -9.0], [])
    assert _align([0.0, 1.0] * 5, [0.5], task="regression") == ([True], [0.5], [])
