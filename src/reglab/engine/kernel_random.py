"""NumPy's PCG64 stream, compiled: fresh dropout masks drawn inside the kernel.

A configuration's fresh masks come from its own ``numpy.random.Generator``
(``default_rng``, bit generator PCG64), per iteration and hidden layer in
order, as :func:`reglab.engine.dropout.fresh_keep` defines them: two units
per raw 64-bit output (``rng.bit_generator.random_raw``), kept where the low,
then the high, 32 bits are below ``keep_prob * 2**32``. The compiled training
loop cannot call back into Python for every draw, so it steps the same PCG64
generator itself:

- state update: ``state = state * MULTIPLIER + increment`` (mod 2**128);
- output (XSL-RR): ``rotr64(high ^ low, state >> 122)``, ``random_raw``'s number.

The 128-bit state lives in ``uint64`` words ``(state_high, state_low,
increment_high, increment_low, ...)``; :func:`pcg64_words` reads them from a
Generator and :func:`set_pcg64_words` writes them back, so after training the
Generator stands exactly where the NumPy reference's draws would have left it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from reglab.engine.kernel_compile import ByteArray, UIntArray, compiled

COMPILED_WITH = "a70770958b039aa1"
"""``source_digest('kernel_compile.py')`` this file's cached code was built with."""

WORDS = 6
"""uint64 words per generator: state, increment and jump addend, each high then low."""

_LOW_64 = (1 << 64) - 1
_MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341
_MULTIPLIER_HIGH = np.uint64(_MULTIPLIER >> 64)
_MULTIPLIER_LOW = np.uint64(_MULTIPLIER & ((1 << 64) - 1))
_LOW_32 = np.uint64(0xFFFF_FFFF)
_HIGH_SHIFT = np.uint64(32)


def _multiply_add_intrinsic(
    typingctx: Any,
    high: Any,
    low: Any,
    factor_high: Any,
    factor_low: Any,
    add_high: Any,
    add_low: Any,
) -> Any:
    """``state * factor + add`` modulo 2**128, each number as (high, low) uint64 words.

    Computed in LLVM's 128-bit integers, which compile to the fewest
    instructions: one widening and two 64-bit multiplies, an add with carry.
    """
    word = types.uint64
    signature = types.UniTuple(word, 2)(word, word, word, word, word, word)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        wide = ir.IntType(128)
        half = ir.Constant(wide, 64)

        def joined(high_word: Any, low_word: Any) -> Any:
            high_part = builder.shl(builder.zext(high_word, wide), half)
            return builder.or_(high_part, builder.zext(low_word, wide))

        product = builder.mul(joined(args[0], args[1]), joined(args[2], args[3]))
        value = builder.add(product, joined(args[4], args[5]))
        new_high = builder.trunc(builder.lshr(value, half), ir.IntType(64))
        new_low = builder.trunc(value, ir.IntType(64))
        return context.make_tuple(builder, sig.return_type, [new_high, new_low])

    return signature, codegen


_multiply_add = cast(
    Callable[
        [np.uint64, np.uint64, np.uint64, np.uint64, np.uint64, np.uint64],
        tuple[np.uint64, np.uint64],
    ],
    intrinsic(_multiply_add_intrinsic),
)


@compiled()
def _output(high: np.uint64, low: np.uint64) -> np.uint64:
    """PCG64's XSL-RR output of a state: the number ``random_raw`` returns."""
    mixed = high ^ low
    rotation = high >> np.uint64(58)
    return (mixed >> rotation) | (mixed << ((np.uint64(64) - rotation) & np.uint64(63)))


@compiled()
def _step(
    high: np.uint64, low: np.uint64, increment_high: np.uint64, increment_low: np.uint64
) -> tuple[np.uint64, np.uint64]:
    """The next PCG64 state."""
    multiplier_high, multiplier_low = _MULTIPLIER_HIGH, _MULTIPLIER_LOW
    return _multiply_add(high, low, multiplier_high, multiplier_low, increment_high, increment_low)


@compiled()
def _keep_threshold(keep_prob: float) -> np.uint64:
    """The integer T with ``u * 2**-32 < keep_prob`` exactly when ``u < T`` (u integral).

    ``keep_prob * 2**32`` is exact; for an integer u, ``u < x`` iff ``u < ceil(x)``.
    """
    return np.uint64(math.ceil(keep_prob * 4294967296.0))


@compiled()
def _keep_two(keep: ByteArray, row: int, t: int, output: np.uint64, threshold: np.uint64) -> None:
    """Units t (the output's low half) and t + 1 (its high half) of a mask row."""
    keep[row, t] = 1 if (output & _LOW_32) < threshold else 0
    keep[row, t + 1] = 1 if (output >> _HIGH_SHIFT) < threshold else 0


@compiled()
def pcg64_raw(state: UIntArray, out: UIntArray) -> None:
    """Fill the 1-D ``out`` with the generator's next outputs (``random_raw(out.size)``)."""
    high, low = state[0], state[1]
    for t in range(out.size):
        high, low = _step(high, low, state[2], state[3])
        out[t] = _output(high, low)
    state[0], state[1] = high, low


@compiled()
def pcg64_fill_keep(state: UIntArray, jump: UIntArray, keep_prob: float, keep: ByteArray) -> None:
    """Fresh masks for ``keep.shape[0]`` rows of m units, as ``fresh_keep`` draws them.

    Row r starts ``r * ceil(m / 2)`` outputs into the stream, reached by the
    jump ``state * A + C`` that advances a row's outputs at once (``jump`` =
    A's words; C's words are ``state[4:6]``). Four rows are drawn side by side
    so the four 128-bit multiply chains overlap. ``state`` ends past all the
    rows' outputs.

    Args:
        state: 6 words: state, increment, and the jump's addend C.
        jump: 2 words, the jump's multiplier A = MULTIPLIER**ceil(m/2) mod 2**128.
        keep_prob: the keep probability.
        keep: ``(rows, m)`` uint8 masks, written (1 = kept).
    """
    rows, m = keep.shape
    pairs = m // 2
    threshold = _keep_threshold(keep_prob)
    increment_high, increment_low = state[2], state[3]
    high, low = state[0], state[1]
    for first in range(0, rows, 4):
        h0, l0 = high, low
        h1, l1 = _multiply_add(h0, l0, jump[0], jump[1], state[4], state[5])
        h2, l2 = _multiply_add(h1, l1, jump[0], jump[1], state[4], state[5])
        h3, l3 = _multiply_add(h2, l2, jump[0], jump[1], state[4], state[5])
        n_rows = min(4, rows - first)
        high, low = h3, l3
        for _ in range(n_rows - 3):
            high, low = _multiply_add(high, low, jump[0], jump[1], state[4], state[5])
        if n_rows == 4:
            for p in range(pairs):
                h0, l0 = _step(h0, l0, increment_high, increment_low)
                h1, l1 = _step(h1, l1, increment_high, increment_low)
                h2, l2 = _step(h2, l2, increment_high, increment_low)
                h3, l3 = _step(h3, l3, increment_high, increment_low)
                _keep_two(keep, first, 2 * p, _output(h0, l0), threshold)
                _keep_two(keep, first + 1, 2 * p, _output(h1, l1), threshold)
                _keep_two(keep, first + 2, 2 * p, _output(h2, l2), threshold)
                _keep_two(keep, first + 3, 2 * p, _output(h3, l3), threshold)
            if m % 2 == 1:  # the last unit: a low half
                h0, l0 = _step(h0, l0, increment_high, increment_low)
                h1, l1 = _step(h1, l1, increment_high, increment_low)
                h2, l2 = _step(h2, l2, increment_high, increment_low)
                h3, l3 = _step(h3, l3, increment_high, increment_low)
                keep[first, m - 1] = 1 if (_output(h0, l0) & _LOW_32) < threshold else 0
                keep[first + 1, m - 1] = 1 if (_output(h1, l1) & _LOW_32) < threshold else 0
                keep[first + 2, m - 1] = 1 if (_output(h2, l2) & _LOW_32) < threshold else 0
                keep[first + 3, m - 1] = 1 if (_output(h3, l3) & _LOW_32) < threshold else 0
        else:
            h, l = h0, l0
            for r in range(first, rows):
                for p in range(pairs):
                    h, l = _step(h, l, increment_high, increment_low)
                    _keep_two(keep, r, 2 * p, _output(h, l), threshold)
                if m % 2 == 1:
                    h, l = _step(h, l, increment_high, increment_low)
                    keep[r, m - 1] = 1 if (_output(h, l) & _LOW_32) < threshold else 0
            high, low = h, l
    state[0], state[1] = high, low


def row_outputs(m: int) -> int:
    """PCG64 outputs one mask row of m units takes: two units per output."""
    return (m + 1) // 2


def jump_words(m: int) -> UIntArray:
    """The multiplier A of the jump over a mask row of m units, 2 words.

    A = ``MULTIPLIER**n mod 2**128`` for the row's n = :func:`row_outputs` outputs.
    """
    multiplier = pow(_MULTIPLIER, row_outputs(m), 1 << 128)
    return np.array([multiplier >> 64, multiplier & _LOW_64], dtype=np.uint64)


def jump_addend(increment: int, steps: int) -> int:
    """The addend C of the jump ahead by ``steps`` outputs for a generator's increment.

    n steps of ``s -> s * a + c`` give ``s * a**n + c * (a**(n-1) + ... + 1)``
    (the doubling of PCG's ``pcg_advance_lcg_128``).
    """
    modulus = 1 << 128
    total_plus, current_multiplier, current_plus = 0, _MULTIPLIER, increment
    delta = steps
    while delta > 0:
        if delta & 1:
            total_plus = (total_plus * current_multiplier + current_plus) % modulus
        current_plus = ((current_multiplier + 1) * current_plus) % modulus
        current_multiplier = (current_multiplier * current_multiplier) % modulus
        delta >>= 1
    return total_plus


def pcg64_words(rng: np.random.Generator, m: int = 1) -> UIntArray:
    """The state of a PCG64 Generator as 6 words, with the addend of its jump over a row of m units.

    Raises:
        ValueError: for a bit generator other than PCG64 (``default_rng``'s).
    """
    state = rng.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise ValueError(
            "the compiled kernel draws masks with PCG64 (numpy.random.default_rng). "
            f"Received: a {state['bit_generator']} generator"
        )
    value, increment = int(state["state"]["state"]), int(state["state"]["inc"])
    addend = jump_addend(increment, row_outputs(m))
    words = [value, increment, addend]
    return np.array([half for w in words for half in (w >> 64, w & _LOW_64)], dtype=np.uint64)


def set_pcg64_words(rng: np.random.Generator, words: UIntArray) -> None:
    """Move a PCG64 Generator to the state held in ``words`` (as from :func:`pcg64_words`)."""
    state = dict(rng.bit_generator.state)
    state["state"] = {
        "state": (int(words[0]) << 64) | int(words[1]),
        "inc": (int(words[2]) << 64) | int(words[3]),
    }
    rng.bit_generator.state = state
