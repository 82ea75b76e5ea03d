"""How often the Playground page updates while it trains: ``python -m benchmarks.playground_rate``.

Starts ``layerwise playground`` on a free port, opens the page in headless
Chromium, sets up a network of two hidden layers of 8 neurons on the circle
data set (500 points: 250 for training at the default 50 %), presses play
and counts the frames the page draws (each frame: a training epoch on the
server, the losses, every weight, the 100 x 100 heatmap and the neurons'
thumbnails, drawn in the page). Prints frames per second and epochs per
second, medians over ``--repetitions`` windows of ``--seconds`` each.

Options: ``--chromium PATH`` (default /usr/bin/chromium if present),
``--batch-size N`` (default 10, the Playground's), ``--json PATH``.
Needs the ``playground`` extra and Playwright.
"""

import argparse
import json
import statistics
import time

from layerwise.playground.screenshots import ServerProcess, launch_chromium, stats, wait_for

FRAGMENT = "dataset=circle&networkShape=8,8&activation=tanh&learningRate=0.03&seed=0.14370&batchSize={batch}"


def measure(seconds=5.0, repetitions=3, chromium=None, batch_size=10):
    """``{"frames_per_s": [...], "epochs_per_s": [...]}`` for the 2x8 network on 500 points."""
    from playwright.sync_api import sync_playwright

    frames, epochs = [], []
    with ServerProcess() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1140, "height": 900})
            page.goto(server.url + "#" + FRAGMENT.format(batch=batch_size))
            wait_for(page, "() => window.playgroundStats.framesDrawn > 0", 30)
            page.click("#play-pause-button")
            wait_for(page, "() => window.playgroundStats.epoch >= 5", 30)  # warm up
            for _ in range(repetitions):
                start, began = stats(page), time.monotonic()
                page.wait_for_timeout(seconds * 1000)
                end, elapsed = stats(page), time.monotonic() - began
                frames.append((end["framesDrawn"] - start["framesDrawn"]) / elapsed)
                epochs.append((end["epoch"] - start["epoch"]) / elapsed)
            page.click("#play-pause-button")
        finally:
            browser.close()
    return {"frames_per_s": frames, "epochs_per_s": epochs}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measuring window")
    parser.add_argument("--repetitions", type=int, default=3, help="number of windows")
    parser.add_argument("--chromium", default=None, help="Chromium executable")
    parser.add_argument("--batch-size", type=int, default=10, help="the page's batch size (default 10)")
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.seconds, args.repetitions, args.chromium, args.batch_size)
    frames, epochs = statistics.median(result["frames_per_s"]), statistics.median(result["epochs_per_s"])
    print(f"Playground page, 2x8 tanh network, circle (500 points, 250 training), batch size {args.batch_size}:")
    print(f"  page updates: {frames:.1f} per second (median of {args.repetitions} x {args.seconds:g} s; "
          f"all: {', '.join(f'{v:.1f}' for v in result['frames_per_s'])})")
    print(f"  epochs:       {epochs:.1f} per second")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"frames_per_s_median": frames, "epochs_per_s_median": epochs, **result}, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
