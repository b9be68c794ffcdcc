"""The options checker, and the tiny student's one options class with its one set of defaults."""

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple

import pytest

from students import make_student
from students.errors import ConfigError, StudentError
from students.options import above, at_least, build, check, within
from students.tiny_gpt import TinyGPTOptions, tiny_gpt
from students.training import TrainConfig


class Row(NamedTuple):
    prompt: str
    answer: str


@dataclass(frozen=True, slots=True)
class Inner:
    size: int = field(default=1, metadata=at_least(1))

    def __post_init__(self) -> None:
        check(self, "outer.inner")


@dataclass(frozen=True, slots=True)
class Outer:
    count: int = 1
    rate: float = field(default=0.5, metadata=within(0, 1, low_open=True))
    name: str = "x"
    flag: bool = False
    mode: Literal["a", "b"] = "a"
    limit: int | None = field(default=None, metadata=above(0))
    names: tuple[str, ...] = ()
    pair: tuple[float, float] = (0.0, 1.0)
    table: dict[str, int] = field(default_factory=dict)
    anything: Any = None
    inner: Inner = field(default_factory=Inner)

    def __post_init__(self) -> None:
        check(self, "outer")


def test_values_are_converted_where_no_meaning_is_lost():
    built = build(Outer, {"count": 3.0, "rate": 1, "names": ["p", "q"], "pair": [1, 2],
                          "table": {"k": 2}, "inner": {"size": 4}, "anything": [1]}, "outer")
    assert built == Outer(3, 1.0, names=("p", "q"), pair=(1.0, 2.0), table={"k": 2},
                          inner=Inner(4), anything=[1])
    assert isinstance(built.rate, float) and isinstance(built.pair[0], float)


@pytest.mark.parametrize("data, message", [
    ({"count": "3"}, "config key 'outer.count' = '3': expected an integer"),
    ({"count": True}, "config key 'outer.count' = True: expected an integer"),
    ({"count": 2.5}, "config key 'outer.count' = 2.5: expected an integer"),
    ({"rate": 0}, r"config key 'outer.rate' = 0.0: expected a value within \(0, 1\]"),
    ({"name": 3}, "config key 'outer.name' = 3: expected a string"),
    ({"flag": "yes"}, "config key 'outer.flag' = 'yes': expected true or false"),
    ({"mode": "c"}, "config key 'outer.mode' = 'c': expected one of 'a', 'b'"),
    ({"limit": 0}, "config key 'outer.limit' = 0: expected more than 0"),
    ({"names": "p"}, "config key 'outer.names' = 'p': expected a list of strings"),
    ({"names": ["p", 3]}, r"config key 'outer.names\[1\]' = 3: expected a string"),
    ({"pair": [1]}, "config key 'outer.pair' = \\[1\\]: expected a list of 2 numbers"),
    ({"table": {"k": "v"}}, "config key 'outer.table.k' = 'v': expected an integer"),
    ({"inner": {"size": 0}}, "config key 'outer.inner.size' = 0: expected at least 1"),
    ({"inner": 5}, "config key 'outer.inner' = 5: expected a table of Inner settings"),
    ({"cuont": 1}, r"unknown config key 'outer.cuont' \(known: count, rate, name, "),
    ({"pair": [float("nan"), 1]}, r"config key 'outer.pair\[0\]' = nan: expected a finite number"),
    ({"pair": [0, float("inf")]}, r"config key 'outer.pair\[1\]' = inf: expected a finite number"),
])
def test_a_bad_value_is_one_line_naming_key_value_and_expectation(data, message):
    with pytest.raises(ConfigError, match=message) as error:
        build(Outer, data, "outer")
    assert "\n" not in str(error.value)


def test_direct_construction_is_checked_the_same_way():
    with pytest.raises(ConfigError, match="config key 'outer.count' = 'abc': expected an integer"):
        Outer(count="abc")
    with pytest.raises(ConfigError, match="config key 'outer.inner.size' = 0: expected at least 1"):
        Outer(inner=Inner(0))


def test_text_values_parse_only_when_asked():
    built = build(Outer, {"count": "3", "limit": "none", "names": "p, q", "flag": "true"},
                  "outer", text=True)
    assert (built.count, built.limit, built.names, built.flag) == (3, None, ("p", "q"), True)
    with pytest.raises(ConfigError, match="'outer.count' = 'three': expected an integer"):
        build(Outer, {"count": "three"}, "outer", text=True)


def test_tiny_gpt_defaults_are_the_options_class_defaults():
    """One set of defaults: the factory's student, the options class, and the training
    loop's config (which the options class extends) agree."""
    assert tiny_gpt().config == TinyGPTOptions()
    defaults = TinyGPTOptions()
    assert (defaults.d_model, defaults.rehearsal, defaults.epochs, defaults.threads) == (64, 0.5, 3, 1)
    train = TrainConfig()
    assert {k: getattr(defaults, k) for k in asdict(train)} == asdict(train)


def test_tiny_gpt_options_are_named_when_wrong():
    with pytest.raises(ConfigError, match="config key 'student.options.d_model' = 'abc': expected an integer"):
        make_student("tiny-gpt", d_model="abc")
    with pytest.raises(ConfigError, match=r"'student.options.d_model' = 30: expected a multiple of heads \(4\)"):
        make_student("tiny-gpt", d_model=30)
    with pytest.raises(ConfigError, match="unknown config key 'student.options.dmodel'"):
        make_student("tiny-gpt", dmodel=32)


def test_a_checkpoint_written_with_model_and_train_sections_still_loads(tmp_path):
    """Checkpoints from before the single options class keep ``model`` and ``train``."""
    saved = make_student("tiny-gpt", seed=1, d_model=32, layers=1, heads=2, epochs=2)
    saved.train([Row("rev 12=", "21")] * 8, seed=0)  # weights that differ from the initial ones
    saved.save(tmp_path / "ck")
    meta = json.loads((tmp_path / "ck" / "student.json").read_text())
    options = meta.pop("options")
    train_keys = set(asdict(TrainConfig()))
    meta["model"] = {k: v for k, v in options.items() if k not in train_keys} | {"threads": None}
    meta["train"] = {k: v for k, v in options.items() if k in train_keys}
    (tmp_path / "ck" / "student.json").write_text(json.dumps(meta))
    loaded = make_student("tiny-gpt", threads=0)
    loaded.load(tmp_path / "ck")
    assert loaded.config == TinyGPTOptions(seed=1, d_model=32, layers=1, heads=2, epochs=2, threads=0)
    assert all((loaded.model.state_dict()[k] == v).all() for k, v in saved.model.state_dict().items())
    meta["train"]["epochs"] = "many"
    (tmp_path / "ck" / "student.json").write_text(json.dumps(meta))
    with pytest.raises(StudentError, match="epochs"):
        loaded.load(tmp_path / "ck")
