"""``clone_model``: the same architecture with new layers and freshly initialised weights.

As ``keras.models.clone_model``: a Sequential model is rebuilt from clones
of its layers; a Functional model by replaying its graph on new ``Input``
tensors with cloned layers; any other model from its config. A compiled
model's clone is compiled the same way (with a new optimizer).

Example:

>>> fresh = clone_model(model)                   # same layers, new weights
>>> fresh.set_weights(model.get_weights())       # copy the weights too, if wanted
"""

from layerwise.engine import nest
from layerwise.engine.functional import Functional
from layerwise.engine.input_layer import Input, InputLayer
from layerwise.engine.model import Model
from layerwise.engine.sequential import Sequential
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving import serialization


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False,
                **kwargs):
    """Clone a Functional or Sequential model: new layers, new weights, same structure.

    Args:
        model: a ``Model`` (Sequential, Functional, or a subclass with
            ``get_config``/``from_config``).
        input_tensors: ``Input`` tensors (a structure like ``model.input``)
            to build the clone on; default: new ``Input`` objects shaped like
            the model's.
        clone_function: ``fn(layer) -> layer`` used for every layer except
            inputs; default ``layer.__class__.from_config(layer.get_config())``.
            Return the layer itself to share it (and its weights).
        call_function: ``fn(layer, *args, **kwargs) -> outputs`` used to call
            each cloned layer of a Functional model (to insert layers around it).
        recursive: also clone nested Sequential/Functional models with
            ``clone_model`` (same ``clone_function``) instead of ``clone_function``.

    Example:

    >>> clone = clone_model(model, clone_function=lambda layer: layer.__class__.from_config(
    ...     {**layer.get_config(), "name": layer.name + "_copy"}))
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a layerwise Model, got {type(model).__name__}.")
    # The layers come from this process, not from a file: their configs may carry Lambda code.
    with serialization.safe_mode_scope(False):
        return _clone(model, input_tensors, clone_function, call_function, recursive, cache)


def _clone(model, input_tensors, clone_function, call_function, recursive, cache):
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a Sequential "
                "model, layers aren't called at model-construction time (they're merely listed). Use "
                f"`call_function` with Functional models only. Received model of type "
                f"'{type(model).__name__}', with call_function={call_function}"
            )
        clone = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential(model, clone, input_tensors)
    if isinstance(model, Functional):
        clone = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, clone, input_tensors, call_function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential models or "
            f"Functional models. Received model of type '{type(model).__name__}', with "
            f"clone_function={clone_function} and input_tensors={input_tensors}"
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for Functional models. Received model of type "
            f"'{type(model).__name__}', with call_function={call_function}"
        )
    return _clone_from_config(model)


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """Clone each layer once (a layer shared in the model stays shared in the clone)."""
    clone_function = clone_function or _default_clone
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Functional):
            clone = clone_model(layer, clone_function=clone_function, call_function=call_function,
                                recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _clone_sequential(model, clone, input_tensors):
    if not callable(clone):
        raise ValueError(  # noqa: TRY004 -- Keras raises ValueError here
            f"Expected `clone_function` argument to be a callable. Received: clone_function={clone}"
        )
    new_layers = [clone(layer) for layer in model.layers]
    reference = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                f"Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                f"input_tensors={input_tensors}"
            )
        history = input_tensors._keras_history
        if history is None or not isinstance(history.layer, InputLayer):
            raise ValueError(
                "Argument `input_tensors` of a Sequential clone must come from layerwise.Input(...); "
                "to start from another model's tensor, build a Functional model instead."
            )
        new_layers = [input_tensors] + new_layers
    elif reference is not None:
        new_layers = [Input(batch_shape=reference.batch_shape, dtype=reference.dtype, name=reference.name,
                            optional=reference.optional)] + new_layers
    cloned = Sequential(new_layers, name=model.name, trainable=model.trainable)
    _compile_like(model, cloned)
    return cloned


def _clone_functional(model, clone, input_tensors, call_function):
    if not callable(clone):
        raise ValueError(  # noqa: TRY004 -- Keras raises ValueError here
            f"Expected `clone_function` argument to be a callable. Received: clone_function={clone}"
        )
    if input_tensors is not None:
        if not all(isinstance(x, KerasTensor) for x in nest.flatten(input_tensors)):
            raise ValueError(
                f"All entries in `input_tensors` must be KerasTensors. Received invalid values: "
                f"inputs_tensors={input_tensors}"
            )
        if len(nest.flatten(input_tensors)) != len(model._input_tensors) or \
                _structure_of(input_tensors) != _structure_of(model.input):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input\n"
                f"Reference structure: {model.input}\nReceived structure: {input_tensors}"
            )
    else:
        input_tensors = nest.map_structure(
            lambda x: Input(batch_shape=x.shape, dtype=x.dtype, name=x.name), model.input
        )
    values = {id(old): new for old, new in zip(model._input_tensors, nest.flatten(input_tensors))}

    def fetch(leaf):
        return values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf

    for layer, call_args, call_kwargs, output_ids in model._plan:
        new_layer = clone(layer)
        args = nest.map_structure(fetch, call_args)
        kwargs = nest.map_structure(fetch, call_kwargs)
        outputs = call_function(new_layer, *args, **kwargs) if call_function else new_layer(*args, **kwargs)
        flat = nest.flatten(outputs)
        if len(flat) != len(output_ids):
            raise ValueError(
                f"The clone of layer '{layer.name}' returned {len(flat)} output(s); the original returned "
                f"{len(output_ids)}. A clone_function/call_function must keep each layer's outputs."
            )
        for output_id, value in zip(output_ids, flat):
            values[output_id] = value
    output_tensors = nest.map_structure(lambda t: values[id(t)], model._outputs_struct)
    target = type(model) if _functional_like(type(model)) else Functional
    cloned = target(input_tensors, output_tensors, name=model.name)
    _compile_like(model, cloned)
    return cloned


def _structure_of(structure):
    return nest.map_structure(lambda _: None, structure)


def _functional_like(cls):
    import inspect

    if cls is Functional:
        return True
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    reference = [p.name for p in list(inspect.signature(Functional.__init__).parameters.values())[1:]
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes_anything = any(p.kind == p.VAR_POSITIONAL for p in params) and \
        any(p.kind == p.VAR_KEYWORD for p in params)
    return names == reference or takes_anything


def _compile_like(model, cloned):
    if getattr(model, "compiled", False):
        cloned.compile_from_config(model.get_compile_config())


def _clone_from_config(model):
    from layerwise.saving.model_config import config_to_json, model_from_config, parse_json, serialize_model

    source = f"the config of model '{model.name}'"
    # Through JSON, as a file would go: the clone shares no object with the model.
    config = parse_json(config_to_json(serialize_model(model)), source)
    classes = {type(layer).__name__: type(layer) for layer in model._flatten_layers()}
    return model_from_config(config, custom_objects=classes, compile=True, safe_mode=False, source=source)
