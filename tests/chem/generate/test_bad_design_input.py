"""Bad design files and options are refused before any work, naming the file, line and fix."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helixforge.chem.generate.scoring import load_scoring
from helixforge.cli.app import app
from helixforge.core.errors import ConfigError

GOOD = '[[component]]\ntype = "qed"\n'

# (case, TOML text, line the message must name, words the message must contain)
BAD_CONFIGS = [
    ("toml syntax", 'title = "x\n' + GOOD, 1, "not valid TOML"),
    ("unknown top key", 'titel = "x"\n' + GOOD, 1, "unknown key 'titel'"),
    (
        "unknown scoring key",
        '[scoring]\naggregat = "geometric"\n' + GOOD,
        2,
        "unknown key 'aggregat'",
    ),
    ("bad aggregate", '[scoring]\naggregate = "median"\n' + GOOD, 2, "unknown aggregate 'median'"),
    ("no components", 'title = "x"\n', None, "no scoring components"),
    ("unknown component type", '[[component]]\ntype = "qde"\n', 2, "unknown component type 'qde'"),
    ("missing type", "[[component]]\nweight = 1\n", 1, "has no 'type'"),
    ("unknown component key", GOOD + "wieght = 2\n", 3, "unknown key 'wieght'"),
    ("negative weight", GOOD + "weight = -1\n", 3, "weight = -1"),
    ("zero weight", GOOD + "weight = 0\n", 3, "weight = 0"),
    ("weight as text", GOOD + 'weight = "high"\n', 3, "weight = 'high'"),
    (
        "unknown transform",
        GOOD + 'transform = { type = "sigmod" }\n',
        3,
        "unknown transform type 'sigmod'",
    ),
    (
        "transform missing low",
        GOOD + 'transform = { type = "sigmoid", high = 2 }\n',
        3,
        "needs 'low'",
    ),
    (
        "transform low above high",
        GOOD + 'transform = { type = "sigmoid", low = 5, high = 2 }\n',
        3,
        "must be below",
    ),
    (
        "transform unknown param",
        GOOD + 'transform = { type = "gaussian", mu = 1, sigma = 1, k = 2 }\n',
        3,
        "unknown parameter 'k'",
    ),
    (
        "transform sigma zero",
        GOOD + 'transform = { type = "gaussian", mu = 1, sigma = 0 }\n',
        3,
        "'sigma' must be > 0",
    ),
    (  # sigmoid at +inf scored every molecule 0, silently
        "transform high infinite",
        GOOD + 'transform = { type = "sigmoid", low = 0, high = inf }\n',
        3,
        "'high' is infinite",
    ),
    (  # the span overflowed to inf: every molecule scored 0.5
        "transform span overflows",
        '[[component]]\ntype = "property"\nproperty = "logp"\n'
        'transform = { type = "sigmoid", low = -1e308, high = 1e308 }\n',
        4,
        "too large to compute",
    ),
    (
        "gaussian sigma infinite",
        GOOD + 'transform = { type = "gaussian", mu = 1, sigma = inf }\n',
        3,
        "'sigma' is infinite",
    ),
    (
        "transform sub-table",
        GOOD + '[component.transform]\ntype = "step"\nlow = "a"\n',
        5,
        "'low' must be a number",
    ),
    (
        "bad SMARTS",
        GOOD + '[[component]]\ntype = "substructure"\nsmarts = ["c1ccccc1", "C(("]\n',
        5,
        "SMARTS 'C(('",
    ),
    (
        "bad mode",
        GOOD + '[[component]]\ntype = "substructure"\nsmarts = "c1ccccc1"\nmode = "banned"\n',
        6,
        "unknown mode 'banned'",
    ),
    (
        "bad reference SMILES",
        '[[component]]\ntype = "similarity"\nsmiles = ["CCO", "C1CC"]\n',
        3,
        "reference SMILES 'C1CC'",
    ),
    (
        "empty reference list",
        '[[component]]\ntype = "similarity"\nsmiles = []\n',
        3,
        "smiles must be",
    ),
    (
        "bad fingerprint",
        '[[component]]\ntype = "similarity"\nsmiles = "CCO"\nfingerprint = "ecfp5"\n',
        4,
        "unknown fingerprint 'ecfp5'",
    ),
    ("similarity without smiles", '[[component]]\ntype = "similarity"\n', 1, "needs 'smiles'"),
    (
        "unknown property",
        '[[component]]\ntype = "property"\nproperty = "logd"\ntransform = "none"\n',
        3,
        "unknown property 'logd'",
    ),
    (
        "property without transform",
        '[[component]]\ntype = "property"\nproperty = "mw"\n',
        1,
        "needs a transform",
    ),
    (
        "element without element_count",
        '[[component]]\ntype = "property"\nproperty = "mw"\nelement = "F"\ntransform = "none"\n',
        4,
        "element is only used",
    ),
    (
        "element_count bad symbol",
        '[[component]]\ntype = "property"\nproperty = "element_count"\nelement = "Xx"\ntransform = "none"\n',
        4,
        "element_count needs",
    ),
    (
        "missing model dir",
        '[[component]]\ntype = "model"\npath = "no/such/run"\ntransform = "none"\n',
        3,
        "model directory no/such/run not found",
    ),
    (
        "model without transform",
        '[[component]]\ntype = "model"\npath = "x"\n',
        1,
        "needs a transform: a regression prediction is not a score in [0, 1]; a classifier's "
        'probability is one: say so with transform = "none"',  # was: 'its raw values are not
    ),
    ("duplicate names", GOOD + GOOD, 3, "two components are named 'qed'"),
    # a name that is an output column crashed the run after the prior was loaded (score,
    # step, rank) or overwrote a column (smiles, valid, novel)
    ("name is the score column", GOOD + 'name = "score"\n', 3, "is a column of the outputs"),
    ("name is the step column", GOOD + 'name = "step"\n', 3, "is a column of the outputs"),
    (  # one qed_raw column held the raw QED and the second component's score
        "name is another's raw column",
        GOOD + '[[component]]\ntype = "sa"\nname = "qed_raw"\n',
        5,
        "raw-value column of component 'qed'",
    ),
    (  # a list here was a TypeError traceback (unhashable type: 'list')
        "property as a list",
        '[[component]]\ntype = "property"\nproperty = ["mw"]\ntransform = "none"\n',
        3,
        "property = ['mw'] must be a string",
    ),
    (
        "endpoint as a number",
        '[[component]]\ntype = "admet"\nendpoint = 3\n',
        3,
        "must be a string",
    ),
    (  # RDKit read 'C C' as methane and scored similarity to methane
        "reference SMILES with a space",
        '[[component]]\ntype = "similarity"\nsmiles = ["CCO", "C C"]\n',
        3,
        "reference SMILES 'C C' does not parse (whitespace",
    ),
    (  # RDKit read the text after the space as a name: the pattern matched as 'C(=O)O'
        "SMARTS with a space",
        GOOD + '[[component]]\ntype = "substructure"\nsmarts = "C(=O)O N"\n',
        5,
        "SMARTS 'C(=O)O N' does not parse",
    ),
    ("name not an identifier", GOOD + 'name = "my score"\n', 3, "not a plain identifier"),
    (
        "only filters",
        '[[component]]\ntype = "substructure"\nsmarts = "c"\n',
        1,
        "every component is a filter",
    ),
    ("filter not bool", GOOD + 'filter = "yes"\n', 3, "filter must be true or false"),
    ("unknown rl key", GOOD + "[rl]\nsigam = 64\n", 4, "unknown key 'sigam'"),
    ("rl batch size zero", GOOD + "[rl]\nbatch_size = 0\n", 4, "batch_size = 0"),
    ("rl learning rate text", GOOD + '[rl]\nlearning_rate = "fast"\n', 4, "learning_rate = 'fast'"),
    (
        "rl diversity filter",
        GOOD + '[rl]\ndiversity_filter = "tanimoto"\n',
        4,
        "unknown diversity_filter",
    ),
    # the sampler's own limits: these passed the file check and failed after the prior loaded
    ("rl temperature below the sampler's", GOOD + "[rl]\ntemperature = 0.01\n", 4, "[0.05, 10.0]"),
    ("rl max_len above the sampler's", GOOD + "[rl]\nmax_len = 5000\n", 4, "max_len = 5000"),
    ("ga mutation rate above 1", GOOD + "[ga]\nmutation_rate = 1.5\n", 4, "mutation_rate = 1.5"),
    (
        "ga min above max atoms",
        GOOD + "[ga]\nmin_atoms = 40\nmax_atoms = 20\n",
        4,
        "min_atoms is above max_atoms",
    ),
    ("ga population float", GOOD + "[ga]\npopulation = 10.5\n", 4, "population = 10.5"),
    ("ga size_cap not a bool", GOOD + "[ga]\nsize_cap = 1\n", 4, "must be true or false"),
]


@pytest.mark.parametrize("value", [True, False])
def test_ga_size_cap_takes_true_or_false(tmp_path, value):
    from helixforge.chem.generate.scoring_config import read_design_config

    path = tmp_path / "design.toml"
    path.write_text(GOOD + f"[ga]\nsize_cap = {str(value).lower()}\n", encoding="utf-8")
    assert read_design_config(path).ga["size_cap"] is value


@pytest.mark.parametrize("case,text,line,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_names_file_line_and_fix(tmp_path, case, text, line, words):
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scoring(path)
    err = info.value
    where = f"{path}, line {line}:" if line else f"{path}:"
    assert err.message.startswith(where), err.message
    assert words in err.message, err.message
    assert err.hint, "every config error says how to fix it"


def test_at_least_twenty_bad_configs():
    assert len(BAD_CONFIGS) >= 20


def _cli(args):
    return CliRunner().invoke(app, ["chem", "design", *args])


@pytest.mark.parametrize(
    "case,args,words",
    [
        ("missing config", ["--config", "missing.toml"], "no such file"),
        ("config is a directory", ["--config", "ADIR"], "is a directory"),
        ("bad optimizer", ["--optimizer", "bayes"], "--optimizer"),
        ("zero budget", ["--budget", "0"], "--budget"),
        ("negative jobs", ["--jobs", "-1"], "--jobs"),
        ("bad config", ["--config", "BAD"], "line 2"),
        ("missing GA start file", ["--optimizer", "ga", "--config", "GASTART"], "start file"),
    ],
)
def test_cli_refuses_before_work(tmp_path, case, args, words):
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[component]]\ntype = "qde"\n', encoding="utf-8")
    ga = tmp_path / "ga.toml"
    ga.write_text(GOOD + '[ga]\nstart = "nowhere.smi"\n', encoding="utf-8")
    (tmp_path / "configs").mkdir()
    sub = {"BAD": str(bad), "GASTART": str(ga), "missing.toml": str(tmp_path / "missing.toml"),
           "ADIR": str(tmp_path / "configs")}  # fmt: skip
    args = [sub.get(a, a) for a in args]
    if "--config" not in args:
        args = ["--config", str(good), *args]
    out = tmp_path / "run"
    res = _cli([*args, "-o", str(out), "-q"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert words in res.output
    assert not out.exists() and not (tmp_path / ".run.partial").exists()


def test_existing_output_is_refused_without_overwrite(tmp_path):
    cfg = tmp_path / "design.toml"
    cfg.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    res = _cli(["--config", str(cfg), "-o", str(out), "-q"])
    assert res.exit_code == 2 and "already exists" in res.output
    assert (out / "keep.txt").exists()


def test_a_design_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Windows Notepad writes UTF-8 with a BOM; it is not part of the TOML."""
    from helixforge.chem.generate.scoring_config import read_design_config

    path = tmp_path / "design.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert [c.type for c in read_design_config(path).components] == ["qed"]


def test_a_bad_reference_smiles_is_our_message_without_rdkit_log_lines(tmp_path, capfd):
    path = tmp_path / "design.toml"
    path.write_text(
        GOOD + '[[component]]\ntype = "similarity"\nsmiles = ["not((a smiles"]\n'
        '[[component]]\ntype = "substructure"\nsmarts = ["[C"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="does not parse"):
        load_scoring(path)
    assert "Parse Error" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "name,text,where",
    [
        ("start.smi", "CCO\n# a comment\n\nC1CC\n", "line 4: 'C1CC'"),
        ("start.csv", "id,smiles\na,CCO\nb,CC>>CO\n", "line 3, column 'smiles': 'CC>>CO'"),
    ],
)
def test_ga_start_smiles_that_do_not_parse_are_refused_with_the_line(tmp_path, name, text, where):
    """A hand-picked start population is refused, not silently shrunk."""
    from helixforge.chem.generate.design import read_start_smiles
    from helixforge.core.errors import InputError

    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="1 of 2 start SMILES do not parse") as info:
        read_start_smiles(tmp_path / name, tmp_path)
    assert f"{tmp_path / name}, {where}" in info.value.message


def test_ga_start_table_finds_its_smiles_column_in_any_case(tmp_path):
    from helixforge.chem.generate.design import read_start_smiles

    (tmp_path / "s.csv").write_text("name,SMILES\na,CCO\nb,c1ccccc1O\n", encoding="utf-8")
    assert read_start_smiles(tmp_path / "s.csv", tmp_path)[0] == ["CCO", "c1ccccc1O"]


@pytest.mark.parametrize("header", ["smiles\n", "SMILES name\n", "\ufeffsmiles\n"])
def test_a_ga_start_smi_file_may_open_with_a_header_line(tmp_path, header):
    """A .smi start file with a 'smiles' header line (read as a header by the corpus and
    screen readers) was refused: "line 1: 'smiles': not a valid SMILES"."""
    from helixforge.chem.generate.design import read_start_smiles

    (tmp_path / "start.smi").write_text(header + "CCO a\nc1ccccc1O b\n", encoding="utf-8")
    assert read_start_smiles(tmp_path / "start.smi", tmp_path)[0] == ["CCO", "c1ccccc1O"]


def test_a_model_path_that_is_a_directory_but_not_a_run_is_not_called_not_found(tmp_path):
    # an existing folder without config.json was reported as "model directory X not found"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "notes.txt").write_text("x")
    path = tmp_path / "design.toml"
    path.write_text(
        '[[component]]\ntype = "model"\npath = "models"\ntransform = "none"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_scoring(path)
    message = info.value.message
    assert message.startswith(f"{path}, line 3:") and "not found" not in message
    assert "not a `helix chem train` run" in message and "no config.json" in message


@pytest.mark.parametrize("start", ["nowhere.smi", "starts"], ids=["missing", "a directory"])
def test_a_ga_start_file_that_cannot_be_read_names_the_toml_file_and_line(tmp_path, start):
    """A missing ga.start file was 'GA start file nowhere.smi not found', naming neither the
    TOML file nor the line it came from, as every other error of the file does."""
    from helixforge.chem.generate.design import design

    (tmp_path / "starts").mkdir()
    path = tmp_path / "design.toml"
    path.write_text(GOOD + f'[ga]\nstart = "{start}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        design(path, tmp_path / "run", optimizer="ga", budget=10)
    message = info.value.message
    assert message.startswith(f"{path}, line 4: ga.start: GA start file {start} "), message
    assert ("is a directory" if start == "starts" else "not found") in message
    assert "relative to the working directory or the TOML file" in info.value.hint
    assert not (tmp_path / "run").exists()


def test_overwrite_refuses_an_output_folder_that_holds_an_input(tmp_path):
    """-o DIR --overwrite replaced DIR even when it held the GA start file (or a model run a
    component reads, or the prior): the run deleted its own inputs."""
    from helixforge.chem.generate.design import design

    (tmp_path / "work").mkdir()
    start = tmp_path / "work" / "start.smi"
    start.write_text("CCOc1ccccc1\nCCNc1ccccc1\nCCCc1ccccc1O\n", encoding="utf-8")
    path = tmp_path / "design.toml"
    path.write_text(GOOD + f'[ga]\npopulation = 2\nstart = "{start}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="--out .*work holds the input .*start.smi"):
        design(path, tmp_path / "work", optimizer="ga", budget=3, overwrite=True)
    assert start.is_file()


def test_ga_start_salts_are_read_as_their_parent_molecules(tmp_path):
    """From HCl salts ('CCN(CC)CC.Cl') the GA made no child at all: crossover and mutation
    work on one connected molecule, so the run idled `patience` generations and stopped with
    only the start molecules scored."""
    from helixforge.chem.generate.design import design, read_start_smiles

    salts = ["CCOc1ccccc1C(=O)N.Cl", "Cl.NCCc1ccc(O)cc1", "CC(=O)Nc1ccc(O)cc1.O", "CCN(CC)CCO.Cl",
             "OC(=O)c1ccccc1.[Na+].[OH-]", "c1ccc2[nH]ccc2c1.Cl", "CCCCNC(=O)c1ccco1.Cl"]  # fmt: skip
    start = tmp_path / "start.smi"
    start.write_text("\n".join(salts) + "\n", encoding="utf-8")
    parents = read_start_smiles(start, tmp_path)[0]
    assert parents[:3] == ["CCOc1ccccc1C(N)=O", "NCCc1ccc(O)cc1", "CC(=O)Nc1ccc(O)cc1"]
    assert not any("." in s for s in parents)
    path = tmp_path / "design.toml"
    ga = "[ga]\npopulation = 7\noffspring = 14\npatience = 5\nmin_atoms = 3\n"
    path.write_text(GOOD + ga + f'start = "{start}"\n', encoding="utf-8")
    res = design(path, tmp_path / "run", optimizer="ga", budget=20, report=False)
    assert res.used == 20 and res.stopped == "budget"
