"""The Playground: the TensorFlow-Playground lesson as a local web page, trained by layerwise.

``layerwise playground`` starts a small web server (Starlette under uvicorn,
on 127.0.0.1 by default) and serves one page that offers what the original
TensorFlow Playground offers: its data sets, features, hidden layers,
activations, learning rates, regularization, noise and batch size, with the
whole set-up in the URL. The network that trains is a real layerwise
``Sequential`` model on the server, streamed to the page as it learns, and
"Export" hands it over as a runnable script or a ``.keras`` file.

Modules: :mod:`~layerwise.playground.data` (the data sets, generated as the
original generates them), :mod:`~layerwise.playground.state` (settings and
their URL form), :mod:`~layerwise.playground.network` (the model with the
original's semantics), :mod:`~layerwise.playground.export` (the script),
:mod:`~layerwise.playground.session` (one tab's training),
:mod:`~layerwise.playground.server` (the web server) and
:mod:`~layerwise.playground.screenshots` (pictures of the page training).

The server needs the ``playground`` extra (``pip install "layerwise[playground]"``);
everything else here needs only layerwise.

Example:

>>> from layerwise.playground import data, network
>>> split = data.make_dataset("xor", noise=10, percent_train=50, seed="0.5")
>>> model = network.build_model(2, [4], activation="relu", learning_rate=0.03)
"""
