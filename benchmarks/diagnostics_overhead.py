"""What ``callbacks.Diagnostics`` costs: ``python -m benchmarks.diagnostics_overhead [--repetitions N] [--epochs E] [--breakdown]``.

Trains the weather lesson's MLP (89-100-50-1, Adam, batch size 32, on the
lesson's shipped data with its 70/15/15 split and validation every epoch)
with and without ``Diagnostics``, alternating the two so that machine load
affects both alike, and prints the median fit time of each and their ratio.
The target is an overhead under 10% (ratio < 1.10).

Timings are never asserted in tests; quote the ratio, not the seconds.
"""

import argparse
import statistics
import time


def _fit_seconds(diagnose, epochs, data, seed, sample_size=256):
    import layerwise as keras
    from layerwise.demo import build_model

    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_val, y_val) = data
    model = build_model()
    callbacks = [keras.callbacks.Diagnostics(sample_size=sample_size, verbose=0)] if diagnose else []
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_data=(x_val, y_val),
              callbacks=callbacks, verbose=0)
    return time.perf_counter() - start


def _breakdown(data, repetitions=200):
    """Milliseconds per call of each piece of Diagnostics' epoch-end work, after a short fit."""
    import layerwise as keras
    from layerwise.demo import build_model

    (x_train, y_train), (x_val, y_val) = data
    keras.utils.set_random_seed(0)
    model = build_model()
    diagnostics = keras.callbacks.Diagnostics(verbose=0)
    model.fit(x_train, y_train, epochs=2, validation_data=(x_val, y_val), callbacks=[diagnostics], verbose=0)
    logs = {"loss": 1.0, "val_loss": 2.0}
    pieces = {
        "gradient and weight norms (device)": diagnostics._gradient_stats,
        "dead-unit counts (device)": diagnostics._dead_counts,
        "copy of the finite weights": lambda: diagnostics._keep_finite_weights(0),
        "whole epoch end (with the read-back)": lambda: diagnostics.on_epoch_end(2, logs),
    }
    for name, piece in pieces.items():
        piece()
        start = time.perf_counter()
        for _ in range(repetitions):
            piece()
        print(f"  {name}: {1e3 * (time.perf_counter() - start) / repetitions:.3f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=11, help="fits per variant (default 11)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per fit (default 30)")
    parser.add_argument("--sample-size", type=int, default=256, help="Diagnostics(sample_size=...) (default 256)")
    parser.add_argument("--breakdown", action="store_true", help="also time each piece of the epoch-end work")
    args = parser.parse_args(argv)

    from layerwise.demo import load_lesson_data, split

    x, y, _ = load_lesson_data()
    train, validation, _ = split(x, y, 0)
    data = (train, validation)
    _fit_seconds(True, 2, data, 0)  # warm-up: imports, thread pools, first-call costs
    _fit_seconds(False, 2, data, 0)
    plain, diagnosed = [], []
    for repetition in range(args.repetitions):
        # Alternate the order so that a slow spell on a shared machine hits both variants.
        order = (False, True) if repetition % 2 == 0 else (True, False)
        for diagnose in order:
            seconds = _fit_seconds(diagnose, args.epochs, data, repetition, args.sample_size)
            (diagnosed if diagnose else plain).append(seconds)
    plain_median, diagnosed_median = statistics.median(plain), statistics.median(diagnosed)
    # Each repetition ran both fits back to back: the median of the paired ratios is the least noisy.
    ratio = statistics.median(d / p for d, p in zip(diagnosed, plain))
    print(f"weather MLP, {args.epochs} epochs, batch size 32, medians of {args.repetitions} fits:")
    print(f"  fit without Diagnostics: {plain_median:.3f} s")
    print(f"  fit with Diagnostics:    {diagnosed_median:.3f} s")
    print(f"  ratio (median of paired ratios): {ratio:.3f} (overhead {100 * (ratio - 1):+.1f}%; target < +10%)")
    print(f"  per epoch: {1e3 * (diagnosed_median - plain_median) / args.epochs:+.2f} ms of "
          f"{1e3 * plain_median / args.epochs:.2f} ms")
    if args.breakdown:
        print("Diagnostics' epoch-end work, per epoch:")
        _breakdown(data)
    return ratio


if __name__ == "__main__":
    main()
