"""The syntax tree: plain frozen dataclasses, each carrying its 1-based `line` and `col`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """Base of every node; `line` and `col` give where it starts in the source (1-based)."""

    line: int
    col: int


# ---- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: float | int


@dataclass(frozen=True)
class Length(Node):
    """A length on the tempo grid: `amount` of `unit` ("bars", "beats", "frames" or "s")."""

    amount: float
    unit: str


@dataclass(frozen=True)
class Ratio(Node):
    """`3:1`."""

    left: Number
    right: Number


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Keyword(Node):
    """`name=value` inside a call."""

    name: str
    value: Expr


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class BinOp(Node):
    """`left op right`; `op` is one of `>>`, `|`, `+`, `-`, `*`, `/`; `line`/`col` is the op."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Node):
    operand: Expr


Expr = Number | Length | Ratio | String | Name | Call | ListExpr | BinOp | Neg


# ---- statements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Assign(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Track(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Play(Node):
    value: Expr


@dataclass(frozen=True)
class Export(Node):
    value: Expr
    path: String


@dataclass(frozen=True)
class Show(Node):
    value: Expr


@dataclass(frozen=True)
class Plot(Node):
    value: Expr
    path: String


@dataclass(frozen=True)
class Model(Node):
    """`model "path.ts"`, or `model default` (`path` is None); `... on "cuda"`: `on` is the
    word after the path (checked to be `on`), `device` the device string."""

    path: String | None
    on: Name | None = None
    device: String | None = None


@dataclass(frozen=True)
class Bpm(Node):
    value: Number


@dataclass(frozen=True)
class SetK(Node):
    value: Number


@dataclass(frozen=True)
class Beats(Node):
    value: Number


@dataclass(frozen=True)
class Quantum(Node):
    """`quantum beat` / `quantum bar`: where new tracks and plays start; `value` is the word."""

    value: Name


@dataclass(frozen=True)
class Osc(Node):
    """`osc "host:port"` (`target`), `osc off`, `osc lead 20` (`word` "lead", `number`) or
    `osc NAME local|remote|both` (`word` the track, `mode` the word)."""

    target: String | None = None
    word: Name | None = None
    mode: Name | None = None
    number: Number | None = None


@dataclass(frozen=True)
class Seed(Node):
    value: Number


@dataclass(frozen=True)
class Stop(Node):
    name: str


@dataclass(frozen=True)
class Hush(Node):
    pass


@dataclass(frozen=True)
class Wait(Node):
    value: Expr


@dataclass(frozen=True)
class Link(Node):
    """`link` / `link off`: join or leave the Ableton Link session; `word` is None, or the
    word after `link` (checked to be `on` or `off`)."""

    word: Name | None


@dataclass(frozen=True)
class Nudge(Node):
    """`nudge MS`: hear the beat MS milliseconds earlier (negative: later) in a Link session."""

    value: Number


@dataclass(frozen=True)
class Listen(Node):
    """`listen` (default input), `listen "name"` / `listen 2` (a device, or an audio file
    played in real time), `listen off` (`source` is then the word: a `Name`, checked to be
    `off`). `source` None: the default input."""

    source: String | Number | Name | None

    @property
    def off(self) -> bool:
        return isinstance(self.source, Name)


@dataclass(frozen=True)
class Record(Node):
    """`record x 4bars`: bind `x` to the input's next `length` from the next bar line."""

    name: str
    length: Expr


@dataclass(frozen=True)
class Monitor(Node):
    """`monitor` / `monitor off`: hear the input through the model, mixed with the tracks
    (`word`: the word after `monitor`, checked to be `off`)."""

    word: Name | None

    @property
    def on(self) -> bool:
        return self.word is None


@dataclass(frozen=True)
class View(Node):
    """`view`, `view 8000`, `view "0.0.0.0:8000"`: serve the live view page."""

    address: Number | String | None


@dataclass(frozen=True)
class ExprStmt(Node):
    value: Expr


Statement = (
    Assign | Track | Play | Export | Show | Plot | Model | Bpm | SetK | Beats | Quantum | Osc | Seed
    | Stop | Hush | Wait | View | Listen | Record | Monitor | Link | Nudge | ExprStmt
)


@dataclass(frozen=True)
class Program:
    """A parsed source: its statements in order, the text and the file name it came from."""

    statements: tuple[Statement, ...]
    source: str
    file: str
