"""A plain-language reading of a comparison, computed from its numbers, and its caveats.

Each regularized model is compared with the first model without regularization
(``l2 == 0``, ``l1 == 0`` and ``keep_prob == 1``): 'Compared with "no regularization", "L2"
lowered training accuracy by 0.9 points (200 to 198 of 211 correct) and raised
test accuracy by 1.5 points (183 to 186 of 200 correct).' Differences are in
percentage points, with the verb chosen by their sign.
"""

from __future__ import annotations

from reglab.config import TrainConfig
from reglab.experiments.exercise import Comparison
from reglab.experiments.tables import correct_count


def _is_plain(config: TrainConfig) -> bool:
    return config.l2 == 0 and config.l1 == 0 and config.keep_prob == 1


def baseline_index(comparison: Comparison) -> int | None:
    """The first model without regularization, or None."""
    for k, config in enumerate(comparison.result.configs):
        if _is_plain(config):
            return k
    return None


def format_points(difference: float) -> str:
    """A difference of accuracies (fractions) as percentage points: ``"0.9"``, ``"0.04"``."""
    points = abs(difference) * 100
    return f"{points:.1f}" if points >= 0.05 else f"{points:.2g}"


def describe_change(
    what: str, before: float, after: float, m: int, m_after: int | None = None
) -> str:
    """``"lowered training accuracy by 0.9 points (200 to 198 of 211 correct)"`` and the like.

    Args:
        what: the measure, e.g. ``"training accuracy"``.
        before: the baseline's accuracy (a fraction).
        after: the other model's accuracy.
        m: number of examples the accuracies are over.
        m_after: the other model's, when it differs (early stopping trains on fewer):
            ``"(200 of 211 to 170 of 190 correct)"``.
    """
    m_after = m if m_after is None else m_after
    right_before, right_after = correct_count(before, m), correct_count(after, m_after)
    if m_after != m:
        counts = f"{right_before} of {m} to {right_after} of {m_after} correct"
    else:
        counts = f"{right_before} to {right_after} of {m} correct"
    if m_after == m and right_before == right_after:
        return f"left {what} unchanged ({right_after} of {m} correct)"
    if after == before:
        return f"left {what} unchanged ({counts})"
    verb = "raised" if after > before else "lowered"
    return f"{verb} {what} by {format_points(after - before)} points ({counts})"


def reading(comparison: Comparison) -> list[str]:
    """Sentences saying how each regularized model's accuracies differ from the baseline's."""
    result = comparison.result
    base = baseline_index(comparison)
    if base is None:
        return [
            "No model without regularization was trained, so there is no baseline to compare with."
        ]
    n_train = comparison.dataset.X_train.shape[1]
    n_test = comparison.dataset.X_test.shape[1]
    base_name = comparison.names[base]
    sentences = []
    traded = []
    for k, name in enumerate(comparison.names):
        if k == base or _is_plain(result.configs[k]):
            continue
        base_trained_on = result.configs[base].examples_trained_on(n_train)
        trained_on = result.configs[k].examples_trained_on(n_train)
        train = describe_change(
            "training accuracy",
            float(result.train_accuracy[base]),
            float(result.train_accuracy[k]),
            base_trained_on,
            trained_on,
        )
        sentence = f'Compared with "{base_name}", "{name}" {train}'
        if result.test_accuracy is not None:
            test = describe_change(
                "test accuracy",
                float(result.test_accuracy[base]),
                float(result.test_accuracy[k]),
                n_test,
            )
            sentence += f" and {test}"
            traded.append(
                result.train_accuracy[k] < result.train_accuracy[base]
                and correct_count(result.test_accuracy[k], n_test)
                > correct_count(result.test_accuracy[base], n_test)
            )
        sentences.append(sentence + ".")
    if not sentences:
        return ["Every model is trained without regularization."]
    if traded and all(traded):
        sentences.append(
            "Every regularized model traded training accuracy for test accuracy, "
            "as the exercise concludes regularization does."
        )
    elif traded:
        sentences.append(
            "Not every regularized model traded training accuracy for test accuracy here, "
            "so this run does not fully show the exercise's conclusion."
        )
    return sentences


def early_stopping_notes(comparison: Comparison) -> list[str]:
    """One sentence per model trained with early stopping: where it stopped, whose
    parameters it returned, and what its training accuracy is measured on."""
    result = comparison.result
    m = comparison.dataset.X_train.shape[1]
    notes = []
    for k, (name, config) in enumerate(zip(comparison.names, result.configs, strict=True)):
        if not config.early_stopping:
            continue
        held = m - config.examples_trained_on(m)
        stop = result.stopped_at[k]
        ran = (
            f"stopped at iteration {stop:,} ({config.patience} "
            f"record{'s' if config.patience > 1 else ''} without a lower validation cost)"
            if stop is not None
            else f"ran all {config.iterations:,} iterations"
        )
        best = result.best_iteration[k]
        chosen = (
            "its final parameters" if best == config.iterations else f"those of iteration {best:,}"
        )
        notes.append(
            f'"{name}" used early stopping: it held out {held} of the {m} training examples '
            f"as a validation set, {ran}, and returned the parameters with the lowest "
            f"validation cost, {chosen} (the cost figure marks both). Its training accuracy "
            f"and cost are on the {m - held} examples it trained on."
        )
    return notes


def caveats(comparison: Comparison, *, has_seed_spread: bool = False) -> list[str]:
    """What a reader must keep in mind: the course's fixed masks, early stopping and
    single-seed results."""
    notes = []
    course = [
        name
        for name, config in zip(comparison.names, comparison.result.configs, strict=True)
        if config.masks == "course" and config.keep_prob < 1
    ]
    if course:
        quoted = ", ".join(f'"{name}"' for name in course)
        notes.append(
            f"The course's dropout, used by {quoted}, "
            "keeps one fixed mask for the whole run: "
            "its masks are redrawn from the same seed on every iteration, so each hidden unit "
            "is silenced for the same training examples throughout and one thinned network is "
            "trained. That is not dropout as the method defines it (a fresh mask every iteration)."
        )
    notes.extend(early_stopping_notes(comparison))
    single = (
        "Each model in this report is a single run with a single seed. With fresh dropout "
        "masks or other seeds, test accuracy moves by several points from run to run, so a "
        "single seed cannot rank these models."
    )
    if has_seed_spread:
        single += " The seed spread below shows how far results move across seeds."
    else:
        single += " Compare several seeds, with their spread, before ranking them."
    notes.append(single)
    return notes
