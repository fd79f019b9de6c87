"""Small-cell protection for published count tables (pure: no Flask, no database).

A table is given with its totals: the last column holds the row totals, the last row the
column totals, the bottom-right entry the grand total. Every row and every column is then a
linear relation ("the total is the sum of the others"), and a reader who knows the shown
entries can solve these relations for hidden ones. The rules:

1. Primary suppression: any count from 1 to 4 (totals included) is shown as "<5".
2. Complementary suppression: no hidden entry may be recoverable from the shown ones. The
   obvious case is a row or column with exactly one hidden entry (the total gives it away);
   the general case is checked exactly, with linear algebra over the relations. While some
   hidden entry is recoverable, another entry of its row (or column) is hidden too, shown
   as "×".
3. Entries forced hidden from outside (a total that another table of the same report had to
   hide) are treated like primary ones, so linked tables cannot be played off each other.

The complementary entry is chosen to give away as little as possible: an inner cell before a
total; never a zero (with only non-negative counts a hidden zero protects nothing); and a
count of at least 8 when there is one (then "<5" plus "×" could be any of 1–4 plus the rest),
otherwise the largest. This is the classic heuristic (as in tau-Argus' hypercube method), not
an optimal solution, and it errs towards hiding more.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

SMALL_MAX = 4  # counts 1..SMALL_MAX are never published
SAFE_PARTNER = 8  # a complementary count this large hides any small one beside it
# Elimination runs modulo this prime: exact here, because every minor of a matrix of 0/±1 with
# at most a few dozen rows is far smaller than it (Hadamard's bound), so ranks agree with the
# rationals; and it is many times faster than Fractions.
PRIME = 2**61 - 1

Position = tuple[int, int]
_Node = tuple[str, int]  # ("r", row) or ("c", column)


class Mark(enum.Enum):
    SHOWN = "shown"
    SMALL = "small"  # primary: a count from 1 to 4, shown as "<5"
    HIDDEN = "hidden"  # complementary, or forced by a linked table: shown as "×"


SMALL_TEXT = "<5"
HIDDEN_TEXT = "×"


@dataclass(frozen=True)
class Protected:
    """A table (with totals) and how each entry may be published."""

    values: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]

    def text(self, row: int, column: int) -> str:
        mark = self.marks[row][column]
        if mark is Mark.SMALL:
            return SMALL_TEXT
        if mark is Mark.HIDDEN:
            return HIDDEN_TEXT
        return str(self.values[row][column])

    def shown(self, row: int, column: int) -> int | None:
        """The count if it may be published, else None."""
        return self.values[row][column] if self.marks[row][column] is Mark.SHOWN else None

    def hidden(self) -> set[Position]:
        return {
            (row, column)
            for row, marks in enumerate(self.marks)
            for column, mark in enumerate(marks)
            if mark is not Mark.SHOWN
        }


def with_totals(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """Append a total to each row, then a row of column totals (and the grand total)."""
    rows = [[*row, sum(row)] for row in cells]
    width = len(rows[0]) if rows else 1
    totals = [sum(row[column] for row in rows) for column in range(width)]
    return [*rows, totals]


def protect(table: Sequence[Sequence[int]], forced: Iterable[Position] = ()) -> Protected:
    """Decide which entries of `table` (totals included, see the module) may be shown."""
    values = tuple(tuple(int(value) for value in row) for row in table)
    if not values or not values[0]:
        raise ValueError("a table needs at least one row and one column")
    if any(len(row) != len(values[0]) for row in values):
        raise ValueError("every row of a table needs the same number of entries")
    if any(value < 0 for row in values for value in row):
        raise ValueError("counts cannot be negative")
    _check_totals(values)
    height, width = len(values), len(values[0])
    small = {
        (row, column)
        for row in range(height)
        for column in range(width)
        if 1 <= values[row][column] <= SMALL_MAX
    }
    hidden = small | {position for position in forced if _inside(position, height, width)}
    while exposed := recoverable(values, hidden):
        partner = complementary_entry(values, hidden, exposed)
        if partner is not None:
            hidden.add(partner)
            continue
        # Nothing sensible is left to hide beside them: hide their rows and columns whole
        # (zeros included), and in the end the whole table, which always protects.
        grown = hidden | _lines_through(exposed, height, width)
        hidden = (
            grown
            if grown != hidden
            else {(row, column) for row in range(height) for column in range(width)}
        )
    marks = tuple(
        tuple(
            Mark.SMALL
            if (row, column) in small
            else Mark.HIDDEN
            if (row, column) in hidden
            else Mark.SHOWN
            for column in range(width)
        )
        for row in range(height)
    )
    return Protected(values, marks)


def protect_primary(values: Sequence[Sequence[int]]) -> Protected:
    """Primary suppression only (rule 1), for figures that are not parts of a total."""
    marks = tuple(
        tuple(Mark.SMALL if 1 <= value <= SMALL_MAX else Mark.SHOWN for value in row)
        for row in values
    )
    return Protected(tuple(tuple(row) for row in values), marks)


def recoverable(values: Sequence[Sequence[int]], hidden: set[Position]) -> set[Position]:
    """Hidden entries whose value follows from the shown entries and the row/column sums.

    The unknowns are the hidden entries; each row and column gives one linear equation. An
    unknown is determined exactly when every solution of the homogeneous system has it at
    zero (`recoverable_linked` works that out by elimination).

    For one table with rows and columns there is a shortcut, exact and many times faster:
    see the hidden entries as the edges of a graph between its rows and its columns (totals
    included). Flipping the sign of the unknowns in the total row and column turns every
    relation into "the unknowns at this row (column) add up to zero", so any cycle of hidden
    entries can carry +1, -1, +1, ... around it without changing a sum (the graph is
    bipartite: cycles are even), and an entry on a cycle cannot be pinned down. An entry on
    no cycle (a bridge) is pinned down: adding up the relations on one side of it, rows
    minus columns, leaves that entry alone.
    """
    height, width = len(values), len(values[0])
    if height > 1 and width > 1:
        return _bridges(hidden)
    return recoverable_linked([(values, hidden, lambda position: None)])[0]


def _bridges(edges: set[Position]) -> set[Position]:
    """The edges (row, column) of the bipartite graph of rows and columns that lie on no
    cycle: an edge is a bridge when no other path joins its row and column (Tarjan's
    lowpoint, without recursion)."""
    neighbours: dict[_Node, list[tuple[_Node, Position]]] = {}
    for row, column in edges:
        neighbours.setdefault(("r", row), []).append((("c", column), (row, column)))
        neighbours.setdefault(("c", column), []).append((("r", row), (row, column)))
    order: dict[_Node, int] = {}
    low: dict[_Node, int] = {}
    found: set[Position] = set()
    for root in neighbours:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[_Node, Position | None, Iterator[tuple[_Node, Position]]]] = [
            (root, None, iter(neighbours[root]))
        ]
        while stack:
            node, via, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(via)
                continue
            other, edge = step
            if edge == via:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, edge, iter(neighbours[other])))
    return found


def recoverable_linked(
    tables: Sequence[
        tuple[Sequence[Sequence[int]], set[Position], Callable[[Position], Hashable | None]]
    ],
) -> list[set[Position]]:
    """`recoverable` for tables read together: per table, the hidden entries that follow from
    everything shown in all of them.

    Each table comes with its hidden entries and `shared`, which names an entry that stands
    for the same count in other tables (a total: "the cases of kind X"), or None. Entries of
    the same name are one unknown, so relations of one table carry over into the others: a
    reader can chain tables that are each safe alone (kind × channel, channel × outcome and
    kind × outcome share their totals) and pin down a count that none of them gives away.
    """
    names: list[dict[Position, Hashable]] = []
    for number, (_values, hidden, shared) in enumerate(tables):
        names.append(
            {position: _unknown_name(number, position, shared(position)) for position in hidden}
        )
    unknowns = sorted({name for named in names for name in named.values()}, key=repr)
    if not unknowns:
        return [set() for _ in tables]
    index = {name: number for number, name in enumerate(unknowns)}
    equations: list[list[int]] = []
    for (values, _hidden, _shared), named in zip(tables, names, strict=True):
        height, width = len(values), len(values[0])
        lines: list[list[tuple[Position, int]]] = []
        # A table of one column (or row) is only totals: it has no row (column) relations.
        for row in range(height if width > 1 else 0):
            lines.append([((row, c), -1 if c == width - 1 else 1) for c in range(width)])
        for column in range(width if height > 1 else 0):
            lines.append([((r, column), -1 if r == height - 1 else 1) for r in range(height)])
        for line in lines:
            equation = [0] * len(unknowns)
            for position, sign in line:
                if position in named:
                    equation[index[named[position]]] += sign
            equations.append(equation)
    reduced, pivots = _reduced_echelon(equations, len(unknowns))
    free = [number for number in range(len(unknowns)) if number not in pivots.values()]
    determined = {
        unknowns[pivot]
        for equation_row, pivot in pivots.items()
        if all(reduced[equation_row][number] == 0 for number in free)
    }
    return [{position for position, name in named.items() if name in determined} for named in names]


def _unknown_name(table: int, position: Position, shared: Hashable | None) -> Hashable:
    return ("shared", shared) if shared is not None else ("entry", table, position)


def _reduced_echelon(
    matrix: list[list[int]], columns: int
) -> tuple[list[list[int]], dict[int, int]]:
    """Gauss-Jordan elimination modulo PRIME; returns the matrix and {row: pivot column}."""
    rows = [[value % PRIME for value in row] for row in matrix]
    pivots: dict[int, int] = {}
    current = 0
    for column in range(columns):
        found = next((r for r in range(current, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[current], rows[found] = rows[found], rows[current]
        inverse = pow(rows[current][column], -1, PRIME)
        rows[current] = [value * inverse % PRIME for value in rows[current]]
        for other in range(len(rows)):
            factor = rows[other][column]
            if other != current and factor != 0:
                rows[other] = [
                    (a - factor * b) % PRIME
                    for a, b in zip(rows[other], rows[current], strict=True)
                ]
        pivots[current] = column
        current += 1
        if current == len(rows):
            break
    return rows, pivots


def complementary_entry(
    values: Sequence[Sequence[int]], hidden: set[Position], exposed: set[Position]
) -> Position | None:
    """Another entry to hide, in the row or column of an exposed one.

    The candidate that leaves the fewest exposed entries wins; among equals, the order
    described in the module (inner cell, no zero, at least 8, else the largest).
    """
    height, width = len(values), len(values[0])
    candidates = {
        position
        for position in _lines_through(exposed, height, width)
        if position not in hidden and _value(values, position)
    }
    if not candidates:
        return None
    # Tried in the order of preference: the first that leaves nothing exposed is the best
    # (no candidate can do better), and usually comes early, which spares an elimination for
    # every candidate after it.
    best: tuple[int, Position] | None = None
    for position in sorted(
        candidates, key=lambda position: _preference(values, position, height, width)
    ):
        left = len(recoverable(values, hidden | {position}) & exposed)
        if left == 0:
            return position
        if best is None or left < best[0]:
            best = (left, position)
    return best[1] if best is not None else None


def _lines_through(positions: Iterable[Position], height: int, width: int) -> set[Position]:
    """Every entry in the row or the column of one of `positions`."""
    return {
        position
        for row, column in positions
        for position in [(row, other) for other in range(width)]
        + [(other, column) for other in range(height)]
    }


def _preference(
    values: Sequence[Sequence[int]], position: Position, height: int, width: int
) -> tuple[bool, bool, int, Position]:
    value = _value(values, position)
    is_total = position[0] == height - 1 or position[1] == width - 1
    large_enough = value >= SAFE_PARTNER
    return (is_total, not large_enough, value if large_enough else -value, position)


def _value(values: Sequence[Sequence[int]], position: Position) -> int:
    return values[position[0]][position[1]]


def _inside(position: Position, height: int, width: int) -> bool:
    return 0 <= position[0] < height and 0 <= position[1] < width


def _check_totals(values: tuple[tuple[int, ...], ...]) -> None:
    for row in values:
        if sum(row[:-1]) != row[-1] and len(row) > 1:
            raise ValueError("the last column must hold the row totals")
    if len(values) > 1:
        for column in range(len(values[0])):
            if sum(row[column] for row in values[:-1]) != values[-1][column]:
                raise ValueError("the last row must hold the column totals")
