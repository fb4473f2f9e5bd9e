"""cli.common: every error reaches the user as a plain message with exit code 2."""

import gzip
import zlib

import pytest
import typer
from typer.testing import CliRunner

from helixforge.cli.common import handle_errors
from helixforge.core.errors import InputError


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def boom() -> None:
        """Raise."""
        raise exc

    return app


@pytest.mark.parametrize(
    "exc",
    [EOFError("Compressed file ended"), zlib.error("bad"), gzip.BadGzipFile("x")],
)
def test_damaged_compression_is_a_message_not_aborted(exc):
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == 2
    assert "truncated or corrupt" in res.output and "Aborted" not in res.output


def test_user_data_is_printed_verbatim_not_as_markup():
    res = CliRunner().invoke(_app(InputError("bad value [bold]x[/bold] in [np]")), [])
    assert res.exit_code == 2
    assert "[bold]x[/bold] in [np]" in res.output


def test_colon_words_in_user_data_are_not_turned_into_emoji():
    # Rich reads ":100:" as an emoji code: a tokenizer spec like dna-bpe:100: must print as given
    res = CliRunner().invoke(_app(InputError("spec dna-bpe:100: and :smile: refused")), [])
    assert res.exit_code == 2
    assert "dna-bpe:100: and :smile:" in res.output


def test_every_device_option_refuses_a_malformed_device_before_work():
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, ["dna", "train", "x.csv", "-o", "y", "--device", "gpu"])
    assert res.exit_code == 2 and "not a device" in res.output


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (OSError(36, "File name too long", "x" * 300 + ".csv"), "at most 255 bytes"),
        (PermissionError(13, "Permission denied", "/data/in.csv"), "/data/in.csv"),
        (OSError(28, "No space left on device", "out.csv"), "free disk space"),
        (IsADirectoryError(21, "Is a directory", "a.tmp", None, "out.csv"), "a.tmp -> out.csv"),
    ],
)
def test_an_os_error_is_a_message_naming_the_path_not_a_traceback(exc, shown):
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == 2 and not isinstance(res.exception, OSError)
    assert "Traceback" not in res.output and shown in res.output
    assert exc.strerror in res.output


def test_a_path_name_too_long_for_the_os_through_a_real_verb(tmp_path):
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    for argv in (
        [
            "chem",
            "standardize",
            str(tmp_path / ("x" * 300 + ".csv")),
            "-o",
            str(tmp_path / "o.csv"),
        ],
        [
            "chem",
            "standardize",
            str(tmp_path / "in.csv"),
            "-o",
            str(tmp_path / ("y" * 300 + ".csv")),
        ],
    ):
        res = CliRunner().invoke(app, argv)
        assert res.exit_code == 2 and "File name too long" in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_jobs_beyond_the_cpus_are_cut_to_them_except_on_a_ray_cluster(capsys):
    from helixforge.cli.common import resolve_jobs
    from helixforge.core.parallel import available_cpus

    cpus = available_cpus()
    assert resolve_jobs(0) == cpus and resolve_jobs(1) == 1
    assert resolve_jobs(cpus + 997) == cpus  # not 1,000 worker processes on a laptop
    assert f"--jobs {cpus + 997} is more than the {cpus} CPU(s)" in capsys.readouterr().err
    assert resolve_jobs(cpus + 997, cap=False) == cpus + 997  # Ray workers live elsewhere


@pytest.mark.parametrize("seed", ["-5", "4294967296", "99999999999999999999"])
def test_a_seed_outside_0_to_2_32_is_a_usage_error_before_work(seed, tmp_path):
    """NumPy refuses negative seeds and torch ones past 2**64: a traceback after the input was
    read. Every verb shares SEED, so it is checked once, in the option."""
    from helixforge.cli.app import app

    for argv in (
        ["chem", "train", str(tmp_path / "in.csv"), "--label-col", "y"],
        ["chem", "generate", "--n", "5"],
    ):
        res = CliRunner().invoke(app, [*argv, "--seed", seed, "-o", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert "--seed" in res.output and "4294967295" in res.output
        assert not (tmp_path / "o").exists()


def test_the_largest_seed_is_accepted():
    from helixforge.cli.common import _seed

    assert _seed(0) == 0 and _seed(2**32 - 1) == 2**32 - 1


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "predict", "RUN", "IN", "-o", "OUT", "--input-col", ""],
        ["chem", "train-prior", "IN", "-o", "OUT", "--input-col", "  "],
        ["chem", "finetune-prior", "IN", "-o", "OUT", "--input-col", ""],
        ["chem", "train", "IN", "-o", "OUT", "--label-col", "y", "--label-col", ""],
        ["chem", "screen", "IN", "--model", "RUN", "-o", "OUT", "--id-col", ""],
    ],
)
def test_a_blank_column_name_is_a_usage_error_naming_the_option(tmp_path, argv):
    """--input-col '' was read as 'the default' by some verbs (predict, train-prior), as a
    column '' by others, and finetune-prior said column 'smiles' was not found next to
    'did you mean smiles'."""
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles,y\nCCO,1\nCCN,2\n")
    paths = {"IN": str(tmp_path / "in.csv"), "OUT": str(tmp_path / "out"), "RUN": str(tmp_path)}
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "empty column name" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "predict", "", "IN", "-o", "OUT"],
        ["chem", "predict", "IN", "", "-o", "OUT"],
        ["chem", "standardize", "", "-o", "OUT"],
        ["chem", "generate", "--model", "", "--n", "3", "-o", "OUT"],
        ["chem", "generate", "--fcd-ref", " ", "--n", "3", "-o", "OUT"],
        ["chem", "train-prior", "IN", "--init", "", "-o", "OUT"],
        ["chem", "design", "--config", "", "-o", "OUT"],
        ["chem", "screen", "IN", "--model", "IN", "--all-out", "", "-o", "OUT"],
        ["chem", "standardize", "-", "-o", "OUT"],
        ["chem", "train-prior", "-", "-o", "OUT"],
    ],
)
def test_a_blank_path_is_a_usage_error_not_the_current_directory(tmp_path, argv):
    """'' was read as '.': '.: not a prior', '.: is a directory, expected a table file';
    '-' (standard input) was 'file not found'."""
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    paths = {"IN": str(tmp_path / "in.csv"), "OUT": str(tmp_path / "out.csv")}
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "200"})
    words = "standard input" if "-" in argv else "an empty path"
    assert res.exit_code == 2 and words in res.output, res.output
    assert not (tmp_path / "out.csv").exists()


def test_a_blank_split_column_is_refused_not_ignored(tmp_path):
    """--split-col '' silently fell back to the scaffold split."""
    from helixforge.cli.app import app

    argv = ["chem", "train", str(tmp_path / "in.csv"), "--label-col", "y", "--split-col", ""]
    res = CliRunner().invoke(app, [*argv, "-o", str(tmp_path / "run")])
    assert res.exit_code == 2 and "empty column name" in res.output, res.output


# ------------------------------------------------------------- classes of bad input, every verb


def _walk_verbs():
    import typer.main

    from helixforge.cli.app import app

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in sorted(cmd.commands.items()):
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    yield from walk(typer.main.get_command(app), [])


FLOAT_OPTIONS = [
    (verb, p.opts[-1] if p.opts[-1].startswith("--") else p.opts[0])
    for verb, cmd in _walk_verbs()
    for p in cmd.params
    if p.param_type_name == "option" and p.type_descriptor.annotation is float
]


def test_the_float_option_walk_finds_the_float_options():
    assert len(FLOAT_OPTIONS) >= 15
    assert (["chem", "train"], "--coverage") in FLOAT_OPTIONS


@pytest.mark.parametrize(
    ("verb", "option"), FLOAT_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
@pytest.mark.parametrize(
    ("value", "words"), [("nan", "not a number"), ("inf", "not finite"), ("-inf", "not finite")]
)
def test_every_float_option_refuses_nan_and_inf_as_not_a_number(verb, option, value, words):
    """NaN failed the range test and was told 'Input should be less than or equal to 1' (the
    wrong reason), and inf passed an option with no upper bound (--lr inf, --max-minutes inf)."""
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, [*verb, option, value], env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '{option}'" in res.output and words in res.output, res.output
    assert "should be" not in res.output


def test_a_float_option_states_its_open_range():
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, ["chem", "train", "--coverage", "1"], env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "0 < x < 1" in res.output, res.output
    res = CliRunner().invoke(app, ["lm", "finetune", "--lr", "0"], env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "> 0" in res.output, res.output


def test_finite_float_parses_and_checks_the_range():
    from helixforge.cli.common import finite_float

    parse = finite_float(0.0, 1.0, low_open=True)
    assert parse("0.5") == 0.5 and parse("1") == 1.0 and parse(None) is None
    for bad in ("0", "nan", "NaN", "inf", "1.5", "abc"):
        with pytest.raises(typer.BadParameter):
            parse(bad)


@pytest.fixture
def fifo(tmp_path):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "admet", "PIPE", "-o", "OUT"],
        ["chem", "predict", "TMP", "PIPE", "-o", "OUT"],
        ["chem", "standardize", "PIPE", "-o", "OUT"],
        ["dna", "train", "PIPE", "-o", "OUT"],
        ["dna", "predict", "TMP", "PIPE", "-o", "OUT"],
        ["dna", "motifs", "scan", "PIPE", "-o", "OUT"],
        ["lm", "pretrain", "--corpus", "PIPE", "--tokenizer", "dna-char", "-o", "OUT"],
        ["crispr", "score-ontarget", "PIPE", "-o", "OUT"],
        ["dna", "variants", "score", "--vcf", "PIPE", "--genome", "PIPE", "-o", "OUT"],
    ],
)
def test_a_named_pipe_is_refused_as_not_a_regular_file(tmp_path, fifo, argv):
    """A FIFO's size is 0: it was 'file is empty' (or the open blocked). Inputs are read more
    than once (sniffed, checksummed, resumed), so a stream is refused by name, not read."""
    from helixforge.cli.app import app

    paths = {"PIPE": str(fifo), "OUT": str(tmp_path / "out.csv"), "TMP": str(tmp_path)}
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert "named pipe (FIFO), not a regular file" in res.output, res.output
    assert "empty" not in res.output


def test_a_character_device_is_refused_as_not_a_regular_file(tmp_path):
    import os

    from helixforge.cli.app import app

    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    argv = ["chem", "standardize", "/dev/null", "-o", str(tmp_path / "o.csv")]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "character device, not a regular file" in res.output


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["chem", "train", "IN", "--label-col", "y", "--split", "Scaffold"], "IN"),
        (["chem", "train", "IN", "--label-col", "y", "--task", "Regression"], "IN"),
        (["chem", "train", "IN", "--label-col", "y", "--model", "GBM", "--salts", "Keep"], "IN"),
        (["dna", "train", "IN", "--task", "Binary", "--split", "Random", "--iupac", "N"], "IN"),
        (["lm", "finetune", "IN", "IN", "--task", "Regression"], "IN"),
        (["chem", "embed", "IN", "--features", "MiniMol"], "IN"),
        (["crispr", "train-ontarget", "IN", "--label-col", "y", "--model", "CNN"], "IN"),
        (["lm", "pretrain", "--corpus", "IN", "--tokenizer", "dna-char", "--size", "Micro",
          "--arch", "GPT2"], "IN"),
    ],
)  # fmt: skip
def test_choices_are_accepted_in_any_case(tmp_path, argv, shown):
    """--split Scaffold / --task Regression were refused; now normalised, so the verb goes on
    to the missing input (the only thing wrong)."""
    from helixforge.cli.app import app

    missing = str(tmp_path / "missing.csv")
    argv = [missing if a == "IN" else a for a in argv]
    res = CliRunner().invoke(app, [*argv, "-o", str(tmp_path / "o")], env={"COLUMNS": "300"})
    assert res.exit_code == 2
    assert "is not one of" not in res.output and "missing.csv" in res.output, res.output


def test_an_unknown_choice_names_the_choices_and_the_nearest(tmp_path):
    from helixforge.cli.app import app

    argv = ["chem", "train", str(tmp_path / "x.csv"), "--label-col", "y", "--split", "scafold"]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2
    assert "not one of: scaffold, cluster, random, stratified" in res.output
    assert "did you mean 'scaffold'?" in res.output


def test_choice_normalises_lists_and_leaves_other_values_to_the_library():
    from helixforge.cli.common import choice, model_spec

    assert choice("auto", "binary", "regression", lists=True)("Regression,BINARY") == (
        "regression,binary"
    )
    assert choice("gbm", "cnn", strict=False)("runs/MyModel") == "runs/MyModel"
    spec = model_spec("cnn", "resnet")
    assert spec("CNN") == "cnn" and spec("LM:runs/MyLM") == "lm:runs/MyLM"
    assert spec("runs/X") == "runs/X"


RESUME_VERBS = [
    verb
    for verb, cmd in _walk_verbs()
    if any("--resume" in p.opts for p in cmd.params if p.param_type_name == "option")
]


def test_the_resume_walk_finds_every_resumable_verb():
    assert len(RESUME_VERBS) >= 14
    assert ["chem", "train"] in RESUME_VERBS and ["lm", "pretrain"] in RESUME_VERBS


@pytest.mark.parametrize("verb", RESUME_VERBS, ids=" ".join)
def test_resume_on_a_finished_output_says_it_is_complete(tmp_path, verb):
    """--resume on an output a finished job wrote said 'already exists; pass --overwrite', as
    if another job were there: it now says the run is complete, where, and that --overwrite
    redoes it. Checked before any input is read, so the inputs here are placeholders."""
    from helixforge.cli.app import app

    cmd = dict((tuple(v), c) for v, c in _walk_verbs())[tuple(verb)]
    placeholder = tmp_path / "in.csv"
    placeholder.write_text("smiles,y\nCCO,1\n")
    done = tmp_path / "done"
    done.mkdir()
    (done / "result.csv").write_text("x\n1\n")
    argv = [*verb]
    for p in cmd.params:
        if p.required and p.param_type_name == "argument":
            argv.append(str(placeholder))
        elif p.required and p.param_type_name == "option" and "--out" not in p.opts:
            argv += [p.opts[0], str(placeholder)]
    argv += ["-o", str(done), "--resume"]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert f"{done} is already complete" in res.output, res.output
    assert "--overwrite instead of --resume to redo" in res.output
    assert (done / "result.csv").exists()


def test_resume_with_interrupted_work_beside_a_finished_output_is_not_refused(tmp_path):
    from helixforge.cli.common import refuse_finished_resume
    from helixforge.core.errors import ConfigError

    done = tmp_path / "run"
    done.mkdir()
    (done / "x").write_text("1")
    with pytest.raises(ConfigError, match="already complete"):
        refuse_finished_resume(done, resume=True, overwrite=False)
    refuse_finished_resume(done, resume=True, overwrite=True)  # --overwrite redoes it
    refuse_finished_resume(done, resume=False, overwrite=False)  # the library's own refusal
    (tmp_path / ".run.partial").mkdir()  # an interrupted job to continue
    refuse_finished_resume(done, resume=True, overwrite=False)
    ckpt = tmp_path / "prior"
    ckpt.mkdir()
    (ckpt / "prior.pt").write_text("1")
    with pytest.raises(ConfigError, match="already complete"):
        refuse_finished_resume(ckpt, resume=True, overwrite=False, pending=ckpt / "checkpoint")
    (ckpt / "checkpoint").mkdir()
    refuse_finished_resume(ckpt, resume=True, overwrite=False, pending=ckpt / "checkpoint")


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["dna", "variants", "score", "--vcf", "IN", "--genome", "IN", "--model", ""], "--model"),
        (["crispr", "score-ontarget", "IN", "--model", ""], "--model"),
        (["crispr", "design", "--target", "ACGT" * 8, "--ontarget-model", ""], "--ontarget-model"),
        (["dna", "motifs", "scan", "IN", "--tax", ""], "--tax"),
        (["lm", "pretrain", "--corpus", "IN", "--tokenizer", "dna-char", "--holdout", ""],
         "--holdout"),
        (["chem", "train", "IN", "--label-col", "y", "--metric", " "], "--metric"),
        (["chem", "train", "IN", "--label-col", "y", "--task", "regression,"], "--task"),
        (["chem", "screen", "IN", "--model", "IN", "--filters", ""], "--filters"),
        (["chem", "screen", "IN", "--model", "IN", "--score", " "], "--score"),
        (["dna", "motifs", "scan", "IN", "--collection", ""], "--collection"),
        (["dna", "variants", "score", "--vcf", "IN", "--genome", "IN", "--tfs", ""], "--tfs"),
        (["dna", "design", "IN", "--seed-seq", "ACGT", "--keep-out", ""], "--keep-out"),
        (["dna", "train", "IN", "--split", "chromosome", "--test-chroms", ""], "--test-chroms"),
        (["data", "path", "esol", "--part", ""], "--part"),
    ],
)  # fmt: skip
def test_a_blank_value_is_refused_naming_the_option(tmp_path, argv, option):
    """'' was read as the current directory ('.: no config.json', '.: no trained model here')
    or silently as 'every group' / 'no on-target model'."""
    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles,y\nCCO,1\n")
    argv = [str(tmp_path / "in.csv") if a == "IN" else a for a in argv]
    out = [] if argv[:2] == ["data", "path"] else ["-o", str(tmp_path / "o.tsv")]
    res = CliRunner().invoke(app, [*argv, *out], env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '{option}'" in res.output and "an empty value" in res.output


@pytest.mark.parametrize(
    ("fractions", "words"),
    [("0,0,1", "the training fraction (the first) must be more than 0"), ("nan,0.5,0.5", "finite")],
)
def test_dna_train_fractions_name_the_fault(tmp_path, fractions, words):
    """--fractions 0,0,1 was 'the training part of the split is empty → check --split'."""
    from helixforge.cli.app import app

    data = tmp_path / "d.csv"
    data.write_text(
        "sequence,label\n" + "".join(f"ACGTACGTAC{'ACGT'[i % 4]},{i % 2}\n" for i in range(4))
    )
    argv = ["dna", "train", str(data), "--fractions", fractions, "-o", str(tmp_path / "run")]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2 and words in res.output, res.output
    assert not (tmp_path / "run").exists()


def test_a_directory_given_as_the_fcd_reference_is_not_called_missing(tmp_path):
    from helixforge.cli.app import app

    argv = [
        "chem",
        "generate",
        "--n",
        "3",
        "--fcd-ref",
        str(tmp_path),
        "-o",
        str(tmp_path / "g.csv"),
    ]
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "is a directory, expected a reference SMILES file" in res.output
    assert "not found" not in res.output


# positional arguments that are names or specs, not paths
NOT_PATHS = {("data", "fetch", "name"), ("data", "path", "name"), ("data", "show", "name"),
             ("lm", "tokenizer", "train", "spec")}  # fmt: skip


def test_every_path_argument_goes_through_path_value():
    """So a blank path, '-' and a named pipe / device are refused the same way in every verb
    (dna train, dna predict, lm predict … read a FIFO as 'file is empty' or blocked on it)."""
    missing = [
        " ".join([*verb, p.name])
        for verb, cmd in _walk_verbs()
        for p in cmd.params
        if p.param_type_name == "argument"
        and (*verb, p.name) not in NOT_PATHS
        and getattr(p.callback, "__name__", None) != "path_value"
    ]
    assert not missing, f"path arguments without callback=path_value: {missing}"


def _library_choices():
    from helixforge.chem.generate.design import OPTIMIZERS
    from helixforge.chem.pretrained.embed import FEATURES
    from helixforge.chem.screen.run import BACKENDS
    from helixforge.chem.standardize import SALT_POLICIES
    from helixforge.chem.train import SPLITS
    from helixforge.dna.design.edit import METHODS as DESIGN_METHODS
    from helixforge.dna.interpret.pipeline import METHODS as INTERPRET_METHODS
    from helixforge.dna.sequence import IUPAC_POLICIES
    from helixforge.dna.variants.score import METHODS as VARIANT_METHODS
    from helixforge.lm.finetune import TASKS
    from helixforge.lm.models import ARCHS, SIZES

    return [
        (("chem", "train"), "--split", SPLITS),
        (("chem", "train"), "--salts", SALT_POLICIES),
        (("chem", "standardize"), "--salts", SALT_POLICIES),
        (("chem", "design"), "--optimizer", OPTIMIZERS),
        (("chem", "screen"), "--backend", BACKENDS),
        (("chem", "embed"), "--features", FEATURES),
        (("dna", "design"), "--method", DESIGN_METHODS),
        (("dna", "interpret"), "--method", INTERPRET_METHODS),
        (("dna", "variants", "score"), "--method", VARIANT_METHODS),
        (("dna", "train"), "--iupac", IUPAC_POLICIES),
        (("dna", "predict"), "--iupac", IUPAC_POLICIES),
        (("lm", "finetune"), "--task", TASKS),
        (("lm", "pretrain"), "--arch", ARCHS),
        (("lm", "pretrain"), "--size", tuple(SIZES)),
    ]


def test_the_cli_choice_lists_accept_every_value_the_library_takes():
    """The CLI lists its choices without importing the library (a fast start): a value the
    library gains must not be refused by a stale CLI list."""
    verbs = {tuple(v): c for v, c in _walk_verbs()}
    for verb, option, values in _library_choices():
        param = next(p for p in verbs[verb].params if option in p.opts)
        for value in values:
            assert param.callback(None, param, value) == value, (verb, option, value)
            assert param.callback(None, param, value.upper()) == value, (verb, option, value)


@pytest.mark.parametrize(
    "argv",
    [
        ["chem", "screen", "IN", "--model", "IN", "--all-out", "/dev/null", "-o", "OUT"],
        ["chem", "admet", "IN", "--report", "/dev/null", "-o", "OUT"],
        ["lm", "score", "IN", "IN", "-o", "OUT", "--per-position", "/dev/null"],
        ["chem", "standardize", "IN", "-o", "FIFO", "--overwrite"],
    ],
)
def test_an_output_that_is_a_device_or_pipe_is_refused_not_replaced(tmp_path, argv):
    import os

    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    os.mkfifo(tmp_path / "fifo.csv")
    paths = {"IN": str(tmp_path / "in.csv"), "OUT": str(tmp_path / "out.csv"),
             "FIFO": str(tmp_path / "fifo.csv")}  # fmt: skip
    res = CliRunner().invoke(app, [paths.get(a, a) for a in argv], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert (
        "character device" in res.output or "named pipe" in res.output
    ) and "renamed" in res.output
    assert (tmp_path / "fifo.csv").is_fifo()  # --overwrite replaced it with a regular file


def test_an_open_range_is_shown_as_open_in_the_help():
    """typer printed '[0.0<=x<=1.0]' for options that refuse 0 and 1."""
    from helixforge.cli.app import app

    res = CliRunner().invoke(app, ["lm", "pretrain", "--help"], env={"COLUMNS": "200"})
    assert "(x > 0)" in res.output and "0.0<=x" not in res.output


def test_an_error_raised_without_a_hint_still_says_what_to_do():
    """'error: x.fa: is a directory, expected a FASTA file' ended there: no next step."""
    from helixforge.core.errors import ConfigError, EmptyInputError

    res = CliRunner().invoke(_app(InputError("x.fa: is a directory, expected a FASTA file")), [])
    assert res.exit_code == 2 and "→ check the file named above" in res.output
    res = CliRunner().invoke(_app(EmptyInputError("m.transfac: no motifs found")), [])
    assert "→ give a file that holds data" in res.output
    res = CliRunner().invoke(_app(ConfigError("--x is bad")), [])
    assert "--help` says what each accepts" in res.output
    res = CliRunner().invoke(_app(InputError("y", hint="do z")), [])
    assert "→ do z" in res.output and "check the file" not in res.output


def test_bytes_that_are_not_utf8_in_a_foreign_reader_are_a_message_not_a_traceback():
    """pysam decoding a VCF id 'rs300\\xe9' raised UnicodeDecodeError: exit 1, a traceback."""
    exc = UnicodeDecodeError("utf-8", b"rs300\xe9", 5, 6, "unexpected end of data")
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == 2 and "not UTF-8" in res.output and "0xE9" in res.output
    assert "iconv" in res.output and "Traceback" not in res.output
