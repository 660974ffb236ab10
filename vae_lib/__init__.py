"""vae_lib: the small, tested library behind the book *Variational Autoencoders for Image
Analysis and Visualization*.

Modules, in the order they depend on each other:
settings -> data -> distributions -> likelihoods -> elbo -> layers -> networks -> models
-> recipes -> training / evaluation -> pca / plots / widgets / checks / coursework / notebook.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.2.0"


def _import_tensorflow_quietly():
    """Import TensorFlow with the process's stderr (file descriptor 2) sent to /dev/null.

    TensorFlow's C++ code prints start-up lines (oneDNN, CUDA drivers) straight to file
    descriptor 2 before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot stop them,
    and Jupyter shows them under the first cell of every chapter. Python errors raised by the
    import still reach the caller as exceptions. Later warnings are not affected.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (some embedded interpreters): import as usual
        import tensorflow  # noqa: F401
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow

        # Device discovery prints its own line ("failed call to cuInit" without a GPU) at the
        # first operation; do it now, while the lines are discarded.
        tensorflow.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
