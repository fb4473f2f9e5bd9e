"""Why a corpus line cannot be trained on (`train_prior.corpus_problem`), as errors.csv says it.

corpus_problem("NFCC")   # "not a valid SMILES: ... atom 2 as written, F, has a valence of 2 ..."
"""

import pytest

from helixforge.chem.generate.train_prior import corpus_problem


@pytest.mark.parametrize(
    ("smiles", "words"),
    [
        ("NFCC", "atom 2 as written, F, has a valence of 2"),  # parses, fails sanitization
        ("c1ccnc1", "Can't kekulize"),  # a pyrrole written without its [nH]
        ("C1CC", "syntax error"),  # an unclosed ring
        ("InChI=1S/CH4/h1H4", "an InChI"),
        ("12345", "is a number, not a SMILES"),
    ],
)
def test_an_unusable_smiles_says_what_is_wrong_with_it(smiles, words):
    """Every SMILES RDKit refused was 'not a valid SMILES (RDKit cannot parse it)': a
    fluorine with two bonds and a missing [nH] read as typos, with nothing to fix."""
    why = corpus_problem(smiles)
    assert why.startswith("not a valid SMILES"), why
    assert words in why, why
