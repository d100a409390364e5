"""Model constructors and their registry: ``get_model(name, **kw)``, ``list_models()``.

Register a constructor with ``@register_model`` (its name is the function name) in the module
of its family, and import the module below.
"""
from ..errors import GluonNotesError
from ..inputs import InputChecked

_MODELS = {}


def register_model(fn=None, *, name=None):
    """Decorator adding a model constructor to the registry."""
    def add(f):
        key = name or f.__name__
        if key in _MODELS:
            raise ValueError("model %r is registered twice." % key)
        _MODELS[key] = f
        return f
    return add(fn) if fn is not None else add


def list_models():
    """Sorted names of all registered models."""
    return sorted(_MODELS)


def get_model(name, **kwargs):
    """Build the registered model ``name`` with ``kwargs`` (e.g. ``classes=10``).

    The model refuses a wrong input shape with one sentence naming ``name``
    (``inputs.InputChecked``).

    Raises
    ------
    GluonNotesError
        For an unknown name; the message lists the valid names.
    """
    if name not in _MODELS:
        raise GluonNotesError("unknown model %r; valid names are: %s."
                              % (name, ", ".join(list_models())))
    net = _MODELS[name](**kwargs)
    if isinstance(net, InputChecked):
        net.model_name = name
    return net


from . import basic  # noqa: E402,F401  (registers the chapter-3 models)
from . import cnn, resnet, densenet  # noqa: E402,F401  (registers the chapter-5 CNNs)
from . import course  # noqa: E402,F401  (registers the PyTorch course's CNNs)

__all__ = ["get_model", "list_models", "register_model"]
