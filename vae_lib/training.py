"""Train a model, or load it if the very same configuration was trained before.

The cache key is a hash of everything that decides the trained weights: both networks'
architectures, the model type, beta, the likelihood, the optimizer, the data description,
epochs, batch size, seed and the library version. A changed configuration therefore never
loads stale weights; it trains and is cached under a new key.

Introduced in chapter 2.
"""

import hashlib
import json
import time
import warnings

import keras

import vae_lib
from vae_lib import data, models, settings


def config_key(model, config):
    """Return a short hash naming the weights of ``model`` trained with ``config``.

    Args:
        model: an ``Autoencoder`` or ``VAE``.
        config: a JSON-serializable dict of training choices (data, epochs, seed, ...).

    Returns:
        str: 16 hex characters.
    """
    description = {
        "library": vae_lib.__version__,
        "model": type(model).__name__,
        "beta": getattr(model, "beta", None),
        "likelihood": model.likelihood.get_config(),
        "encoder": architecture(model.encoder),
        "decoder": architecture(model.decoder),
        "optimizer": _optimizer_config(model),
        "config": config,
    }
    try:
        text = json.dumps(description, sort_keys=True, default=_json_default)
    except TypeError as error:
        raise TypeError(f"config={config!r} is not JSON-serializable: {error}") from None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def architecture(network):
    """Describe a network layer by layer without Keras's automatic names (``dense_3``).

    Returns:
        list of [layer class, layer config without its name, output shape], in order.
    """
    return [
        [type(layer).__name__,
         {key: value for key, value in layer.get_config().items() if key != "name"},
         str(layer.output.shape)]
        for layer in network.layers
    ]


def _optimizer_config(model):
    if getattr(model, "optimizer", None) is None:
        return None
    config = keras.optimizers.serialize(model.optimizer)
    config.get("config", {}).pop("name", None)
    return config


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def train_or_load(model, images, epochs, batch_size=128, validation_images=None, seed=0,
                  binarize="dynamic", targets=None, validation_targets=None, name="model",
                  data_description=None, verbose=None, cache=True, steps_per_execution=None,
                  callbacks=None):
    """Fit ``model`` on ``images`` with ``fit``, or load cached weights from an identical run.

    Args:
        model: a compiled ``Autoencoder`` or ``VAE`` (compiled with defaults if not).
        images: (N, H, W, C) training images in [0, 1].
        epochs: passes over the training images.
        batch_size: images per gradient step.
        validation_images: optional (M, H, W, C) images for ``val_*`` logs.
        seed: seed of shuffling and binarization.
        binarize: ``"dynamic"``, ``"static"`` or None (see ``data.make_dataset``).
        targets, validation_targets: optional clean targets for noisy inputs (denoising).
        name: a readable prefix of the cache file.
        data_description: text naming the data (for example ``split.source``); part of the
            key. The key also holds the number of images and a checksum of them.
        verbose: Keras verbosity (2 = one line per epoch); None picks 2.
        cache: False to always train and never write the cache.
        steps_per_execution: batches run per compiled call (chapter 7: about 1.1-1.4x
            faster on 2 CPU cores for small models, less Python per batch). None keeps the
            model's own setting (1 unless compiled otherwise). It does not change the
            weights, so it is not part of the cache key.
        callbacks: optional list of Keras callbacks for ``fit`` (for example a time limit).
            They are not part of the cache key: use ``cache=False`` with callbacks that
            change what is trained.

    Returns:
        dict with ``model`` (the same object, trained), ``history`` (dict of per-epoch lists:
        loss, reconstruction, kl, val_*), ``loaded`` (bool), ``seconds`` (training time of
        the run that produced the weights) and ``path`` (the weights file).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs={epochs!r}; expected a positive integer")
    if not isinstance(model, (models.Autoencoder, models.VAE)):
        raise TypeError(f"model is a {type(model).__name__}; expected an Autoencoder or VAE")
    images = model.check_images(images)
    if steps_per_execution is not None:
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
                or steps_per_execution <= 0:
            raise ValueError(f"steps_per_execution={steps_per_execution!r}; expected a "
                             "positive integer")
    if not model.compiled:
        model.compile()
    if steps_per_execution is not None and steps_per_execution != model.steps_per_execution:
        model.steps_per_execution = steps_per_execution
        # Rebuild the compiled functions, which read the setting when they are made.
        model.train_function = model.test_function = model.predict_function = None
    config = {
        "epochs": epochs, "batch_size": batch_size, "seed": seed, "binarize": binarize,
        "data": data_description, "num_images": len(images),
        "checksum": _checksum(images, targets),
        "validation": None if validation_images is None else len(validation_images),
    }
    path = settings.cache_dir() / f"{name}-{config_key(model, config)}.weights.h5"
    record_path = path.with_suffix("").with_suffix(".json")
    if cache and path.exists() and record_path.exists():
        model.optimizer.build(model.trainable_variables)  # so its saved state loads too
        model.load_weights(path)
        record = json.loads(record_path.read_text())
        print(f"Loaded trained weights from {path} (trained in {record['seconds']:.0f} s).")
        return {"model": model, "history": record["history"], "loaded": True,
                "seconds": record["seconds"], "path": path}
    train = data.make_dataset(images, batch_size, shuffle=True, seed=seed, binarize=binarize,
                              targets=targets)
    validation = None
    if validation_images is not None:
        validation = data.make_dataset(validation_images, batch_size=512, shuffle=False,
                                       seed=seed + 1, binarize=binarize,
                                       targets=validation_targets)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # fit() warns that its shuffle flag is ignored for tf.data; the pipeline shuffles.
        warnings.filterwarnings("ignore", message=".*shuffle.*")
        history = model.fit(train, validation_data=validation, epochs=epochs,
                            verbose=2 if verbose is None else verbose,
                            callbacks=callbacks)
    seconds = time.perf_counter() - start
    history = {key: [float(value) for value in values]
               for key, values in history.history.items()}
    if cache:
        model.save_weights(path)
        record_path.write_text(json.dumps({"history": history, "seconds": seconds,
                                           "config": config}, indent=1))
    return {"model": model, "history": history, "loaded": False, "seconds": seconds,
            "path": path}


def _checksum(images, targets):
    digest = hashlib.sha256(images.tobytes())
    if targets is not None:
        digest.update(data.check_images(targets, "targets", images.shape[1:]).tobytes())
    return digest.hexdigest()[:16]


def describe(result):
    """One line for a notebook: how the model was obtained and its last logged numbers."""
    how = "loaded from cache" if result["loaded"] else "trained"
    last = {key: values[-1] for key, values in result["history"].items()}
    numbers = ", ".join(f"{key} {value:.2f}" for key, value in sorted(last.items()))
    return (f"{how}: {len(next(iter(result['history'].values())))} epochs in "
            f"{result['seconds']:.0f} s; last epoch (nats per image): {numbers}")

