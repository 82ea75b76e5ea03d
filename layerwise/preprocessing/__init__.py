"""The legacy ``keras.preprocessing`` namespace that course notebooks still import from."""

from layerwise.preprocessing import sequence, text
