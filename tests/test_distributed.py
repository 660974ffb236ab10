"""Training on two devices with tf.distribute gives the curves of one device (chapter 11).

TensorFlow fixes its devices when it first initializes, and importing ``vae_lib`` initializes
them, so the run happens in a fresh Python process (:data:`CHILD`) that first splits the CPU
into 2 logical devices with ``tf.config.set_logical_device_configuration``, then trains one
small recipe three ways for the same budget of images (:func:`curves`):

* ``one``: on one device, the way every chapter trains;
* ``two``: with ``tf.distribute.MirroredStrategy`` over the 2 logical CPUs, through
  ``training.train_or_load(recipe, strategy=...)``; each step splits the global batch of 128
  images into 64 per replica, each replica computes its gradient, the gradients are summed
  across replicas (an all-reduce) and one Adam update is applied to the mirrored weights;
* ``noise``: on one device again, with the same initial weights and images but other
  sampling noise epsilon: how far two equally valid runs drift apart by chance;
* ``batch_256``: on one device with a global batch of 256, what one gets by keeping 128
  images *per replica* on two devices (the usual mistake when moving to several GPUs).

What Keras 3.15 does under the strategy (read from its TensorFlow trainer, then measured
here): ``train_step`` runs once per replica; Keras's own losses divide their per-replica mean
by the number of replicas (``scale_loss_for_distribution``) so that the summed gradients are
those of the global mean, and the logged ``loss`` is multiplied back
(``unscale_loss_for_distribution``). ``models.VAE.compute_loss`` divides its replica's mean the
same way (``models._CodingModel._total``), so the summed gradient is that of the global mean
and the logged ``loss`` is the true value (``test_the_logged_loss_is_the_global_mean``; before
that division it was twice the true value on 2 replicas, and the reconstruction and KL curves
still agreed because Adam divides each gradient by the root of its running mean square).

The tolerance: each replica draws its own sampling noise for its 64 images, and sums run in
another order, so the two-device run can never match the one-device run exactly; it must stay
as close to it as a run with other sampling noise does. At every logging point the
reconstruction and KL terms (training and validation) must agree within
``RELATIVE_TOLERANCE`` of the one-device value plus ``ABSOLUTE_TOLERANCE`` nats. The test
checks that the tolerance is neither too tight (the ``noise`` run passes it) nor too loose
(the ``batch_256`` run, with half as many updates, fails it).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

RELATIVE_TOLERANCE = 0.02  # of the one-device value, at every logging point
ABSOLUTE_TOLERANCE = 2.0   # nats per image, for the KL's small early values
CURVES = ("reconstruction", "kl", "val_reconstruction", "val_kl")

CHILD = textwrap.dedent("""
    import json, os
    import tensorflow as tf

    # Before anything initializes TensorFlow's devices: one CPU becomes two logical devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    from vae_lib import recipes, training

    small = recipes.Recipe(
        name="test_distributed", chapter=11, summary="a small dense VAE",
        hidden_units=(64,), latent_dim=4,
        train_images=recipes.ByMode(quick=1_280, full=1_280),
        max_validation=recipes.ByMode(quick=128, full=128),  # splits evenly over 2 replicas
        budget=recipes.ByMode(quick=6_400, full=6_400), batch_size=128,
        num_logs=recipes.ByMode(quick=10, full=10))
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    one = training.train_or_load(small, verbose=0, cache=False)
    two = training.train_or_load(small, verbose=0, strategy=strategy)
    again = training.train_or_load(small, verbose=0, strategy=strategy)

    selected = recipes.training_data(small)
    noise_model = small.build()
    noise_model.sampling.seed_generator.state.assign([12345, 0])  # other epsilon only
    noise = training.fit(noise_model, selected.train, selected.validation,
                         steps=small.steps, batch_size=128, num_logs=10, verbose=0)
    wide = small.replace(name="test_distributed_b256", batch_size=256)
    batch_256 = training.train_or_load(wide, verbose=0, cache=False)
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "devices": list(strategy.extended.worker_devices),
        "loaded_under_strategy": again.loaded,
        "one": one.history, "two": two.history, "noise": noise,
        "batch_256": batch_256.history}))
""")


@pytest.fixture(scope="module")
def curves(tmp_path_factory):
    """Run :data:`CHILD` in a fresh process; return its JSON (histories by run)."""
    folder = tmp_path_factory.mktemp("distributed")
    environment = {**os.environ, "VAE_BOOK_MODE": "quick", "VAE_BOOK_CACHE": str(folder),
                   "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                            env=environment, cwd=folder, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def worst_excess(history, reference):
    """The largest difference beyond the tolerance over the curves and logging points (<= 0
    when every point is within it), and where it happens."""
    worst = (-np.inf, None)
    for key in CURVES:
        got, expected = np.array(history[key]), np.array(reference[key])
        allowed = RELATIVE_TOLERANCE * np.abs(expected) + ABSOLUTE_TOLERANCE
        excess = np.abs(got - expected) - allowed
        index = int(np.argmax(excess))
        if excess[index] > worst[0]:
            worst = (float(excess[index]), f"{key} at logging point {index}: "
                                           f"{got[index]:.2f} vs {expected[index]:.2f}")
    return worst


def test_the_strategy_has_two_replicas_and_loads_cached_weights(curves):
    assert curves["replicas"] == 2, curves["devices"]
    assert len(set(curves["devices"])) == 2
    assert curves["loaded_under_strategy"]  # the cache works under the strategy too


def test_two_devices_follow_the_one_device_curves(curves):
    assert curves["two"]["images_seen"] == curves["one"]["images_seen"]
    excess, where = worst_excess(curves["two"], curves["one"])
    assert excess <= 0, f"two devices left the one-device curve: {where}"


def test_the_tolerance_is_neither_too_tight_nor_too_loose(curves):
    excess, where = worst_excess(curves["noise"], curves["one"])
    assert excess <= 0, f"other sampling noise alone exceeds the tolerance: {where}"
    excess, where = worst_excess(curves["batch_256"], curves["one"])
    assert excess > 0, "a global batch of 256 passes the tolerance: it is too loose"


def test_the_logged_loss_is_the_global_mean(curves):
    one, two = np.array(curves["one"]["loss"]), np.array(curves["two"]["loss"])
    np.testing.assert_allclose(two, one, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE)


if __name__ == "__main__":  # print the curves: python tests/test_distributed.py
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                                env={**os.environ, "VAE_BOOK_MODE": "quick",
                                     "VAE_BOOK_CACHE": folder}, cwd=folder, check=True)
    for name, history in json.loads(output.stdout.strip().splitlines()[-1]).items():
        if isinstance(history, dict):
            print(name, {key: np.round(history[key], 1).tolist() for key in CURVES + ("loss",)})
