def test_overlapping_kmer_masking_hides_each_seed_from_its_neighbours():
    import torch

    from helixforge.lm.batching import mask_for_mlm

    ids = torch.arange(10, 60).repeat(4, 1)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    g = torch.Generator().manual_seed(0)
    inputs, labels = mask_for_mlm(
        ids, special, mask_id=1, vocab_size=100, first_normal_id=5, radius=5, generator=g
    )
    picked = labels != -100
    assert not picked[special].any()
    # spans, not isolated tokens: every picked token has a picked neighbour
    left = torch.zeros_like(picked)
    left[:, 1:] = picked[:, :-1]
    right = torch.zeros_like(picked)
    right[:, :-1] = picked[:, 1:]
    assert (picked & ~(left | right)).sum() == 0
    assert 0.05 < picked[~special].float().mean() < 0.4
