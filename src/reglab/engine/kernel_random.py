"""NumPy's SFC64 stream, compiled: fresh dropout masks drawn inside the kernel.

A configuration's fresh masks come from its own mask generator
(``numpy.random.Generator(numpy.random.SFC64(...))``, see
:func:`reglab.engine.training.prepare`), per iteration and hidden layer in
order, as :func:`reglab.engine.dropout.fresh_keep` defines them: two units per
raw 64-bit output (``rng.bit_generator.random_raw``), kept where the low, then
the high, 32 bits are below ``keep_prob * 2**32``. The compiled training loop
cannot call back into Python for every draw, so it steps the same generator
itself. SFC64 (Doty-Humphrey's Small Fast Chaotic generator, as NumPy
implements it) keeps four 64-bit words ``a, b, c`` and a counter ``w``:

- output: ``t = a + b + w``, then ``w += 1``;
- update: ``a = b ^ (b >> 11)``, ``b = c + (c << 3)``, ``c = rotl(c, 24) + t``.

Adds, shifts and xors only: a step costs about 60% of a step of PCG64
(``default_rng``'s generator, whose 128-bit multiply dominated fresh dropout),
with the same statistical standing (both pass TestU01's BigCrush and PractRand).

:func:`sfc64_words` reads the four words from a Generator for the kernel,
which advances them in place; :func:`set_sfc64_words` writes words back into a
Generator (the tests check that the kernel leaves them where the NumPy
reference's draws leave its Generator).
"""

from __future__ import annotations

import math

import numpy as np

from reglab.engine.kernel_compile import ByteArray, IntArray, UIntArray, compiled

CALLEES_DIGEST = "6c1cd8adc19b19f6"
"""``source_digest`` of the kernel files this one imports: their code is inside this
file's cached functions (see :mod:`reglab.engine.kernel_compile`)."""

WORDS = 4
"""uint64 words per generator: a, b, c and the counter."""

_LOW_32 = np.uint64(0xFFFF_FFFF)
_HIGH_SHIFT = np.uint64(32)


@compiled(inline=True)
def _step(
    a: np.uint64, b: np.uint64, c: np.uint64, counter: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64, np.uint64]:
    """One SFC64 step: the next words ``(a, b, c, counter)`` and the output (``random_raw``'s)."""
    output = a + b + counter
    rotated = (c << np.uint64(24)) | (c >> np.uint64(40))
    return (
        b ^ (b >> np.uint64(11)),
        c + (c << np.uint64(3)),
        rotated + output,
        counter + np.uint64(1),
        output,
    )


@compiled()
def _keep_threshold(keep_prob: float) -> np.uint64:
    """The integer T with ``u * 2**-32 < keep_prob`` exactly when ``u < T`` (u integral).

    ``keep_prob * 2**32`` is exact; for an integer u, ``u < x`` iff ``u < ceil(x)``.
    """
    return np.uint64(math.ceil(keep_prob * 4294967296.0))


@compiled()
def sfc64_raw(state: UIntArray, out: UIntArray) -> None:
    """Fill the 1-D ``out`` with the generator's next outputs (``random_raw(out.size)``)."""
    a, b, c, counter = state[0], state[1], state[2], state[3]
    for t in range(out.size):
        a, b, c, counter, out[t] = _step(a, b, c, counter)
    state[0], state[1], state[2], state[3] = a, b, c, counter


@compiled()
def sfc64_fill_keep(state: UIntArray, keep_prob: float, keep: ByteArray) -> None:
    """Fresh masks for ``keep.shape[0]`` rows of m units, as ``fresh_keep`` draws them.

    Row by row, ``ceil(m / 2)`` outputs per row: units t and t + 1 from the
    low and high halves of one output (an odd m leaves the last high half unused).

    Args:
        state: the generator's 4 words, advanced in place.
        keep_prob: the keep probability.
        keep: ``(rows, m)`` uint8 masks, written (1 = kept).
    """
    rows, m = keep.shape
    threshold = _keep_threshold(keep_prob)
    a, b, c, counter = state[0], state[1], state[2], state[3]
    for r in range(rows):
        for p in range(m // 2):
            a, b, c, counter, output = _step(a, b, c, counter)
            keep[r, 2 * p] = 1 if (output & _LOW_32) < threshold else 0
            keep[r, 2 * p + 1] = 1 if (output >> _HIGH_SHIFT) < threshold else 0
        if m % 2 == 1:
            a, b, c, counter, output = _step(a, b, c, counter)
            keep[r, m - 1] = 1 if (output & _LOW_32) < threshold else 0
    state[0], state[1], state[2], state[3] = a, b, c, counter


BUFFERED_WORDS = 6
"""uint64 words of a generator that also draws 32 bits at a time: the 4 words, then
NumPy's ``has_uint32`` flag and the buffered ``uinteger`` (the high half of the last
output, which ``next_uint32`` returns on its next call)."""


@compiled()
def sfc64_permutation(state: UIntArray, perm: IntArray) -> None:
    """``perm`` = ``Generator(SFC64(...)).permutation(perm.size)``, NumPy's draws exactly.

    NumPy's ``shuffle`` of ``arange(n)``: for i from n - 1 down to 1, swap items i and
    ``random_interval(i)``, which draws ``next_uint32() & mask`` (mask: the smallest
    ``2**b - 1 >= i``) until the value is at most i. ``next_uint32`` returns the low
    half of a fresh 64-bit output and keeps its high half for the next call. (n - 1 must
    fit in 32 bits, as it does for any training set that fits in memory.)

    Args:
        state: ``(BUFFERED_WORDS,)`` the generator's words, advanced in place.
        perm: ``(n,)`` written with the permutation.
    """
    n = perm.size
    for t in range(n):
        perm[t] = t
    a, b, c, counter = state[0], state[1], state[2], state[3]
    has_buffered, buffered = state[4], state[5]
    for i in range(n - 1, 0, -1):
        bound = np.uint64(i)
        mask = bound
        for shift in (1, 2, 4, 8, 16, 32):
            mask |= mask >> np.uint64(shift)
        while True:
            if has_buffered != 0:
                value = buffered
                has_buffered = np.uint64(0)
            else:
                a, b, c, counter, output = _step(a, b, c, counter)
                value = output & _LOW_32
                buffered = output >> _HIGH_SHIFT
                has_buffered = np.uint64(1)
            value &= mask
            if value <= bound:
                break
        j = int(value)
        perm[i], perm[j] = perm[j], perm[i]
    state[0], state[1], state[2], state[3] = a, b, c, counter
    state[4], state[5] = has_buffered, buffered


def sfc64_buffered_words(rng: np.random.Generator) -> UIntArray:
    """The state of an SFC64 Generator as :data:`BUFFERED_WORDS` words (see
    :func:`sfc64_permutation`)."""
    words = sfc64_words(rng)
    state = rng.bit_generator.state
    return np.array([*words, state["has_uint32"], state["uinteger"]], dtype=np.uint64)


def set_sfc64_buffered_words(rng: np.random.Generator, words: UIntArray) -> None:
    """Move an SFC64 Generator to the state held in ``words`` (as from
    :func:`sfc64_buffered_words`)."""
    state = dict(rng.bit_generator.state)
    state["state"] = {"state": np.array(words[:WORDS], dtype=np.uint64)}
    state["has_uint32"] = int(words[4])
    state["uinteger"] = int(words[5])
    rng.bit_generator.state = state


def sfc64_words(rng: np.random.Generator) -> UIntArray:
    """The state of an SFC64 Generator as 4 words ``(a, b, c, counter)``.

    Raises:
        ValueError: for another bit generator.
    """
    state = rng.bit_generator.state
    if state["bit_generator"] != "SFC64":
        raise ValueError(
            "the compiled kernel draws masks with SFC64 (numpy.random.SFC64). "
            f"Received: a {state['bit_generator']} generator"
        )
    return np.array(state["state"]["state"], dtype=np.uint64)


def set_sfc64_words(rng: np.random.Generator, words: UIntArray) -> None:
    """Move an SFC64 Generator to the state held in ``words`` (as from :func:`sfc64_words`)."""
    state = dict(rng.bit_generator.state)
    state["state"] = {"state": np.array(words, dtype=np.uint64)}
    rng.bit_generator.state = state
