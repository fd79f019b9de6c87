"""Small-cell protection: "<5" for counts 1-4, and no hidden count recoverable from totals.

The exact check (`recoverable`, linear algebra) is compared with a brute-force reader who
tries every table of non-negative counts that agrees with what was published.
"""

from __future__ import annotations

import itertools
import random

import pytest

from advisory.suppression import (
    HIDDEN_TEXT,
    SMALL_TEXT,
    Mark,
    protect,
    protect_primary,
    recoverable,
    recoverable_linked,
    with_totals,
)


def texts(protected) -> list[list[str]]:
    return [
        [protected.text(row, column) for column in range(len(protected.values[0]))]
        for row in range(len(protected.values))
    ]


def test_totals_are_appended_to_rows_and_columns():
    assert with_totals([[1, 2], [3, 4]]) == [[1, 2, 3], [3, 4, 7], [4, 6, 10]]


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (12, "12")])
def test_counts_from_one_to_four_are_shown_as_less_than_five(count, shown):
    # A single count with itself as total: nothing else to hide, the rule alone decides.
    protected = protect([[count]])

    assert protected.text(0, 0) == shown


def test_figures_that_are_not_parts_of_a_total_hide_only_their_small_counts():
    # Calls due and calls that reached the caller: no total ties them, so no partner is hidden.
    protected = protect_primary([[0, 3, 4, 5, 40]])

    assert texts(protected) == [["0", SMALL_TEXT, SMALL_TEXT, "5", "40"]]
    assert protected.hidden() == {(0, 1), (0, 2)}


def test_a_lone_small_cell_gets_a_partner_in_its_row_and_column():
    # Row 0 has one small count (3): the row total would give it away, so does column 0's.
    table = with_totals([[3, 10, 12], [9, 20, 9], [15, 25, 30]])

    protected = protect(table)

    # The smallest partners of at least 8 (9 below it, then 9 and 12 to close a rectangle):
    # the four hidden counts can shift together (3+t, 12-t, 9-t, 9+t), the totals stay.
    assert texts(protected) == [
        [SMALL_TEXT, "10", HIDDEN_TEXT, "25"],
        [HIDDEN_TEXT, "20", HIDDEN_TEXT, "38"],
        ["15", "25", "30", "70"],
        ["27", "55", "51", "133"],
    ]
    assert recoverable(protected.values, protected.hidden()) == set()


def test_the_partner_is_never_a_zero_and_prefers_a_count_of_at_least_eight():
    # Beside the 2: a zero (protects nothing), a 6 and a 9; the 9 is chosen in the row, and
    # in the column the 8 (the 5 would let "<5" plus "×" pin the small count down).
    table = with_totals([[2, 0, 6, 9], [8, 11, 13, 7], [5, 20, 22, 30]])

    protected = protect(table)

    assert protected.marks[0][0] is Mark.SMALL
    assert protected.marks[0][1] is Mark.SHOWN  # the zero
    assert protected.marks[0][3] is Mark.HIDDEN  # 9, not 6
    assert protected.marks[1][0] is Mark.HIDDEN  # 8, not 5
    assert protected.marks[2][0] is Mark.SHOWN
    assert recoverable(protected.values, protected.hidden()) == set()


def test_two_small_cells_in_a_row_still_need_partners_in_their_columns():
    table = with_totals([[2, 3, 20], [10, 12, 14]])

    protected = protect(table)

    rows, columns = len(table), len(table[0])
    hidden = protected.hidden()
    for row in range(rows):
        assert sum((row, column) in hidden for column in range(columns)) != 1
    for column in range(columns):
        assert sum((row, column) in hidden for row in range(rows)) != 1
    assert recoverable(protected.values, hidden) == set()


def test_a_small_total_is_hidden_like_any_small_count():
    # Column 1 holds only a 1 and a 2: its total, 3, is small too.
    table = with_totals([[10, 1, 12], [11, 2, 15]])

    protected = protect(table)

    assert protected.text(2, 1) == SMALL_TEXT
    assert recoverable(protected.values, protected.hidden()) == set()


def test_an_entry_forced_hidden_by_a_linked_table_is_protected_as_well():
    table = with_totals([[10, 20], [30, 40]])

    protected = protect(table, forced={(2, 0)})  # column 0's total: hidden in another table

    assert protected.marks[2][0] is Mark.HIDDEN
    assert (2, 0) not in recoverable(protected.values, protected.hidden())
    assert len(protected.hidden()) >= 2


def test_every_line_with_two_hidden_entries_can_still_give_one_away():
    """Two protected blocks joined by one hidden cell: every row and column holds two or more
    hidden entries, yet the joining cell follows from the totals (it lies on no cycle)."""
    values = with_totals([[5, 6, 0, 0], [7, 8, 9, 0], [0, 0, 5, 6], [0, 0, 7, 8]])
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    for row in range(4):
        assert sum((row, column) in hidden for column in range(5)) >= 2
    for column in range(4):
        assert sum((row, column) in hidden for row in range(5)) >= 2

    assert recoverable(values, hidden) == {(1, 2)}


def test_a_table_of_only_zeros_hides_nothing():
    protected = protect(with_totals([[0, 0], [0, 0]]))

    assert protected.hidden() == set()


@pytest.mark.parametrize(
    "bad",
    [[], [[1, 2], [3]], [[-1, -1]], [[1, 2, 4]], [[1, 1], [1, 1], [3, 2]]],
    ids=["empty", "ragged", "negative", "wrong row total", "wrong column total"],
)
def test_a_table_whose_totals_do_not_add_up_is_refused(bad):
    with pytest.raises(ValueError, match="."):
        protect(bad)


# --- against a brute-force reader --------------------------------------------------------------


def published_candidates(protected, limit: int) -> list[tuple[tuple[int, ...], ...]]:
    """Every table of counts 0..limit (totals adding up) that shows what was published."""
    values = protected.values
    height, width = len(values), len(values[0])
    inner_hidden = [
        (row, column)
        for row, column in sorted(protected.hidden())
        if row < height - 1 and column < width - 1
    ]
    shown = protected.shown
    bounds = [
        min(
            value
            for value in (shown(row, width - 1), shown(height - 1, column), limit)
            if value is not None
        )
        for row, column in inner_hidden
    ]
    found = []
    for guess in itertools.product(*(range(bound + 1) for bound in bounds)):
        cells = [list(row[:-1]) for row in values[:-1]]
        for (row, column), value in zip(inner_hidden, guess, strict=True):
            cells[row][column] = value
        table = with_totals(cells)
        agrees = all(
            (mark is Mark.SHOWN and table[row][column] == values[row][column])
            or (mark is Mark.SMALL and 1 <= table[row][column] <= 4)
            or mark is Mark.HIDDEN
            for row, marks in enumerate(protected.marks)
            for column, mark in enumerate(marks)
        )
        if agrees:
            found.append(tuple(tuple(row) for row in table))
    return found


@pytest.mark.parametrize("seed", range(12))
def test_no_reader_can_pin_down_a_small_count(seed):
    rng = random.Random(seed)
    cells = [[rng.choice([0, 1, 2, 3, 6, 8, 9, 12]) for _ in range(3)] for _ in range(2)]
    protected = protect(with_totals(cells))
    if len([p for p in protected.hidden() if p[0] < 2 and p[1] < 3]) > 4:
        pytest.skip("too many hidden cells to enumerate quickly")

    candidates = published_candidates(protected, limit=30)

    assert tuple(tuple(row) for row in protected.values) in candidates
    for row, marks in enumerate(protected.marks):
        for column, mark in enumerate(marks):
            if mark is Mark.SMALL:
                possible = {candidate[row][column] for candidate in candidates}
                assert len(possible) >= 2, (cells, row, column, possible)


@pytest.mark.parametrize("seed", range(40))
def test_the_shortcut_for_one_table_finds_what_elimination_finds(seed):
    # Given a random table with totals and a random set of hidden entries
    rng = random.Random(seed)
    height, width = rng.randint(2, 7), rng.randint(2, 7)
    values = with_totals([[rng.randint(0, 9) for _ in range(width)] for _ in range(height)])
    positions = [(row, column) for row in range(height + 1) for column in range(width + 1)]
    hidden = set(rng.sample(positions, rng.randint(0, len(positions))))

    # When the entries that can be worked out are found both ways
    shortcut = recoverable(values, hidden)
    eliminated = recoverable_linked([(values, hidden, lambda position: None)])[0]

    # Then they are the same
    assert shortcut == eliminated
