"""The model machinery: Layer, symbolic tensors, Functional, Sequential, Model.

No concrete layer lives here (DESIGN.md, "The map").
"""
