"""Train a recipe's model, or load it if the very same recipe was trained before.

``train_or_load(recipe)`` builds the model, selects its data, trains it for its budget of
images with Keras's ``fit``, and caches the weights. The cache never lies:

* the key is a hash of the whole recipe (initial-weights seed included), of the data (their
  source, size and a checksum of the pixels), of the mode, and of a fingerprint of the
  library code that decides the weights (:func:`library_fingerprint`): change the loss and
  every model trains anew;
* a run whose loss or weights are not finite, or that stopped before its budget (for
  example by a callback), raises :class:`TrainingError` and is never cached;
* an entry is one file, written to a temporary name and renamed into place, so two processes
  may train and read the same model at once; the file holds its own record and a checksum;
* an unreadable or truncated entry is reported with its path and trained again;
* if the cache cannot be written (a read-only folder), the trained model is still returned,
  with a warning.

Long training shows a progress bar on standard error (``tqdm``); the book's website drops
standard error, so only Jupyter shows it.

Introduced in chapter 2.
"""

import ast
import dataclasses
import hashlib
import json
import math
import os
import pathlib
import sys
import tempfile
import time
import warnings

import keras
import numpy as np

import vae_lib
from vae_lib import data, models, recipes, settings

RECORD_ATTRIBUTE = "vae_book_record"
# The modules whose code decides the trained weights. For recipes.py only its functions and
# classes count: adding a recipe to the book's list must not retrain every other model.
FINGERPRINTED = ("data", "distributions", "likelihoods", "elbo", "layers", "networks",
                 "models", "recipes", "training")
STEPS_PER_EXECUTION = 32  # batches per compiled call: speed only (chapter 7), not in the key


class TrainingError(RuntimeError):
    """Training produced weights that must not be used or cached (diverged, or cut short)."""


@dataclasses.dataclass
class Trained:
    """A trained model and how it was obtained.

    Attributes:
        model: the trained ``VAE`` or ``Autoencoder``.
        recipe: the :class:`recipes.Recipe` it was trained from.
        history: dict of lists, one entry per logging point: ``images_seen``, ``loss``,
            ``reconstruction`` (and ``kl`` for a VAE), and ``val_*`` on the validation images;
            nats per image.
        loaded: True if the weights came from the cache.
        seconds: training time of the run that produced the weights.
        path: the cache file (None if it could not be written or ``cache=False``).
        data: the :class:`recipes.TrainingData` it was trained on.
    """

    model: object
    recipe: object
    history: dict
    loaded: bool
    seconds: float
    path: object
    data: object

    def describe(self):
        """One line for a notebook: the model, how it was obtained, its last logged numbers."""
        how = "loaded from the cache" if self.loaded else "trained"
        last = {key: values[-1] for key, values in self.history.items()
                if key != "images_seen"}
        numbers = ", ".join(f"{key} {value:.2f}" for key, value in sorted(last.items()))
        return (f"{self.recipe.name}: {how}; {self.history['images_seen'][-1]:,} images seen "
                f"in {self.seconds:.0f} s of training on {self.data.description}; at the end "
                f"(nats per image): {numbers}")


def library_fingerprint():
    """A hash of the library code that decides trained weights (docstrings and comments
    excluded, so documentation fixes keep the cache).

    Returns:
        str: 16 hex characters.
    """
    digest = hashlib.sha256()
    folder = pathlib.Path(vae_lib.__file__).parent
    for name in FINGERPRINTED:
        tree = _without_docstrings(ast.parse((folder / f"{name}.py").read_text()))
        nodes = tree.body
        if name == "recipes":
            nodes = [node for node in nodes
                     if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import,
                                          ast.ImportFrom))]
        for node in nodes:
            digest.update(ast.dump(node).encode())
    return digest.hexdigest()[:16]


def _without_docstrings(node):
    """A copy of an AST node with every docstring removed."""
    import copy

    node = copy.deepcopy(node)
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if (isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            child.body = body[1:] or [ast.Pass()]
    return node


def cache_key(recipe, training_data):
    """The hash naming a recipe's weights: recipe, mode, data and library fingerprint.

    Args:
        recipe: a :class:`recipes.Recipe`.
        training_data: its :class:`recipes.TrainingData`.

    Returns:
        str: 16 hex characters.
    """
    checksum = hashlib.sha256(np.ascontiguousarray(training_data.train).tobytes())
    checksum.update(np.ascontiguousarray(training_data.validation).tobytes())
    description = {
        "recipe": recipe.key_fields(),
        "mode": settings.mode(),
        "data": {"source": training_data.source, "train": len(training_data.train),
                 "validation": len(training_data.validation),
                 "checksum": checksum.hexdigest()[:16]},
        "library": library_fingerprint(),
        "keras": keras.__version__,
    }
    text = json.dumps(description, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def train_or_load(recipe, verbose=1, cache=True, callbacks=None, strategy=None):
    """Train a recipe's model for its budget, or load the weights of an identical run.

    Args:
        recipe: a :class:`recipes.Recipe`, or the name of a registered one.
        verbose: 1 shows a progress bar on standard error while training (Jupyter shows it;
            the website drops standard error); 0 is silent.
        cache: False to always train and never read or write the cache.
        callbacks: optional Keras callbacks for ``fit``. A callback that stops training early
            makes the run shorter than its budget, which raises :class:`TrainingError`.
        strategy: optional ``tf.distribute`` strategy to train under (chapter 11). Training
            then runs one step per compiled call, and the validation images must split
            evenly over the replicas (Keras 3.15 averages the first validation batch across
            them); ``tests/test_distributed.py`` checks the curves against one device.

    Returns:
        :class:`Trained`.

    Raises:
        TrainingError: the loss or the weights became NaN or infinite (nothing is cached), or
            training stopped before the budget was spent.
    """
    recipe = recipes.get(recipe)
    if verbose not in (0, 1):
        raise ValueError(f"verbose={verbose!r}; expected 0 (silent) or 1 (progress bar)")
    training_data = recipes.training_data(recipe)
    model = recipe.build(strategy=strategy)
    path = settings.cache_dir() / f"{recipe.name}-{cache_key(recipe, training_data)}.weights.h5"
    if cache and path.exists():
        record = _load(model, path)
        if record is not None:
            return Trained(model, recipe, record["history"], True, record["seconds"], path,
                           training_data)
        model = recipe.build(strategy=strategy)  # fresh weights after a failed load
    start = time.perf_counter()
    history = fit(model, training_data.train, training_data.validation,
                  steps=recipe.steps, batch_size=recipe.batch_size,
                  num_logs=recipe.num_logs.value(), seed=recipe.shuffle_seed,
                  binarize=recipe.binarize, input_noise=recipe.input_noise,
                  noise_kind=recipe.noise_kind,
                  labels=training_data.train_labels if recipe.conditional else None,
                  validation_labels=(training_data.validation_labels if recipe.conditional
                                     else None),
                  callbacks=callbacks, verbose=verbose, description=recipe.name)
    seconds = time.perf_counter() - start
    _check_finished(model, recipe, history)
    saved = None
    if cache:
        saved = _save(model, path, {"history": history, "seconds": seconds,
                                    "recipe": recipe.key_fields(),
                                    "data": training_data.description})
    return Trained(model, recipe, history, False, seconds, saved, training_data)


def fit(model, images, validation_images=None, steps=100, batch_size=128, num_logs=10, seed=0,
        binarize="dynamic", input_noise=0.0, callbacks=None, verbose=1, description="training",
        steps_per_execution=None, noise_kind="gaussian", labels=None, validation_labels=None):
    """Train ``model`` for a number of optimizer steps with Keras's ``fit`` (no caching).

    The training images are repeated and reshuffled as often as the steps need; ``fit`` runs
    ``num_logs`` "epochs" of ``ceil(steps / num_logs)`` steps each, so the losses are logged,
    and the validation images evaluated, ``num_logs`` times whatever the size of the data.

    Args:
        model: a compiled ``Autoencoder`` or ``VAE`` (compiled with defaults if not).
        images: (N, H, W, C) training images in [0, 1].
        validation_images: optional (M, H, W, C) held-out images, binarized once (fixed
            seed) if ``binarize`` is not None, so every evaluation sees the same images.
        steps: optimizer steps (batches).
        batch_size: images per step.
        num_logs: logging points.
        seed: seed of the shuffling, the binarization and the input noise.
        binarize: ``"dynamic"``, ``"static"`` or None (see ``data.make_dataset``).
        input_noise, noise_kind: corruption of the inputs, clean targets (``data.add_noise``).
        callbacks: optional Keras callbacks.
        verbose: 1 for a progress bar on standard error, 0 for none.
        description: the progress bar's label.
        steps_per_execution: batches per compiled call (speed only, chapter 7); None picks
            the largest divisor of the logging interval up to ``STEPS_PER_EXECUTION``.
        labels, validation_labels: integer classes of the images, for a conditional model.

    Returns:
        dict of lists (one entry per logging point) with ``images_seen`` and the logs of
        ``fit`` (``loss``, ``reconstruction``, ``kl``, ``val_*``), in nats per image.
    """
    if not isinstance(model, (models.Autoencoder, models.VAE)):
        raise TypeError(f"model is a {type(model).__name__}; expected an Autoencoder or VAE")
    for name, value in (("steps", steps), ("batch_size", batch_size), ("num_logs", num_logs),
                        ("steps_per_execution", steps_per_execution or 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name}={value!r}; expected a positive integer")
    images = model.check_images(images)
    if not model.compiled:
        model.compile()
    num_logs = min(num_logs, steps)
    steps_per_log = math.ceil(steps / num_logs)  # every interval alike: steps rounds up
    # Batches per compiled call: the largest divisor of the interval up to the limit, so
    # every call runs the same number of steps and the step function is traced once.
    per_execution = steps_per_execution or max(
        d for d in range(1, min(STEPS_PER_EXECUTION, steps_per_log) + 1) if steps_per_log % d == 0)
    if model.distribute_strategy.num_replicas_in_sync > 1:
        # Under tf.distribute, Keras 3 fails to run several steps per call (keras-team/keras
        # issue 19246: "You must feed a value for placeholder tensor"): one step per call.
        per_execution = 1
    if model.steps_per_execution != per_execution:
        model.steps_per_execution = per_execution
        model.train_function = model.test_function = model.predict_function = None
    model.check_labels(labels, len(images))
    train = data.make_dataset(images, batch_size, shuffle=True, seed=seed, binarize=binarize,
                              input_noise=input_noise, noise_kind=noise_kind, repeat=True,
                              labels=labels)
    validation = None
    if validation_images is not None:
        validation_images = model.check_images(validation_images, "validation_images")
        if binarize is not None:
            validation_images = data.binarize_static(validation_images, seed=seed + 1)
        targets = None
        if input_noise:  # one fixed noisy copy, so every evaluation sees the same inputs
            validation_images, targets = (data.add_noise(validation_images, input_noise,
                                                         seed=seed + 2, kind=noise_kind),
                                          validation_images)
        validation_labels = model.check_labels(validation_labels, len(validation_images))
        validation = data.make_dataset(validation_images, batch_size=500, shuffle=False,
                                       binarize=None, targets=targets, labels=validation_labels)
    progress = [_Progress(steps_per_log * num_logs, description)] if verbose else []
    try:
        with warnings.catch_warnings():
            # fit() warns that its shuffle flag is ignored for tf.data; the pipeline shuffles.
            warnings.filterwarnings("ignore", message=".*shuffle.*")
            result = model.fit(train, validation_data=validation, epochs=num_logs,
                               steps_per_epoch=steps_per_log, verbose=0,
                               callbacks=list(callbacks or []) + progress)
    finally:
        for bar in progress:
            bar.close()
    logs = {key: [float(value) for value in values] for key, values in result.history.items()}
    done = len(next(iter(logs.values()), []))
    logs["images_seen"] = [(interval + 1) * steps_per_log * batch_size
                           for interval in range(done)]
    return logs


class _Progress(keras.callbacks.Callback):
    """A tqdm bar over all optimizer steps, on standard error, with the latest losses."""

    def __init__(self, total, description):
        super().__init__()
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=description, unit="step", file=sys.stderr,
                        mininterval=1.0, leave=True)
        self.seen_in_run = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.seen_in_run = 0

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1  # with steps_per_execution, `batch` is the last step of the call
        self.bar.update(max(done - self.seen_in_run, 0))
        self.seen_in_run = max(done, self.seen_in_run)

    def on_epoch_end(self, epoch, logs=None):
        shown = {key: f"{value:.1f}" for key, value in (logs or {}).items()
                 if key in ("loss", "val_loss")}
        self.bar.set_postfix(shown, refresh=True)

    def close(self):
        self.bar.close()


def _check_finished(model, recipe, history):
    """Refuse (raise) a diverged run or one cut short; nothing of it is cached."""
    bad_logs = [key for key, values in history.items() if not np.all(np.isfinite(values))]
    bad_weights = [variable.path for variable in model.weights
                   if not np.all(np.isfinite(keras.ops.convert_to_numpy(variable)))]
    if bad_logs or bad_weights:
        where = bad_weights[0] if bad_weights else "the weights"
        raise TrainingError(
            f"recipe {recipe.name!r} diverged: logged {', '.join(bad_logs) or 'values'} became "
            f"NaN or infinite (first non-finite weight: {where}); learning_rate="
            f"{recipe.learning_rate:g}. Nothing was cached: lower the learning rate or check "
            "the loss.")
    done = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    if done < recipe.steps:
        raise TrainingError(
            f"recipe {recipe.name!r} stopped after {done:,} of its {recipe.steps:,} steps (a "
            "callback stopped training?). A shorter run is not the recipe, so it was not "
            "cached; train it with cache=False to use it anyway.")


def _save(model, path, record):
    """Write weights + record to a temporary file, then rename it into place (atomic)."""
    import h5py

    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".weights.h5",
                                             dir=path.parent)
        os.close(handle)
        model.save_weights(temporary, overwrite=True)
        with h5py.File(temporary, "a") as store:
            store.attrs[RECORD_ATTRIBUTE] = json.dumps(record)
            store.attrs[RECORD_ATTRIBUTE + "_checksum"] = _weights_checksum(model)
        os.replace(temporary, path)
        return path
    except Exception as error:  # a full disk, a read-only folder: keep the trained model
        if temporary is not None and os.path.exists(temporary):
            try:
                os.remove(temporary)
            except OSError:
                pass
        warnings.warn(f"could not write the weight cache {path}: {error}. The trained model is "
                      "returned, but it will be trained again next time.", stacklevel=3)
        return None


def _load(model, path):
    """Load a cache entry into ``model``; None (with a warning) if it is unreadable."""
    import h5py

    try:
        with h5py.File(path, "r") as store:
            record = json.loads(store.attrs[RECORD_ATTRIBUTE])
            checksum = store.attrs[RECORD_ATTRIBUTE + "_checksum"]
        with model.distribute_strategy.scope():  # a tf.distribute model loads in its scope
            model.optimizer.build(model.trainable_variables)  # so its saved state loads too
            model.load_weights(path)
        if _weights_checksum(model) != checksum:
            raise ValueError("the weights do not match the checksum stored with them")
    except Exception as error:
        warnings.warn(f"the weight cache entry {path} is unreadable ({type(error).__name__}: "
                      f"{error}); it is removed and the model trained again.", stacklevel=3)
        try:
            path.unlink()
        except OSError:
            pass
        return None
    return record


def _weights_checksum(model):
    digest = hashlib.sha256()
    for variable in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(variable)).tobytes())
    return digest.hexdigest()[:16]
