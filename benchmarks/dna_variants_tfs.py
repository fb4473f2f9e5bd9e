"""TFs known to act in each MPRA cell line (for the `motif_cell` row of dna_variants.py).

Fixed before looking at any result, from textbook / review knowledge of the cell types (no
expression data is in the mirror): ubiquitous promoter factors for every element, plus the
lineage factors of the cell line the element was measured in. JASPAR TF names."""

GENERAL = ["SP1", "SP2", "NFYA", "NFYB", "ELK1", "ELK4", "GABPA", "ETS1", "NRF1", "YY1",
           "CREB1", "ATF1", "ZNF143", "TBP", "E2F1", "E2F4", "USF1", "USF2", "MAX", "CTCF"]  # fmt: skip
CELL_LINE = {
    "HepG2": ["HNF1A", "HNF1B", "HNF4A", "HNF4G", "FOXA1", "FOXA2", "CEBPA", "CEBPB",
              "ONECUT1", "NR2F2", "RXRA"],
    "HEL92.1.7": ["GATA1", "GATA2", "TAL1", "KLF1", "NFE2", "RUNX1", "FLI1", "GFI1B"],
    "K562": ["GATA1", "GATA2", "TAL1", "KLF1", "NFE2", "RUNX1", "FLI1", "GFI1B"],
    "HeLa": ["FOS", "JUN", "FOSL1", "TEAD1", "TEAD4"],
    "HEK293T": [],
    "SK-MEL-28": ["MITF", "SOX10", "TFAP2A", "TFAP2C", "TFE3", "TFEB"],
    "HaCaT": ["TP63", "TFAP2A", "KLF4", "KLF5", "GRHL2"],
    "LNCaP": ["AR", "FOXA1", "HOXB13", "NKX3-1"],
    "Neuro-2a": ["PHOX2B", "ASCL1", "SOX10", "HAND2", "GATA2", "GATA3"],
    "MIN6": ["PDX1", "NEUROD1", "FOXA2", "NKX6-1", "MAFA", "ISL1", "RFX6"],
    "SF7996": ["GABPA", "ETV1", "SOX2", "OLIG2"],
    "NIH-3T3": ["HOXD13", "HAND2", "ETV4", "ETV5"],
}  # fmt: skip


def tfs_for(cell_line: str) -> list[str]:
    return sorted(set(GENERAL) | set(CELL_LINE.get(cell_line, [])))
