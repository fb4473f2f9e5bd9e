"""CRISPR nucleases: PAMs, spacer lengths, cut sites and the sequence layout models read.

    from helixforge.crispr.enzymes import get_enzyme, Enzyme
    cas9 = get_enzyme("spcas9")                     # NGG, 20 nt, blunt cut 3 nt 5' of the PAM
    mine = Enzyme.custom("NNNRRT", spacer=21, side="3prime")

Vocabulary used everywhere in `helixforge.crispr`:

* **site** — spacer-matching protospacer plus its PAM, read 5'→3' on the strand that carries
  the PAM (the non-target strand): ``protospacer + PAM`` for 3' PAMs (Cas9), ``PAM +
  protospacer`` for 5' PAMs (Cas12a).
* **cut offsets** — distance in nt from the PAM-proximal end of the protospacer, counted into
  the protospacer, to the cut on the non-target and on the target strand. SpCas9 cuts blunt 3 nt
  from the PAM ``(3, 3)``; Cas12a cuts staggered 18 / 23 nt after the PAM ``(18, 23)``.
* **context** — the window on-target models read: ``context_upstream`` nt 5' of the site, the
  site, ``context_downstream`` nt 3' of it (SpCas9: 4 + 20 + 3 + 3 = the Rule Set 2 30-mer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.sequence import IUPAC

PamSide = Literal["3prime", "5prime"]

MAX_SPACER = 32  # 2 bits per base in one uint64
MAX_PAM = 8  # 2 bits per base in one uint16
_IUPAC_CODES = set(IUPAC) - {"U"}
# bit per base: A=1, C=2, G=4, T=8; genome code 4 (N or anything else) -> 0, so it never matches
_BASE_BIT = np.array([1, 2, 4, 8, 0], dtype=np.uint8)
_CODE_BITS = {c: sum(1 << "ACGT".index(b) for b in bases) for c, bases in IUPAC.items()}


def check_pam(pam: str, what: str = "PAM") -> str:
    """Upper-case a PAM string and check it is 1–8 IUPAC codes; raise InputError otherwise."""
    if not isinstance(pam, str) or not pam.strip():
        raise InputError(f"{what} is empty", hint="give the PAM in IUPAC letters, e.g. NGG or TTTV")
    p = pam.strip().upper()
    for i, ch in enumerate(p):
        if ch not in _IUPAC_CODES:
            raise InputError(
                f"{what} {pam!r}: character {ch!r} at position {i + 1} is not an IUPAC nucleotide code",
                hint="use A C G T and the ambiguity codes R Y S W K M B D H V N (e.g. NGG, NNGRRT, TTTV)",
            )
    if len(p) > MAX_PAM:
        raise InputError(
            f"{what} {pam!r} is {len(p)} nt long; at most {MAX_PAM} nt are supported",
            hint=f"PAMs of up to {MAX_PAM} nt are supported (NNGRRT for SaCas9, NNNNGATT for "
            "Nme1Cas9, TTTV for Cas12a); give the PAM without extra N positions",
        )
    return p


@dataclass(frozen=True)
class Enzyme:
    """A CRISPR nuclease as guide design needs it (see the module docstring for the terms)."""

    name: str
    pams: tuple[str, ...]
    spacer_length: int
    pam_side: PamSide = "3prime"
    cut_offsets: tuple[int, int] = (3, 3)
    offtarget_pams: tuple[str, ...] = ()
    context_upstream: int = 4
    context_downstream: int = 3
    description: str = ""
    aliases: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        from helixforge.lm.inputs import as_names

        # pams='NGG' is one PAM (it was read as the three PAMs N, G and G)
        object.__setattr__(self, "pams", tuple(as_names(self.pams, "pams") or ()))
        object.__setattr__(
            self, "offtarget_pams", tuple(as_names(self.offtarget_pams, "offtarget_pams") or ())
        )
        if not self.pams:
            raise InputError(
                f"enzyme {self.name!r} needs at least one PAM",
                hint="give the PAM(s) in IUPAC letters, e.g. NGG or TTTV",
            )
        object.__setattr__(self, "pams", tuple(check_pam(p) for p in self.pams))
        ot = tuple(check_pam(p, "off-target PAM") for p in (self.offtarget_pams or self.pams))
        object.__setattr__(self, "offtarget_pams", ot)
        lengths = {len(p) for p in self.pams + ot}
        if len(lengths) != 1:
            raise InputError(
                f"enzyme {self.name!r}: all PAMs must have the same length, got {sorted(lengths)}",
                hint="pad shorter PAMs with N on the side away from the protospacer",
            )
        if self.pam_side not in ("3prime", "5prime"):
            raise InputError(
                f"enzyme {self.name!r}: PAM side {self.pam_side!r} is not '3prime' or '5prime'",
                hint="Cas9-like enzymes have the PAM 3' of the protospacer; Cas12a 5'",
            )
        if not 10 <= int(self.spacer_length) <= MAX_SPACER:
            raise InputError(
                f"enzyme {self.name!r}: spacer length {self.spacer_length} is outside 10–{MAX_SPACER} nt",
                hint="give the protospacer length in nt: 20 for SpCas9, 21 for SaCas9, 23 for Cas12a",
            )
        for off in self.cut_offsets:
            if not 0 <= off <= self.spacer_length + 10:
                raise InputError(
                    f"enzyme {self.name!r}: cut offset {off} is out of range "
                    f"(0–{self.spacer_length + 10})",
                    hint="cut offsets count nt from the PAM into the protospacer, one per strand: "
                    "(3, 3) for SpCas9, (18, 23) for Cas12a",
                )

    # ------------------------------------------------------------------ layout
    @property
    def pam_length(self) -> int:
        return len(self.pams[0])

    @property
    def site_length(self) -> int:
        """Protospacer plus PAM."""
        return self.spacer_length + self.pam_length

    @property
    def context_length(self) -> int:
        return self.context_upstream + self.site_length + self.context_downstream

    @property
    def staggered(self) -> bool:
        return self.cut_offsets[0] != self.cut_offsets[1]

    def split_site(self, site: str) -> tuple[str, str]:
        """(protospacer, PAM) of a site string laid out for this enzyme."""
        if self.pam_side == "3prime":
            return site[: self.spacer_length], site[self.spacer_length :]
        return site[self.pam_length :], site[: self.pam_length]

    def join_site(self, protospacer: str, pam: str) -> str:
        return protospacer + pam if self.pam_side == "3prime" else pam + protospacer

    def spacer_offset_in_site(self) -> int:
        return 0 if self.pam_side == "3prime" else self.pam_length

    def describe(self) -> dict:
        """One row for `helix crispr enzymes`."""
        return {
            "name": self.name,
            "pams": ",".join(self.pams),
            "pam_side": self.pam_side,
            "spacer_length": self.spacer_length,
            "cut_offsets": f"{self.cut_offsets[0]}/{self.cut_offsets[1]}"
            + (" (staggered)" if self.staggered else " (blunt)"),
            "offtarget_pams": ",".join(self.offtarget_pams),
            "context": f"{self.context_upstream}+{self.site_length}+{self.context_downstream}"
            f"={self.context_length} nt",
            "description": self.description,
        }

    # ------------------------------------------------------------------ constructors
    @classmethod
    def custom(
        cls,
        pam: str | tuple[str, ...] | list[str],
        spacer: int = 20,
        side: PamSide = "3prime",
        cut: tuple[int, int] | None = None,
        offtarget_pams: tuple[str, ...] | list[str] | None = None,
        name: str | None = None,
    ) -> Enzyme:
        """A user enzyme: any IUPAC PAM(s), spacer length and PAM side.

        The cut defaults to Cas9-like blunt 3 nt from a 3' PAM and Cas12a-like 18/23 nt from a
        5' PAM.
        """
        pams = (pam,) if isinstance(pam, str) else tuple(pam)
        side = {"3": "3prime", "3'": "3prime", "5": "5prime", "5'": "5prime"}.get(str(side), side)
        if cut is None:
            cut = (3, 3) if side == "3prime" else (18, 23)
        label = name or f"custom_{'_'.join(p.upper() for p in pams)}_{spacer}nt_{side}"
        return cls(
            name=label,
            pams=pams,
            spacer_length=int(spacer),
            pam_side=side,  # type: ignore[arg-type]
            cut_offsets=tuple(cut),  # type: ignore[arg-type]
            offtarget_pams=tuple(offtarget_pams) if offtarget_pams else (),
            description="user-defined enzyme",
        )

    def with_offtarget_pams(self, pams: tuple[str, ...] | list[str]) -> Enzyme:
        return replace(self, offtarget_pams=tuple(pams))


ENZYMES: dict[str, Enzyme] = {
    e.name: e
    for e in [
        Enzyme(
            "spcas9",
            ("NGG",),
            20,
            "3prime",
            (3, 3),
            ("NGG", "NAG", "NGA"),
            4,
            3,
            "S. pyogenes Cas9; NAG/NGA sites are searched as off-targets (Hsu 2013, Tsai 2015)",
            aliases=("cas9", "spycas9"),
        ),
        # the high-fidelity variants keep SpCas9's PAM, spacer and cut; they differ in which
        # guides cut well (their own on-target heads) and cut fewer off-targets than CFD,
        # fitted on wild-type SpCas9, predicts (a conservative specificity for them)
        Enzyme(
            "espcas9",
            ("NGG",),
            20,
            "3prime",
            (3, 3),
            ("NGG", "NAG", "NGA"),
            4,
            3,
            "eSpCas9(1.1) (Slaymaker 2016): SpCas9's PAM and cut; its own on-target model "
            "(DeepHF); CFD (wild-type) overstates its off-target activity",
            aliases=("espcas9(1.1)", "espcas911", "espcas91.1"),
        ),
        Enzyme(
            "spcas9hf1",
            ("NGG",),
            20,
            "3prime",
            (3, 3),
            ("NGG", "NAG", "NGA"),
            4,
            3,
            "SpCas9-HF1 (Kleinstiver 2016): SpCas9's PAM and cut; its own on-target model "
            "(DeepHF); CFD (wild-type) overstates its off-target activity",
            aliases=("hf1", "cas9hf1"),
        ),
        Enzyme(
            "sacas9",
            ("NNGRRT",),
            21,
            "3prime",
            (3, 3),
            ("NNGRRT",),
            4,
            3,
            "S. aureus Cas9 (Ran 2015); 21-nt spacers (21–23 nt work)",
            aliases=("saucas9",),
        ),
        Enzyme(
            "ascas12a",
            ("TTTV",),
            23,
            "5prime",
            (18, 23),
            ("TTTV",),
            4,
            3,
            "Acidaminococcus Cas12a (Cpf1; Zetsche 2015); staggered cut 18/23 nt after the PAM",
            aliases=("cas12a", "cpf1", "ascpf1"),
        ),
        Enzyme(
            "lbcas12a",
            ("TTTV",),
            23,
            "5prime",
            (18, 23),
            ("TTTV",),
            4,
            3,
            "Lachnospiraceae Cas12a (LbCpf1); same PAM and cut layout as AsCas12a",
            aliases=("lbcpf1",),
        ),
        Enzyme(
            "enascas12a",
            ("TTYN", "VTTV", "TRTV"),
            23,
            "5prime",
            (18, 23),
            ("TTYN", "VTTV", "TRTV"),
            4,
            3,
            "enhanced AsCas12a (Kleinstiver 2019): expanded PAMs TTYN, VTTV, TRTV",
            aliases=("enas", "encas12a"),
        ),
    ]
}

_CUSTOM_RE = re.compile(r"^custom:([A-Za-z]+):(\d+)(?::(3|5)(?:prime|')?)?$", re.IGNORECASE)
# the name `Enzyme.custom` gives a custom enzyme (custom_NNGRRT_21nt_3prime): printed in index
# summaries and in hints ("helix crispr index GENOME --enzyme NAME"), so it must read back
_CUSTOM_LABEL_RE = re.compile(r"^custom_((?:[A-Za-z]+_)+)(\d+)nt_(3prime|5prime)$", re.IGNORECASE)
_CUSTOM_HINT = (
    "write custom:PAM:SPACER_LENGTH[:3|5]: the PAM in IUPAC letters, the spacer length in nt "
    "(10–32) and the PAM side, 3 (default, Cas9-like) or 5 (Cas12a-like); e.g. custom:NGG:20, "
    "custom:NNGRRT:21:3, custom:TTTV:23:5"
)


def _custom_problem(text: str) -> str:
    """What is wrong with a 'custom:…' enzyme string that does not parse."""
    parts = text.split(":")
    if parts[0].lower() != "custom" or len(parts) == 1:
        return "a custom enzyme is written custom:PAM:SPACER_LENGTH[:3|5]"
    if len(parts) == 2:
        return "the spacer length is missing"
    if len(parts) > 4:
        return f"{len(parts) - 1} fields after 'custom:'; at most 3 (PAM, spacer length, side)"
    pam, spacer = parts[1], parts[2]
    if not pam:
        return "the PAM is empty"
    if not re.fullmatch(r"[A-Za-z]+", pam):
        return f"PAM {pam!r} is not IUPAC letters"
    if not spacer.isdigit():
        return f"spacer length {spacer!r} is not a whole number of nt"
    if len(parts) == 4:
        return f"PAM side {parts[3]!r} is not 3 or 5 (the side of the protospacer the PAM lies on)"
    return "it does not read as custom:PAM:SPACER_LENGTH[:3|5]"


def list_enzymes() -> list[Enzyme]:
    """The built-in enzymes."""
    return list(ENZYMES.values())


def get_enzyme(name: str | Enzyme) -> Enzyme:
    """An Enzyme by name (case-insensitive, aliases allowed), ``custom:PAM:SPACER[:3|5]``, or the
    name a custom enzyme is shown under (``custom_NNGRRT_21nt_3prime``)."""
    if isinstance(name, Enzyme):
        return name
    key = str(name).strip().lower().replace("-", "").replace("_", "")
    for enz in ENZYMES.values():
        if key == enz.name or key in enz.aliases:
            return enz
    if label := _CUSTOM_LABEL_RE.match(str(name).strip()):  # the name of a custom enzyme
        pams, spacer, side = label.groups()
        if 10 <= int(spacer) <= MAX_SPACER:
            side = "5prime" if side.lower() == "5prime" else "3prime"
            return Enzyme.custom(tuple(pams.rstrip("_").split("_")), spacer=int(spacer), side=side)
    m = _CUSTOM_RE.match(str(name).strip())
    if m:
        pam, spacer, side = m.groups()
        if not 10 <= int(spacer) <= MAX_SPACER:
            raise ConfigError(
                f"--enzyme {name!r}: spacer length {int(spacer)} is outside 10–{MAX_SPACER} nt",
                hint="give the protospacer length in nt, e.g. custom:NGG:20 (SpCas9-like) or "
                "custom:TTTV:23:5 (Cas12a-like)",
            )
        return Enzyme.custom(pam, spacer=int(spacer), side="5prime" if side == "5" else "3prime")
    if key.startswith("custom"):
        raise ConfigError(
            f"--enzyme {name!r}: {_custom_problem(str(name).strip())}", hint=_CUSTOM_HINT
        )
    raise ConfigError(
        f"--enzyme {name!r}: unknown enzyme",
        hint=f"built-in: {', '.join(ENZYMES)}; or a custom one as custom:PAM:SPACER_LENGTH[:3|5] "
        "(e.g. custom:NNGRRT:21:3)",
    )


def ontarget_model_name(enzyme: str | Enzyme) -> str:
    """The name on-target models are kept under for `enzyme` (any spelling `get_enzyme` reads:
    'cas9', 'SpCas9', 'custom:NGG:20'): a built-in's own name, and 'spcas9' for a custom enzyme
    of SpCas9's layout (NGG 3' of a 20-nt spacer, read as SpCas9's 30-mer context)."""
    enz = get_enzyme(enzyme)
    cas9 = ENZYMES["spcas9"]
    layout = ("pams", "spacer_length", "pam_side", "context_upstream", "context_downstream")
    if enz.name.startswith("custom_") and all(getattr(enz, a) == getattr(cas9, a) for a in layout):
        return cas9.name
    return enz.name


# ---------------------------------------------------------------------- PAM scanning


def pam_bits(pam: str) -> np.ndarray:
    """Per PAM position, the set of allowed bases as a bit mask (A=1, C=2, G=4, T=8)."""
    return np.array([_CODE_BITS[c] for c in check_pam(pam)], dtype=np.uint8)


def pam_match_starts(codes: np.ndarray, pam: str) -> np.ndarray:
    """Boolean mask over window starts of `codes` (uint8, A0 C1 G2 T3 N4) where `pam` matches.

    Output length is ``len(codes) - len(pam) + 1`` (or 0). A base that is not A/C/G/T never
    matches, even against N in the PAM.
    """
    bits = pam_bits(pam)
    n = len(codes) - len(bits) + 1
    if n <= 0:
        return np.zeros(0, dtype=bool)
    base = _BASE_BIT[np.minimum(codes, 4)]
    ok = np.ones(n, dtype=bool)
    for j, b in enumerate(bits):
        ok &= (base[j : j + n] & b) != 0
    return ok


def pam_code_matcher(pams: tuple[str, ...] | list[str], pam_length: int) -> np.ndarray:
    """Lookup table over 2-bit PAM codes (4**pam_length entries): True where any PAM matches."""
    codes = np.arange(4**pam_length, dtype=np.int64)
    ok = np.zeros(len(codes), dtype=bool)
    for pam in pams:
        bits = pam_bits(pam)
        if len(bits) != pam_length:
            raise InputError(
                f"PAM {pam!r} is {len(bits)} nt; this search uses {pam_length}-nt PAMs"
            )
        hit = np.ones(len(codes), dtype=bool)
        for j, b in enumerate(bits):
            base = (codes >> (2 * (pam_length - 1 - j))) & 3
            hit &= (_BASE_BIT[base] & b) != 0
        ok |= hit
    return ok
