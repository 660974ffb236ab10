"""Benchmark: the book's convolutional VAE against two reference tutorials, in ONE run.

    python benchmarks/benchmark_conv_vae.py            # the full run (about 15 minutes on 2 cores)
    python benchmarks/benchmark_conv_vae.py --quick    # a smoke run (a few minutes)

Contestants (each trained and evaluated in its own subprocess, one after the other, so that
each has its own peak memory and none competes with another for the 2 cores):

* ``tutorial``: a re-implementation, written from its published description, of the
  TensorFlow "Convolutional Variational Autoencoder" tutorial: encoder Conv2D(32, 3, stride 2)
  -> Conv2D(64, 3, stride 2) -> Dense(2 * latent); decoder Dense(7*7*32) -> Conv2DTranspose
  64, 32 (stride 2) -> Conv2DTranspose(1) logits; latent 2; Adam(1e-4); batch 32; single-sample
  Monte Carlo ELBO; a hand-written ``tf.function`` step per batch and a Python loop per epoch;
  ``from_tensor_slices(...).shuffle(...).batch(32)``; images thresholded at 0.5.
* ``keras-example``: the Keras "Variational AutoEncoder" example: encoder Conv2D 32, 64
  (stride 2, same) -> Dense(16) -> z_mean, z_log_var (latent 2); decoder Dense(7*7*64) ->
  Conv2DTranspose 64, 32 (stride 2) -> Conv2DTranspose(1, sigmoid); binary cross-entropy on
  probabilities summed over pixels + KL; Adam() (1e-3); ``fit(images, batch_size=128)`` on grey
  images (pixel / 255, no binarization).
* ``book-tutorial-arch-b32``: the tutorial's exact networks, optimizer and batch size, trained
  through the book's code path (``models.VAE`` + ``training.train_or_load``: tf.data pipeline
  with cache, seeded shuffle, dynamic binarization, fixed prefetch, ``steps_per_execution``).
  Same architecture and batch size as ``tutorial``: this pair gives the throughput ratio.
* ``book-tutorial-arch-b32-bf16``: the same, with Keras's opt-in ``mixed_bfloat16`` policy
  (bfloat16 compute, float32 weights and loss); evaluated in float32.
* ``book``: the book's chapter-7 model (``networks.conv_encoder``/``conv_decoder``, latent 16),
  Adam(1e-3), its default batch 128, through the same code path.

Every contestant trains for the same wall-clock budget (``--budget-seconds``) on the same
training images, so "better log-likelihood at equal training time" is measured directly;
throughput is the median over complete epochs, excluding the first (tracing and warm-up).
All are then evaluated with the SAME estimator (``vae_lib.evaluation``: single-sample test ELBO
and the importance-weighted log-likelihood) on the SAME test images, binarized the SAME way
(``data.binarize_static(test, seed=0)``, one Bernoulli draw per pixel). Reference models are
wrapped by thin adapters (their encoder's output split into z_mean and z_log_var; the Keras
example's sigmoid output turned back into logits after Keras's own 1e-7 clipping).

The ``book`` worker also times the decoder alone (raw batched forward passes, decodes per
second) and the importance-weighted evaluation (decodes per second), and extrapolates the
time for 10,000 test images at num_samples=1000.

Peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read at the end of each
contestant's subprocess (training + evaluation; includes TensorFlow's own ~0.5 GB runtime).
"""

import argparse
import json
import math
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
CONTESTANTS = ("tutorial", "book-tutorial-arch-b32", "book-tutorial-arch-b32-bf16",
               "keras-example", "book")
# bfloat16 pays off only on CPUs with bfloat16 units (AVX512-BF16 or AMX, as on the machine
# these results come from); elsewhere TensorFlow emulates it and it can be much slower, so the
# book keeps it opt-in. Leave it out with --contestants.
REFERENCE_OF = {  # ratio book / reference, as the issue asks
    "book-tutorial-arch-b32": "tutorial",
    "book-tutorial-arch-b32-bf16": "tutorial",
    "book": "tutorial",
}


# --------------------------------------------------------------------------- data

def load(config):
    """Training images (grey, [0, 1]) and the shared, statically binarized test images."""
    from vae_lib import data

    loader = data.load_fashion_mnist if config["dataset"] == "fashion_mnist" else data.load_mnist
    train, _ = loader("train", verbose=False)
    test, _ = loader("test", verbose=False)
    train = train[:config["train_images"]]
    test_binary = data.binarize_static(test[:config["eval_images"]], seed=0)
    return train, test_binary


# --------------------------------------------------------------------------- networks

def tutorial_networks(latent_dim):
    import keras

    encoder = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(latent_dim + latent_dim),  # [mean, logvar]
    ], name="tutorial_encoder")
    decoder = keras.Sequential([
        keras.Input((latent_dim,)),
        keras.layers.Dense(7 * 7 * 32, activation="relu"),
        keras.layers.Reshape((7, 7, 32)),
        keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(1, 3, strides=1, padding="same"),  # logits
    ], name="tutorial_decoder")
    return encoder, decoder


def split_encoder(encoder, latent_dim):
    """Adapter: an encoder with one (batch, 2 * latent) output -> [z_mean, z_log_var]."""
    import keras

    x = keras.Input((28, 28, 1))
    both = encoder(x)
    return keras.Model(x, [both[:, :latent_dim], both[:, latent_dim:]])


def keras_example_networks(latent_dim=2):
    import keras
    from keras import ops

    class Sampling(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(x)
    h = keras.layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(16, activation="relu")(h)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(x, [z_mean, z_log_var, z], name="encoder")
    z_in = keras.Input((latent_dim,))
    h = keras.layers.Dense(7 * 7 * 64, activation="relu")(z_in)
    h = keras.layers.Reshape((7, 7, 64))(h)
    h = keras.layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
    h = keras.layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
    out = keras.layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
    decoder = keras.Model(z_in, out, name="decoder")
    return encoder, decoder


# --------------------------------------------------------------------------- timing

class Clock:
    """Per-epoch wall-clock times, and a training-time budget checked after every call."""

    def __init__(self, budget_seconds, max_epochs):
        self.budget, self.max_epochs = budget_seconds, max_epochs
        self.epoch_seconds, self.complete = [], []
        self.training_seconds = 0.0

    def start_epoch(self):
        self._start = time.perf_counter()

    def out_of_time(self):
        used = self.training_seconds + time.perf_counter() - self._start
        return self.budget > 0 and used >= self.budget

    def end_epoch(self, complete=True):
        seconds = time.perf_counter() - self._start
        self.training_seconds += seconds
        self.epoch_seconds.append(seconds)
        self.complete.append(bool(complete))
        return (self.budget > 0 and self.training_seconds >= self.budget) or \
            len(self.epoch_seconds) >= self.max_epochs


def keras_clock_callback(clock):
    import keras

    class ClockCallback(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.cut = False
            clock.start_epoch()

        def on_train_batch_end(self, batch, logs=None):
            if clock.out_of_time():
                self.cut = self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if clock.end_epoch(complete=not self.cut):
                self.model.stop_training = True

    return ClockCallback()


# --------------------------------------------------------------------------- contestants

def run_tutorial(config, train, latent_dim=2, batch_size=32):
    """The TensorFlow tutorial's loop, as published (only the time budget is added)."""
    import numpy as np
    import tensorflow as tf

    images = np.where(train > 0.5, 1.0, 0.0).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images)).batch(batch_size)
    encoder, decoder = tutorial_networks(latent_dim)
    optimizer = tf.keras.optimizers.Adam(1e-4)

    def log_normal_pdf(sample, mean, logvar):
        log2pi = tf.math.log(2.0 * np.pi)
        return tf.reduce_sum(-0.5 * ((sample - mean) ** 2.0 * tf.exp(-logvar) + logvar + log2pi),
                             axis=1)

    def compute_loss(x):
        mean, logvar = tf.split(encoder(x), num_or_size_splits=2, axis=1)
        eps = tf.random.normal(shape=tf.shape(mean))
        z = eps * tf.exp(logvar * 0.5) + mean
        x_logit = decoder(z)
        cross_ent = tf.nn.sigmoid_cross_entropy_with_logits(logits=x_logit, labels=x)
        logpx_z = -tf.reduce_sum(cross_ent, axis=[1, 2, 3])
        logpz = log_normal_pdf(z, 0.0, 0.0)
        logqz_x = log_normal_pdf(z, mean, logvar)
        return -tf.reduce_mean(logpx_z + logpz - logqz_x)

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            loss = compute_loss(x)
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    clock = Clock(config["budget_seconds"], config["max_epochs"])
    done = False
    while not done:
        clock.start_epoch()
        cut = False
        for batch in dataset:
            train_step(batch)
            if clock.out_of_time():
                cut = True
                break
        done = clock.end_epoch(complete=not cut)
    return wrap(split_encoder(encoder, latent_dim), decoder), clock, batch_size


def wrap(encoder, decoder):
    from vae_lib import models

    return models.VAE(encoder, decoder)


def run_book_tutorial_arch(config, train, bfloat16=False, latent_dim=2, batch_size=32):
    import keras

    from vae_lib import models, training

    if bfloat16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    encoder, decoder = tutorial_networks(latent_dim)
    model = models.VAE(split_encoder(encoder, latent_dim), decoder, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    clock = train_book(config, model, train, batch_size)
    if bfloat16:  # evaluate in float32: same weights in float32 networks
        keras.mixed_precision.set_global_policy("float32")
        encoder32, decoder32 = tutorial_networks(latent_dim)
        encoder32.set_weights(encoder.get_weights())
        decoder32.set_weights(decoder.get_weights())
        model = models.VAE(split_encoder(encoder32, latent_dim), decoder32)
    return model, clock, batch_size


def run_book(config, train, latent_dim=16, batch_size=128):
    import keras

    from vae_lib import models, networks

    model = models.VAE(networks.conv_encoder(latent_dim), networks.conv_decoder(latent_dim),
                       seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model, train_book(config, model, train, batch_size), batch_size


def train_book(config, model, train, batch_size):
    from vae_lib import training

    clock = Clock(config["budget_seconds"], config["max_epochs"])
    steps_per_epoch = math.ceil(len(train) / batch_size)
    # One logging interval per pass over the data, so the clock sees "epochs" as before.
    training.fit(model, train, steps=config["max_epochs"] * steps_per_epoch,
                 batch_size=batch_size, num_logs=config["max_epochs"], seed=0, verbose=0,
                 steps_per_execution=config["steps_per_execution"],
                 callbacks=[keras_clock_callback(clock)])
    return clock


def run_keras_example(config, train, latent_dim=2, batch_size=128):
    import keras
    import tensorflow as tf
    from keras import ops

    encoder, decoder = keras_example_networks(latent_dim)

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker]

        def train_step(self, data):
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(ops.sum(
                    keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
                kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
                total_loss = reconstruction_loss + kl_loss
            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(total_loss)
            return {"loss": self.total_loss_tracker.result()}

    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    clock = Clock(config["budget_seconds"], config["max_epochs"])
    vae.fit(train, epochs=config["max_epochs"], batch_size=batch_size, verbose=0,
            callbacks=[keras_clock_callback(clock)])
    # Adapter: [z_mean, z_log_var] only; probabilities -> logits after Keras's 1e-7 clip.
    x = keras.Input((28, 28, 1))
    z_mean, z_log_var, _ = encoder(x)
    z = keras.Input((latent_dim,))
    p = ops.clip(decoder(z), 1e-7, 1 - 1e-7)
    logits = keras.Model(z, ops.log(p) - ops.log1p(-p))
    return wrap(keras.Model(x, [z_mean, z_log_var]), logits), clock, batch_size


RUNNERS = {
    "tutorial": run_tutorial,
    "book-tutorial-arch-b32": run_book_tutorial_arch,
    "book-tutorial-arch-b32-bf16": lambda config, train: run_book_tutorial_arch(
        config, train, bfloat16=True),
    "keras-example": run_keras_example,
    "book": run_book,
}


# --------------------------------------------------------------------------- evaluation

def evaluate(model, test, config):
    import numpy as np

    from vae_lib import elbo, evaluation

    start = time.perf_counter()
    elbo_terms = evaluation.evaluate_elbo(model, test, seed=0)
    log_px = evaluation.log_likelihood(model, test, num_samples=config["iw_samples"], seed=0)
    mean = float(np.mean(log_px))
    return {
        "test_elbo": elbo_terms["elbo"], "test_kl": elbo_terms["kl"],
        "test_iw_log_likelihood": mean,
        "test_iw_log_likelihood_std_error": float(np.std(log_px) / np.sqrt(len(log_px))),
        "bits_per_dim": elbo.bits_per_dim(mean),
        "evaluation_seconds": time.perf_counter() - start,
    }


def iw_speed(model, test, config):
    """Decoder alone vs the importance-weighted evaluation, both in decodes per second.

    The two are timed in alternating rounds and each is summarised by its median round, so
    that a change of machine load during the measurement hits both alike (the cores are
    shared with other work).
    """
    import numpy as np
    import tensorflow as tf

    from vae_lib import evaluation

    chunk = 2048  # evaluation.log_likelihood's default max_decodes
    decode = tf.function(lambda z: model.decoder(z, training=False))
    z = tf.random.normal((chunk, model.latent_dim), seed=0)
    decode(z).numpy()  # trace
    decode(z).numpy()  # warm up (oneDNN builds its kernels on the first real calls)
    images, num_samples = test[:config["iw_speed_images"]], 1000
    evaluation.log_likelihood(model, images[:2], num_samples=8)  # trace
    raw_rates, iw_rates, iw_times = [], [], []
    for round_ in range(config["speed_rounds"]):
        start = time.perf_counter()
        for _ in range(config["decoder_repeats"]):
            out = decode(z)
        out.numpy()
        raw_rates.append(chunk * config["decoder_repeats"] / (time.perf_counter() - start))
        start = time.perf_counter()
        evaluation.log_likelihood(model, images, num_samples=num_samples, seed=1 + round_)
        iw_times.append(time.perf_counter() - start)
        iw_rates.append(len(images) * num_samples / iw_times[-1])
    raw, iw, seconds = np.median(raw_rates), np.median(iw_rates), np.median(iw_times)
    # How the estimate moves with K (same images and seed for every K; nats per image).
    moves = {}
    for k in (1, 10, 100, 1000):
        moves[str(k)] = float(np.mean(evaluation.log_likelihood(
            model, test[:config["moves_images"]], num_samples=k, seed=2)))
    return {
        "decoder_decodes_per_second": float(raw), "iw_decodes_per_second": float(iw),
        "iw_over_decoder": float(iw / raw),
        "decoder_decodes_per_second_rounds": raw_rates, "iw_decodes_per_second_rounds": iw_rates,
        "iw_images": len(images), "iw_num_samples": num_samples,
        "iw_seconds": float(seconds),
        "extrapolated_seconds_10000_images_k1000": float(10000 * num_samples / iw),
        "extrapolated_seconds_10000_images_k100": float(10000 * 100 / iw),
        "moves_images": config["moves_images"],
        "log_likelihood_vs_num_samples": moves,
    }


def worker(name, config):
    import numpy as np

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(0)
    train, test = load(config)
    model, clock, batch_size = RUNNERS[name](config, train)
    seconds = np.array(clock.epoch_seconds)
    steady = [s for s, ok in zip(clock.epoch_seconds[1:], clock.complete[1:]) if ok]
    result = {
        "name": name, "batch_size": batch_size,
        "epochs": len(seconds), "complete_epochs": int(sum(clock.complete)),
        "training_seconds": clock.training_seconds,
        "epoch_seconds": [round(float(s), 3) for s in seconds],
        "median_over_epochs": len(steady),
        "median_epoch_seconds": float(np.median(steady)) if steady else None,
        "images_per_second": float(len(train) / np.median(steady)) if steady else None,
    }
    result.update(evaluate(model, test, config))
    if name == "book":
        result.update(iw_speed(model, test, config))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# --------------------------------------------------------------------------- driver

def ratio(a, b):
    return None if a is None or b is None else a / b


def table(results):
    rows = [
        "| contestant | batch | epochs (complete) | s/epoch | images/s | peak RSS (MiB) | "
        "test ELBO (nats) | IW log-lik. (nats) | bits/dim |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r['name']} | {r['batch_size']} | {r['epochs']} ({r['complete_epochs']}) | "
            f"{_f(r['median_epoch_seconds'], 2)} | {_f(r['images_per_second'], 0)} | "
            f"{r['peak_rss_mib']:.0f} | {r['test_elbo']:.2f} | "
            f"{r['test_iw_log_likelihood']:.2f} ± {r['test_iw_log_likelihood_std_error']:.2f} | "
            f"{r['bits_per_dim']:.4f} |")
    return "\n".join(rows)


def _f(value, digits):
    return "n/a" if value is None else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--epochs", type=int, default=None,
                        help="maximum epochs per contestant (the time budget usually stops first)")
    parser.add_argument("--budget-seconds", type=float, default=None,
                        help="training time per contestant (0: no budget, train --epochs)")
    parser.add_argument("--dataset", choices=("fashion_mnist", "mnist"), default="fashion_mnist")
    parser.add_argument("--train-images", type=int, default=None)
    parser.add_argument("--eval-images", type=int, default=None)
    parser.add_argument("--iw-samples", type=int, default=None)
    parser.add_argument("--steps-per-execution", type=int, default=64)
    parser.add_argument("--contestants", default=",".join(CONTESTANTS))
    parser.add_argument("--output", default=str(HERE / "results.json"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker, json.loads(args.config))
        print("RESULT " + json.dumps(result))
        return

    def pick(value, quick, full):
        return value if value is not None else (quick if args.quick else full)

    # Full-run sizes are chosen so that the whole run takes about 15 minutes on 2 busy cores:
    # 6,000 training images make epochs short enough for >= 10 complete epochs per contestant
    # within the 90 s budget (throughput is a median over them); K = 100 on 500 test images
    # is the comparison estimate (the K = 1 ... 1000 sweep in the JSON shows its precision).
    # --quick trains 3 epochs with no time budget, so that it still yields throughputs.
    config = {
        "dataset": args.dataset,
        "train_images": pick(args.train_images, 1000, 6000),
        "eval_images": pick(args.eval_images, 100, 500),
        "iw_samples": pick(args.iw_samples, 20, 100),
        "max_epochs": pick(args.epochs, 3, 1000),
        "budget_seconds": pick(args.budget_seconds, 0, 90),
        "steps_per_execution": args.steps_per_execution,
        "decoder_repeats": 3 if args.quick else 10,
        "speed_rounds": 2 if args.quick else 3,
        "iw_speed_images": 10 if args.quick else 40,
        "moves_images": 10 if args.quick else 100,
    }
    names = [name for name in args.contestants.split(",") if name]
    started = time.time()
    load_before = os.getloadavg()
    results = []
    for name in names:
        print(f"== {name} ...", flush=True)
        process = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--config", json.dumps(config)],
            capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
        if process.returncode or not lines:
            print(process.stdout[-3000:], process.stderr[-3000:], sep="\n")
            raise SystemExit(f"contestant {name} failed")
        result = json.loads(lines[-1][len("RESULT "):])
        results.append(result)
        print(f"   {result['epochs']} epochs, {_f(result['images_per_second'], 0)} images/s, "
              f"IW log-likelihood {result['test_iw_log_likelihood']:.2f} nats", flush=True)
    by_name = {r["name"]: r for r in results}
    ratios = {}
    for name, reference in REFERENCE_OF.items():
        if name in by_name and reference in by_name:
            ratios[f"{name} / {reference} images per second"] = ratio(
                by_name[name]["images_per_second"], by_name[reference]["images_per_second"])
    if "book" in by_name:
        for reference in ("tutorial", "keras-example"):
            if reference in by_name:
                ratios[f"book - {reference} IW log-likelihood (nats, equal training time)"] = (
                    by_name["book"]["test_iw_log_likelihood"]
                    - by_name[reference]["test_iw_log_likelihood"])
        ratios["IW evaluation / decoder alone, decodes per second"] = \
            by_name["book"]["iw_over_decoder"]
    report = {
        "command": " ".join(["python", "benchmarks/benchmark_conv_vae.py"] + sys.argv[1:]),
        "config": config, "results": results, "ratios": ratios,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)),
        "wall_seconds": time.time() - started,
    }
    try:
        import tensorflow as tf

        report["machine"]["tensorflow"] = tf.__version__
    except ImportError:
        pass
    pathlib.Path(args.output).write_text(json.dumps(report, indent=1))
    print()
    print(table(results))
    print()
    for key, value in ratios.items():
        print(f"{key}: {_f(value, 3)}")
    if "book" in by_name:
        b = by_name["book"]
        print(f"decoder alone {b['decoder_decodes_per_second']:.0f} decodes/s; IW evaluation "
              f"{b['iw_decodes_per_second']:.0f} decodes/s; 10,000 images at num_samples=1000: "
              f"{b['extrapolated_seconds_10000_images_k1000'] / 60:.1f} min (extrapolated from "
              f"{b['iw_images']} images)")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"wrote {args.output}")


if __name__ == "__main__":
    main()
