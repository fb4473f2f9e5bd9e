"""Generative chemistry: a chemical language model prior (`prior`), its training
(`train_prior`), transfer learning (`finetune`), sampling verbs (`sampling`) and the MOSES
distribution metrics (`metrics`). Scoring, RL and GA optimisers build on `prior.Prior`.

Nothing heavy is imported here: `from helixforge.chem.generate.prior import Prior`.
"""
