"""The Playground page end to end, in headless Chromium (Debian's chromium, driven by Playwright).

The lesson: no hidden layer cannot learn XOR; two hidden layers learn the
circle. The page is driven as a learner drives it (clicks on data sets,
layer buttons, menus, play), screenshots are written at each stage under the
test's tmp dir, the URL reproduces the set-up, a bad URL is reported on the
page, and the exported script runs and trains.
"""

import os
import re
import subprocess
import sys

from layerwise.playground.screenshots import stats, wait_for

START = "#seed=0.14370"  # a fixed seed: the same points and starting weights on every run


def open_page(page, server, fragment):
    page.goto(server.url + fragment)
    wait_for(page, "() => window.playgroundStats.framesDrawn > 0", 30)


def wait_hash(page, text, timeout=20):
    wait_for(page, "(text) => location.hash.includes(text)", timeout, text)


def loss_test(page):
    return float(stats(page)["lossTest"])


def play_until(page, condition, timeout):
    page.click("#play-pause-button")
    wait_for(page, condition, timeout)
    page.click("#play-pause-button")
    # Paused: the button says so and the last frame drawn is the one sent on pausing.
    wait_for(page, "() => !document.getElementById('play-pause-button').classList.contains('playing') "
                   "&& window.playgroundStats.framePlaying === 0", 10)


def heatmap_pixel(page, x, y):
    return page.evaluate("""([x, y]) => Array.from(document.getElementById('heatmap-canvas')
        .getContext('2d').getImageData(x, y, 1, 1).data)""", [x, y])


def heatmap_image(page):
    return page.evaluate("""() => Array.from(document.getElementById('heatmap-canvas')
        .getContext('2d').getImageData(0, 0, 100, 100).data).join(',')""")


def test_the_lesson_in_the_browser(page, server, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    open_page(page, server, START)
    assert page.locator("#num-layers").inner_text() == "2"
    assert page.locator("#loss-test").inner_text() != ""
    page.screenshot(path=str(shots / "01-loaded.png"))

    # XOR without hidden layers stays unlearned.
    page.click("canvas[data-dataset=xor]")
    wait_hash(page, "dataset=xor")
    page.click("#remove-layers")
    wait_hash(page, "networkShape=4&")
    page.click("#remove-layers")
    wait_hash(page, "networkShape=&")
    page.select_option("#activations", "sigmoid")
    wait_hash(page, "activation=sigmoid")
    page.select_option("#learningRate", "0.1")
    wait_hash(page, "learningRate=0.1&")
    assert page.locator("#num-layers").inner_text() == "0"
    play_until(page, "() => window.playgroundStats.epoch >= 60", 60)
    assert loss_test(page) > 0.3, "a network without hidden layers cannot separate XOR"
    assert stats(page)["drawnEpoch"] >= 1
    page.screenshot(path=str(shots / "02-xor-no-hidden-layer.png"))

    # The circle with two hidden layers (4 and 2 tanh neurons) is learned.
    page.click("canvas[data-dataset=circle]")
    wait_hash(page, "dataset=circle")
    page.click("#add-layers")
    wait_hash(page, "networkShape=2&")
    page.click("#add-layers")
    wait_hash(page, "networkShape=2,2&")
    plus_first_layer = page.locator(".ui-numNodes1 button").first
    plus_first_layer.click()
    wait_hash(page, "networkShape=3,2&")
    page.locator(".ui-numNodes1 button").first.click()
    wait_hash(page, "networkShape=4,2&")
    page.select_option("#activations", "tanh")
    wait_hash(page, "activation=tanh")
    assert page.locator("#num-layers").inner_text() == "2"
    assert page.locator(".node-canvas.hidden").count() == 6
    play_until(page, "() => window.playgroundStats.lossTest < 0.05", 60)
    assert loss_test(page) < 0.05
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "03-circle-two-hidden-layers.png"))
    assert float(page.locator("#loss-test").inner_text()) < 0.05
    # The heatmap shows the disc: blue in the middle, orange in a corner.
    centre, corner = heatmap_pixel(page, 50, 50), heatmap_pixel(page, 2, 2)
    assert centre[2] > centre[0] and corner[0] > corner[2]
    # The loss curve is drawn, and the links carry the weights.
    assert len(page.locator("#line-test").get_attribute("points").split()) > 5
    widths = page.evaluate("() => Array.from(document.querySelectorAll('path.link'))"
                           ".map(p => parseFloat(p.style.strokeWidth))")
    assert len(widths) == 2 * 4 + 4 * 2 + 2 * 1 and max(widths) > 1.5

    # Hovering a neuron shows its output in the big heatmap; leaving shows the network's output again.
    output_image = heatmap_image(page)
    page.hover(".node-canvas.hidden >> nth=0")
    wait_for(page, "() => window.playgroundStats.shownNode === 0", 10)
    assert heatmap_image(page) != output_image
    page.mouse.move(5, 5)
    wait_for(page, "() => window.playgroundStats.shownNode === -1", 10)
    assert heatmap_image(page) == output_image
    page.hover(".node-canvas.input >> nth=0")  # a feature: drawn by the page itself
    page.wait_for_timeout(200)
    assert heatmap_pixel(page, 2, 50)[0] > heatmap_pixel(page, 2, 50)[2]  # X1 at x = -6: orange
    page.mouse.move(5, 5)

    # The URL reproduces the set-up in a new tab.
    url = page.url
    for part in ("dataset=circle", "networkShape=4,2", "activation=tanh", "learningRate=0.1", "seed="):
        assert part in url
    again = page.context.new_page()
    open_page(again, server, url[len(server.url):])
    assert again.url == url
    assert again.locator("#num-layers").inner_text() == "2"
    assert again.locator("#learningRate").input_value() == "0.1"
    assert again.locator("#activations").input_value() == "tanh"
    assert again.locator("canvas[data-dataset=circle]").get_attribute("class").endswith("selected")
    assert again.locator("#train-points circle").count() == page.locator("#train-points circle").count()
    again.screenshot(path=str(shots / "04-same-link-new-tab.png"))
    again.close()

    # The exported script rebuilds the network, trains it and gets better.
    with page.expect_download() as download:
        page.click("#export-script")
    script = tmp_path / "playground_model.py"
    download.value.save_as(str(script))
    run = subprocess.run([sys.executable, str(script), "--epochs", "30"], capture_output=True, text=True,
                         timeout=240, cwd=str(tmp_path), env={**os.environ, "PYTHONUNBUFFERED": "1"},
                         check=False)
    assert run.returncode == 0, run.stderr
    found = re.search(r"training loss ([\d.]+) -> ([\d.]+), test loss ([\d.]+) -> ([\d.]+)", run.stdout)
    assert found, run.stdout
    train_before, train_after, test_before, test_after = map(float, found.groups())
    assert train_after < train_before / 2 and test_after < test_before / 2


def test_a_bad_link_falls_back_and_says_so(page, server, tmp_path):
    open_page(page, server, "#learningRate=99&networkShape=4,9&wat=1&dataset=gauss&seed=0.5")
    page.wait_for_selector("#notices:not([hidden])", timeout=10000)
    text = page.locator("#notice-list").inner_text()
    assert "learningRate=99 is out of range (0.00001 to 10); using 0.03." in text
    assert "networkShape=4,9: each layer needs 1 to 8 neurons; using 4,2." in text
    assert "Unknown setting 'wat' ignored." in text
    assert "dataset=gauss" in page.url and "learningRate=0.03" in page.url and "wat" not in page.url
    page.screenshot(path=str(tmp_path / "bad-link.png"))


def test_a_classroom_link_hides_controls(page, server):
    open_page(page, server, "#playButton_hide=true&noise_hide=true&xSquared_hide=true&hideText=true&seed=1")
    assert not page.locator("#play-pause-button").is_visible()
    assert not page.locator("#noise").is_visible()
    assert page.locator("#next-step-button").is_visible()
    assert not page.locator("#page-header").is_visible()
    labels = page.locator(".node-label").all_text_contents()
    assert len(labels) == 6 and "X\u2081\u00b2" not in labels and "X\u2081" in labels
