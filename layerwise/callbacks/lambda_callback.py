"""``LambdaCallback``: a callback made of plain functions, one per hook.

How the hooks are attached: ``fit`` calls a hook only on the callbacks whose
*class* overrides it (``CallbackList`` decides this once per ``fit``, so that
for example batch hooks that nobody implements cost nothing per step).
Keras's ``LambdaCallback`` stores the functions as *instance* attributes,
which such a class-level check cannot see. So every ``LambdaCallback`` gets a
class of its own, a subclass made when the instance is created, and each
function given is installed on that class as a ``staticmethod``. The class
then overrides exactly the hooks that were given: the others stay
``Callback``'s and are skipped, and two ``LambdaCallback`` objects never share
hooks. Setting a hook after construction (``cb.on_epoch_end = f``) goes
through the same path; setting it to ``None`` removes it.
"""

from layerwise.callbacks.callback import _HOOKS, Callback
from layerwise.saving.registry import builtin

_HOOK_NAMES = frozenset(_HOOKS) | {"on_batch_begin", "on_batch_end"}


def _rebuild(base, hooks, state):
    """Unpickling / copying helper: a fresh ``base`` instance with ``state`` and ``hooks``."""
    callback = base.__new__(base)
    callback.__dict__.update(state)
    object.__setattr__(callback, "_hooks", {})
    for name, function in hooks.items():
        setattr(callback, name, function)
    return callback


@builtin("callbacks")
class LambdaCallback(Callback):
    """A callback built from functions, for simple custom actions during ``fit``, ``evaluate``, ``predict``.

    The functions take the hooks' arguments positionally:

    - ``on_epoch_begin`` and ``on_epoch_end``: ``(epoch, logs)``
    - ``on_train_begin`` and ``on_train_end``: ``(logs)``
    - ``on_train_batch_begin`` and ``on_train_batch_end``: ``(batch, logs)``
    - any other hook of ``Callback`` (``on_test_batch_end``,
      ``on_predict_end``, the legacy ``on_batch_end``, ...), passed by name in
      ``**kwargs``, with that hook's arguments.

    Only the hooks given are run: the others cost nothing during training.

    Args:
        on_epoch_begin: called at the start of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the start of training.
        on_train_end: called at the end of training.
        on_train_batch_begin: called before every training batch.
        on_train_batch_end: called after every training batch.
        **kwargs: other hooks by name (``on_test_end=f``). A name starting
            with ``on_`` that is not a hook raises ValueError (a misspelt hook
            would otherwise never run); other names become attributes, as in
            Keras.

    Example:

    >>> print_batch = layerwise.callbacks.LambdaCallback(
    ...     on_train_batch_begin=lambda batch, logs: print(batch))
    >>> json_log = open("loss_log.json", mode="wt", buffering=1)
    >>> log_loss = layerwise.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: json_log.write(
    ...         json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\\n"),
    ...     on_train_end=lambda logs: json_log.close())
    >>> model.fit(x, y, callbacks=[print_batch, log_loss])
    """

    def __new__(cls, *args, **kwargs):
        # A class of this instance's own, named like its parent, to carry the hooks given.
        own_class = type(cls.__name__, (cls,), {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "_lambda_base": cls,
        })
        return super().__new__(own_class)

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        object.__setattr__(self, "_hooks", {})
        for name, value in kwargs.items():
            if name.startswith("on_") and name not in _HOOK_NAMES:
                raise ValueError(
                    f"LambdaCallback: {name!r} is not a callback hook; the hooks are "
                    f"{', '.join(sorted(_HOOK_NAMES))}."
                )
            setattr(self, name, value)
        given = {
            "on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin, "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin, "on_train_batch_end": on_train_batch_end,
        }
        for name, function in given.items():
            if function is not None:
                setattr(self, name, function)

    def __setattr__(self, name, value):
        if name not in _HOOK_NAMES:
            object.__setattr__(self, name, value)
            return
        own_class = type(self)
        if value is None:
            self._hooks.pop(name, None)
            if name in own_class.__dict__:
                delattr(own_class, name)
            return
        if not callable(value):
            raise ValueError(  # noqa: TRY004 (bad arguments are ValueErrors throughout the callbacks)
                f"LambdaCallback: `{name}` must be a function (or None); got {name}={value!r}."
            )
        self._hooks[name] = value
        setattr(own_class, name, staticmethod(value))

    def __reduce__(self):
        state = {k: v for k, v in self.__dict__.items() if k != "_hooks"}
        return _rebuild, (type(self)._lambda_base, dict(self._hooks), state)

    def __repr__(self):
        return f"<LambdaCallback hooks={sorted(self._hooks)}>"
