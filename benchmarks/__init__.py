"""Side-by-side timings: layerwise, a hand-written PyTorch loop, and Keras 3. See ``__main__``."""
